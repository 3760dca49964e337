"""Where the tests write: a scratch folder of the test process, never the checkout.

Meltano writes each run's config, catalog and logs under its system folder
(``MELTANO_SYS_DIR_ROOT``, default ``<project>/.meltano``) and meltano.yml puts
the BATCH files there too (``run/batches``); dbt writes its manifest, compiled
SQL and partial-parsing cache to its target folder and its log to its log
folder (``DBT_TARGET_PATH``, ``DBT_LOG_PATH``, default ``transforms/target`` and
``transforms/logs``). The tests point all three at a folder of their own: one
per test process (a pytest-xdist worker or a plain ``pytest``), made by
tests/conftest.py from pytest's temporary folders, stable for the whole
session so that dbt's partial parsing carries over from one test to the
next, as the database names of database.py do.

The scratch system folder links to the checkout's installed plugins
(``.meltano/extractors``, ``loaders``, ``utilities``: read, never written by
a run), as the orchestration's per-tenant folders do.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

#: The checkout the tests belong to (meltano.yml, transforms/, .meltano/<plugins>).
ROOT = Path(__file__).resolve().parents[2]
#: The installed plugins, linked from the scratch system folder.
PLUGIN_DIRS = ("extractors", "loaders", "utilities")

_scratch: list[Path] = []


def use_scratch(folder: Path) -> None:
    """Make ``folder`` this process's scratch folder (tests/conftest.py, once a session)."""
    folder.mkdir(parents=True, exist_ok=True)
    _scratch[:] = [folder]


def scratch() -> Path:
    """This process's scratch folder (a temporary one when pytest did not set it)."""
    if not _scratch:
        use_scratch(Path(tempfile.mkdtemp(prefix="st-tests-")))
    return _scratch[0]


def meltano_sys_dir() -> Path:
    """Meltano's system folder for the tests, its plugin folders linked to the checkout's."""
    folder = scratch() / "meltano"
    folder.mkdir(exist_ok=True)
    for name in PLUGIN_DIRS:
        link = folder / name
        if not link.is_symlink():
            with contextlib.suppress(FileExistsError):
                link.symlink_to(ROOT / ".meltano" / name, target_is_directory=True)
    return folder


def batch_root() -> Path:
    """Where meltano.yml's ``batch_config`` puts the batch files in the tests' runs."""
    return meltano_sys_dir() / "run" / "batches"


def dbt_target() -> Path:
    """dbt's target folder in the tests (manifest, compiled SQL, partial parsing, docs).

    Made at once: ``dbt docs serve`` copies its page into it and fails when it is missing.
    """
    folder = scratch() / "dbt" / "target"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def env() -> dict[str, str]:
    """The variables that send Meltano's, dbt's and the tools' files to the scratch folder."""
    return {
        "SERVICETITAN_PROJECT_DIR": str(ROOT),
        "MELTANO_SYS_DIR_ROOT": str(meltano_sys_dir()),
        "DBT_TARGET_PATH": str(dbt_target()),
        "DBT_LOG_PATH": str(scratch() / "dbt" / "logs"),
    }
