"""The documentation site builds, and no file of the repository cites a document outside it.

``mkdocs build --strict`` (mkdocs.yml: every link, anchor and page in the nav
validated) into a temporary folder, never into the repository. The README's
links into docs/ point at pages and headings that exist. And no tracked file
names a document the repository does not hold (the specification, endpoint
list and KPI definitions earlier versions cited, or the folder beside the
repository they came from): the rules live in docs/ and in the dbt
project's yml descriptions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent

#: Names of documents that exist only outside the repository (cited by earlier versions).
OUTSIDE_DOCUMENTS = re.compile(r"(?<![\w-])(SPEC|ENDPOINTS|KPI-DEFINITIONS)(\.md)?(?![\w-])")
#: A path into the folder beside the repository (its API facts are copied into the catalog).
OUTSIDE_PATHS = re.compile(r"\.\./+shared\b|(?<![\w./-])shared/servicetitan")
#: Any Markdown file named in a file: it must be a file of the repository.
MARKDOWN_NAME = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.md)\b")
#: Third-party text copied into the repository as data, not written here.
THIRD_PARTY = ("catalog/servicetitan_catalog/api_reference/",)
#: This file names the outside documents to look for them.
SELF = "tests/test_docs.py"


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    names = [
        name
        for name in listed.split("\0")
        if name and not name.startswith(THIRD_PARTY) and name != SELF
    ]
    return [name for name in names if (ROOT / name).is_file()]


def test_the_site_builds_strict(tmp_path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert not (ROOT / "site").exists() or "site/" in (ROOT / ".gitignore").read_text("utf-8")


def nav_pages(nav: list) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_every_page_is_in_the_nav_once() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506 (strings only)
    assert config["theme"]["name"] == "material"
    pages = nav_pages(config["nav"])
    assert len(pages) == len(set(pages)), pages
    assert sorted(pages) == sorted(p.name for p in DOCS.glob("*.md"))


def headings(text: str) -> set[str]:
    """GitHub's and MkDocs' anchors of the Markdown headings (outside code blocks)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    anchors = set()
    for title in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", title.lower().replace("`", "")).strip()
        anchors.add(re.sub(r"\s+", "-", slug))
    return anchors


def test_readme_links_into_docs_resolve() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    links = re.findall(r"\]\((docs/[^)#\s]+)(?:#([^)\s]+))?\)", readme)
    assert len(links) > 10, "README.md links to no docs pages"
    for page, anchor in links:
        assert (ROOT / page).is_file(), page
        if anchor:
            assert anchor in headings((ROOT / page).read_text("utf-8")), f"{page}#{anchor}"
    assert len(readme.splitlines()) <= 300, (
        "README.md is for getting started: move reference to docs/"
    )


def test_no_file_cites_a_document_outside_the_repository() -> None:
    files = repository_files()
    assert "README.md" in files
    assert "docs/index.md" in files
    markdown = {Path(name).name for name in files if name.endswith(".md")}
    markdown |= {name for name in files if name.endswith(".md")}
    found = []
    for name in files:
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{number}: {line.strip()[:120]}"
            outside = OUTSIDE_DOCUMENTS.search(line) or OUTSIDE_PATHS.search(line)
            unknown = [
                cited
                for cited in MARKDOWN_NAME.findall(line)
                if cited not in markdown and Path(cited).name not in markdown
            ]
            if outside or unknown:
                found.append(where)
    assert not found, "files citing documents outside the repository:\n" + "\n".join(found)
