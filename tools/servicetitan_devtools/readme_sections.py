"""Sections of README.md generated from the code, between a begin and an end marker.

``servicetitan-stream-table`` and ``servicetitan-child-table`` each own one
section; their tests compare it with a fresh rendering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class ReadmeSection:
    begin: str
    end: str

    def find(self, text: str) -> str | None:
        """The section in ``text``, markers included; None if absent."""
        if self.begin not in text or self.end not in text:
            return None
        return text[text.index(self.begin) : text.index(self.end) + len(self.end)]

    def main(self, argv: list[str] | None, description: str, render: Callable[[], str]) -> int:
        """Print the rendered section, or with ``--write`` put it in README.md."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--write", action="store_true", help="replace the section in README.md")
        args = parser.parse_args(argv)
        if not args.write:
            print(render())
            return 0
        text = README.read_text(encoding="utf-8")
        section = self.find(text)
        if section is None:
            print(f"README.md has no {self.begin} ... {self.end} section", file=sys.stderr)
            return 1
        README.write_text(text.replace(section, render()), encoding="utf-8")
        return 0
