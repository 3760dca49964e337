"""Sections of the documentation generated from the code, between a begin and an end marker.

Each generated table has one command that renders it and one page of the
documentation site (``docs/``) that holds it: ``servicetitan-stream-table``
writes ``docs/streams.md``, ``servicetitan-child-table`` ``docs/child-streams.md``.
Their tests compare the page's section with a fresh rendering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@dataclass(frozen=True)
class DocSection:
    page: Path
    begin: str
    end: str

    def find(self, text: str) -> str | None:
        """The section in ``text``, markers included; None if absent."""
        if self.begin not in text or self.end not in text:
            return None
        return text[text.index(self.begin) : text.index(self.end) + len(self.end)]

    def current(self) -> str | None:
        """The section as the page holds it now; None if absent."""
        return self.find(self.page.read_text(encoding="utf-8"))

    def main(self, argv: list[str] | None, description: str, render: Callable[[], str]) -> int:
        """Print the rendered section, or with ``--write`` put it in its page."""
        name = self.page.relative_to(ROOT)
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--write", action="store_true", help=f"replace the section in {name}")
        args = parser.parse_args(argv)
        if not args.write:
            print(render())
            return 0
        text = self.page.read_text(encoding="utf-8")
        section = self.find(text)
        if section is None:
            print(f"{name} has no {self.begin} ... {self.end} section", file=sys.stderr)
            return 1
        self.page.write_text(text.replace(section, render()), encoding="utf-8")
        return 0
