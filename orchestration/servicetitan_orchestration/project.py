"""The Meltano project the orchestration works in: set explicitly, never guessed.

``SERVICETITAN_PROJECT_DIR`` when set, else the current directory; either
way the folder must hold a ``meltano.yml``. Nothing is derived from where
this package is installed, so a run from another checkout (or an installed
wheel) never reads or writes a checkout it was not pointed at.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

P = ParamSpec("P")

PROJECT_DIR_VARIABLE = "SERVICETITAN_PROJECT_DIR"


class ProjectDirError(Exception):
    """The project folder is not a Meltano project (one line, names the setting)."""


def project_dir() -> Path:
    """``$SERVICETITAN_PROJECT_DIR``, else the current directory; it must hold meltano.yml."""
    folder = Path(os.environ.get(PROJECT_DIR_VARIABLE) or Path.cwd()).resolve()
    if not (folder / "meltano.yml").is_file():
        msg = (
            f"{folder} is not a Meltano project (no meltano.yml): run from the project folder "
            f"or set {PROJECT_DIR_VARIABLE}"
        )
        raise ProjectDirError(msg)
    return folder


def meltano_dir(project: Path) -> Path:
    """The project's Meltano system folder: ``$MELTANO_SYS_DIR_ROOT``, else ``.meltano``."""
    return Path(os.environ.get("MELTANO_SYS_DIR_ROOT") or project / ".meltano")


def one_line_outside_a_project(main: Callable[P, int | None]) -> Callable[P, int | None]:
    """A command's ``main`` that says a ProjectDirError in one line and returns 2."""

    @functools.wraps(main)
    def checked(*args: P.args, **kwargs: P.kwargs) -> int | None:
        try:
            return main(*args, **kwargs)
        except ProjectDirError as error:
            print(f"{Path(sys.argv[0]).name}: error: {error}", file=sys.stderr)
            return 2

    return checked
