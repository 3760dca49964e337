"""Generated sections of hand-written files, between a begin and an end marker.

The Markdown pages of ``docs/`` hold their generated tables between
``<!-- name:begin ... -->`` and ``<!-- name:end -->``; ``meltano.yml`` holds
its generated blocks between YAML comments. ``servicetitan-generate`` replaces
what is between the markers and leaves the rest of the file as written.
"""

from __future__ import annotations

from dataclasses import dataclass


class MissingSectionError(Exception):
    """A file lacks the markers of its generated section."""


@dataclass(frozen=True)
class Section:
    """A generated section of a file: its path in the project and its markers."""

    path: str
    begin: str
    end: str

    def find(self, text: str) -> str:
        """The section in ``text``, markers included."""
        if self.begin not in text or self.end not in text:
            msg = f"{self.path} has no {self.begin!r} ... {self.end!r} section"
            raise MissingSectionError(msg)
        return text[text.index(self.begin) : text.index(self.end) + len(self.end)]

    def replaced(self, text: str, body: str) -> str:
        """``text`` with the section holding ``body`` (between the marker lines)."""
        return text.replace(self.find(text), f"{self.begin}\n{body}{self.end}")


def markdown_section(path: str, name: str) -> Section:
    """A Markdown page's section ``name``."""
    return Section(path, f"<!-- {name}:begin (servicetitan-generate) -->", f"<!-- {name}:end -->")
