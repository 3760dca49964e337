"""The one error the check raises for itself: a line that says what to fix."""

from __future__ import annotations


class PreflightError(Exception):
    """The check cannot run as configured; the message names what to change."""
