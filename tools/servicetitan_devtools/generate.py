"""Write every file made from the catalog (servicetitan_catalog), or check that each is current.

The catalog is the one hand-written home of the API reference, the streams,
the environments' hosts, the tap's settings and the raw tables dbt reads.
From it this command writes, in the project (SERVICETITAN_PROJECT_DIR, else
the current directory):

- the tap's JSON schemas, ``tap-servicetitan/tap_servicetitan/schemas/<stream>.json``
  (from the OpenAPI specs, generate_schemas.py);
- the preflight's probe table, ``preflight/servicetitan_preflight/probe_endpoints.json``;
- meltano.yml's tap settings, ``select`` and environments (meltano_yml.py);
- the dbt source of the raw tables, ``transforms/models/staging/_servicetitan__sources.yml``;
- the tables of docs/settings.md, docs/streams.md and docs/child-streams.md, and the
  README's list of the scopes the core streams need.

Usage: ``servicetitan-generate`` writes what differs; ``servicetitan-generate --check``
writes nothing and exits 1 naming each stale file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from servicetitan_devtools import (
    child_table,
    dbt_sources,
    generate_probe_endpoints,
    generate_schemas,
    meltano_yml,
    settings_table,
    stream_table,
)
from servicetitan_devtools.doc_sections import MissingSectionError, Section
from servicetitan_orchestration.project import one_line_outside_a_project, project_dir


@dataclass(frozen=True)
class Output:
    """A generated file: its path in the project, and its text made from its current text."""

    path: str
    render: Callable[[str], str]


def whole(render: Callable[[], str]) -> Callable[[str], str]:
    """A file written whole: its current text does not matter."""
    return lambda _current: render()


def section(where: Section, render: Callable[[], str]) -> Callable[[str], str]:
    """A file whose section ``where`` is generated, the rest written by hand."""
    return lambda current: where.replaced(current, render())


def outputs() -> list[Output]:
    """Every generated file."""
    schemas = [
        Output(
            f"{generate_schemas.SCHEMAS}/{stream}.json",
            whole(partial(generate_schemas.rendered, stream)),
        )
        for stream in generate_schemas.stream_urls()
    ]
    return [
        *schemas,
        Output(generate_probe_endpoints.PATH, whole(generate_probe_endpoints.rendered)),
        Output("meltano.yml", meltano_yml.rendered),
        Output(dbt_sources.PATH, whole(dbt_sources.rendered)),
        Output(
            settings_table.SECTION.path, section(settings_table.SECTION, settings_table.rendered)
        ),
        Output(
            stream_table.CORE_SECTION.path,
            section(stream_table.CORE_SECTION, stream_table.core_rendered),
        ),
        Output(stream_table.SECTION.path, section(stream_table.SECTION, stream_table.rendered)),
        Output(
            stream_table.SCOPES_SECTION.path,
            section(stream_table.SCOPES_SECTION, stream_table.core_scopes),
        ),
        Output(child_table.SECTION.path, section(child_table.SECTION, child_table.rendered)),
    ]


def stale(root: Path) -> dict[Path, str]:
    """The files under ``root`` that differ from their generation -> the text they should have."""
    found = {}
    for output in outputs():
        path = root / output.path
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        wanted = output.render(current)
        if wanted != current:
            found[path] = wanted
    return found


@one_line_outside_a_project
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is stale"
    )
    args = parser.parse_args(argv)
    root = project_dir()
    try:
        found = stale(root)
    except MissingSectionError as error:
        print(f"servicetitan-generate: error: {error}", file=sys.stderr)
        return 2
    for path, text in found.items():
        name = path.relative_to(root)
        if args.check:
            print(f"stale: {name} (run servicetitan-generate)")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {name}")
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
