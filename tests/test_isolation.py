"""A second checkout works in itself: nothing comes from, or goes to, the installed one.

The installed packages (this checkout's, editable in .venv) take their project
folder from SERVICETITAN_PROJECT_DIR or the current directory, never from
where they are installed; Meltano's and dbt's files go under the project that
runs. So a pipeline run and the Dagster code location loaded from a copy of
the repository leave this checkout's ignored folders (``.meltano``,
``transforms/target``, ...) exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_sandbox import SandboxServer
from tests.support.isolation import PLUGIN_DIRS, ROOT

BIN = Path(sys.executable).parent
#: The developer's own tools' folders in a checkout (not the project's files).
DEVELOPER_CACHES = (".venv", ".pytest_cache", ".ruff_cache")
#: Variables that would point a run at a project or its files (the caller's, not the copy's).
PROJECT_VARIABLES = ("TAP_", "TARGET_", "MELTANO_", "DBT_", "SERVICETITAN_", "DAGSTER_")


def ignored_files(checkout: Path) -> dict[str, int]:
    """Every path git ignores in ``checkout``, with its mtime (ns).

    The .venv, the installed plugins' venvs, bytecode caches and the
    developer's tool caches (pytest's, ruff's) are left out:
    the copy runs this checkout's code (and Python may compile it), which is
    what being installed means; the project's files are what must not change.
    """
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    found: dict[str, int] = {}
    for entry in listed:
        top = checkout / entry.rstrip("/")
        if top.name in DEVELOPER_CACHES or "__pycache__" in top.parts:
            continue
        for path in (top, *(top.rglob("*") if top.is_dir() and not top.is_symlink() else ())):
            if _installed(path.relative_to(checkout)):
                continue
            found[str(path.relative_to(checkout))] = path.lstat().st_mtime_ns
    return found


def _installed(relative: Path) -> bool:
    """A path inside an installed plugin, or a bytecode cache."""
    parts = relative.parts
    plugin = len(parts) > 3 and parts[0] == ".meltano" and parts[1] in PLUGIN_DIRS
    return plugin or "__pycache__" in parts


def second_checkout(folder: Path) -> Path:
    """The tracked files, copied; its .meltano links to this checkout's installed plugins."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in tracked:
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    shutil.copy(ROOT / "tenants.example.yml", folder / "tenants.yml")
    (folder / ".meltano").mkdir()
    for name in PLUGIN_DIRS:
        (folder / ".meltano" / name).symlink_to(ROOT / ".meltano" / name)
    return folder


def clean_env(**extra: str) -> dict[str, str]:
    """A shell of a user of the copy: the venv on PATH, no project variable set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_VARIABLES)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env | extra


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{command}: {(done.stdout + done.stderr)[-4000:]}"
    return done


@pytest.mark.e2e
def test_a_run_from_a_second_checkout_leaves_this_one_untouched(database, tmp_path) -> None:
    """An extract-load and the Dagster code location (a dbt parse), from a copy of the repository."""
    copy = second_checkout(tmp_path / "second")
    before = ignored_files(ROOT)
    with SandboxServer(customers=50, seed=11) as sandbox:
        env = clean_env(
            MELTANO_ENVIRONMENT="sandbox",
            TAP_SERVICETITAN__SELECT=json.dumps([f"{name}.*" for name in CORE_STREAMS]),
            **{f"TAP_SERVICETITAN_{k.upper()}": str(v) for k, v in sandbox.tap_config().items()},
            TARGET_POSTGRES_HOST=database["host"],
            TARGET_POSTGRES_PORT=str(database["port"]),
            TARGET_POSTGRES_USER=database["user"],
            TARGET_POSTGRES_DATABASE=database["dbname"],
        )
        run([str(BIN / "meltano"), "run", "tap-servicetitan", "target-postgres"], copy, env)
    run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "servicetitan_orchestration.definitions"],
        copy,
        clean_env(),
    )  # fmt: skip

    assert ignored_files(ROOT) == before
    # what the run wrote went to the copy
    assert list((copy / ".meltano" / "run" / "batches").glob("tap-servicetitan-*"))
    assert (copy / "transforms" / "target" / "dagster" / "manifest.json").is_file()
    assert (copy / ".meltano" / "meltano.db").is_file()


@pytest.mark.parametrize(
    "command",
    [
        ["servicetitan-tenants", "check"],
        ["servicetitan-demo"],
        ["servicetitan-generate", "--check"],
    ],
    ids=lambda command: command[0],
)
def test_outside_a_project_the_tools_name_the_setting(command, tmp_path) -> None:
    """No project folder is guessed: one line saying what is missing and what to set."""
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert str(tmp_path) in line and "SERVICETITAN_PROJECT_DIR" in line, line
