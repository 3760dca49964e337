"""What one check found, and how the results are shown."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Status(enum.Enum):
    PASSED = "ok"
    FAILED = "FAILED"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    """One check: what was checked, its status, and a note or the fix.

    A failed outcome's ``detail`` is the one line a user reads: what is wrong
    and the setting or action that fixes it, never a secret.
    """

    area: str
    check: str
    subject: str
    status: Status
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


def passed(area: str, check: str, subject: str, note: str = "") -> Outcome:
    return Outcome(area, check, subject, Status.PASSED, note)


def failed(area: str, check: str, subject: str, line: str) -> Outcome:
    return Outcome(area, check, subject, Status.FAILED, line)


def skipped(area: str, check: str, subject: str, reason: str) -> Outcome:
    return Outcome(area, check, subject, Status.SKIPPED, reason)


def table(outcomes: Iterable[Outcome]) -> str:
    """The outcomes as aligned columns: area, check, subject, result."""
    rows = [("area", "check", "subject", "result")]
    for outcome in outcomes:
        result = outcome.status.value
        if outcome.detail:
            result = f"{result} ({outcome.detail})"
        rows.append((outcome.area, outcome.check, outcome.subject, result))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)
