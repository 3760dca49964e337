"""Messages a new user follows: each sends them the right way.

The ``meltano config set`` hint runs on the pinned Meltano; without a network
the preflight does not blame a correct ``auth_url``; ``servicetitan-preflight
check`` run alone picks the environment ``.env`` names; the demo's docs hint
runs from a fresh shell; its progress lines say "1 record" and stay in
columns for long stream names; ``--help`` texts are plain and complete.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servicetitan_catalog.environments import PRODUCTION
from servicetitan_devtools import demo
from servicetitan_devtools.tap_runner import run_tap
from servicetitan_preflight import cli as preflight_cli
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox import cli as sandbox_cli
from tests.support import isolation
from tests.support.meltano_project import MELTANO, PREFLIGHT, ROOT, MeltanoProject

BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any pipeline setting (as a new user's shell)."""
    prefixes = ("TAP_", "TARGET_", "MELTANO_", "DBT_", "SERVICETITAN_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env | extra


def copy_of_the_project(folder: Path) -> Path:
    """meltano.yml alone in a folder of its own (plugins not installed)."""
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "meltano.yml", folder / "meltano.yml")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_missing_setting_hint_runs_on_the_pinned_meltano(fresh_sandbox, tmp_path) -> None:
    config = fresh_sandbox.tap_config()
    config["client_secret"] = ""  # as an unset Meltano setting arrives
    run = run_tap(config, catalog={"streams": []})
    assert run.returncode == 1
    (line,) = [line for line in run.stderr.splitlines() if "error:" in line]
    hint = line.split("(", 1)[1].split(")", 1)[0]
    assert hint == "meltano config set tap-servicetitan client_secret ..."
    project = copy_of_the_project(tmp_path / "project")
    command = [MELTANO, *shlex.split(hint)[1:-1], "a-secret"]
    done = subprocess.run(
        command, cwd=project, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TAP_SERVICETITAN_CLIENT_SECRET='a-secret'" in (project / ".env").read_text()


def test_without_a_network_the_default_auth_url_is_not_blamed(tmp_path) -> None:
    """No way out (a proxy that refuses): ServiceTitan's own token URL is fine, the network is not."""
    with SandboxServer(customers=5, seed=3) as sandbox:
        project = MeltanoProject(sandbox, {"host": "127.0.0.1", "port": 5432, "user": "postgres",
                                           "dbname": "postgres"}, tmp_path)  # fmt: skip
        proxy = f"http://127.0.0.1:{free_port()}"
        offline = {"HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
        run = project.preflight(TAP_SERVICETITAN_AUTH_URL=PRODUCTION.auth_url, **offline)
        wrong = project.preflight(TAP_SERVICETITAN_AUTH_URL=f"http://127.0.0.1:{free_port()}/t")
    (token,) = [line for line in run.stderr.splitlines() if "token endpoint" in line]
    assert PRODUCTION.auth_url in token
    assert "check the setting 'auth_url'" not in token
    assert "network" in token and "HTTPS_PROXY" in token
    (token,) = [line for line in wrong.stderr.splitlines() if "token endpoint" in line]
    assert "check the setting 'auth_url'" in token  # a value of the user's own is named


def test_the_check_alone_uses_the_environment_dotenv_names(tmp_path) -> None:
    project = copy_of_the_project(tmp_path / "project")
    (project / ".env").write_text("MELTANO_ENVIRONMENT=prod\n")
    run = subprocess.run(
        [PREFLIGHT, "check"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    # prod has no credentials in meltano.yml (the sandbox environment has)
    assert "setting 'client_id' is required" in run.stderr, run.stderr
    assert "127.0.0.1:8765" not in run.stderr


def test_the_demo_docs_hint_runs_from_a_fresh_shell() -> None:
    """``env -i``: no venv on PATH, no variables; the hint serves the docs."""
    hint = demo.docs_serve_command(demo.meltano_executable(), demo.find_project(ROOT))
    port = free_port()
    fresh = {"HOME": os.environ.get("HOME", "/root"), "PATH": "/usr/bin:/bin"}
    scratch = {k: v for k, v in isolation.env().items() if k.startswith(("MELTANO_", "DBT_"))}
    fresh |= scratch  # where Meltano's and dbt's files go, not a setting of the pipeline
    server = subprocess.Popen(
        ["env", "-i", *(f"{k}={v}" for k, v in fresh.items()), "sh", "-c",
         f"{hint} --port {port} --no-browser"],
        cwd="/",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("the docs server never answered")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def metric_line(stream: str, count: int) -> str:
    return (
        f'2026-01-01T00:00:00.000000Z [info     ] tap-servicetitan METRIC: {{"type": "counter", '
        f'"metric": "record_count", "value": {count}, "tags": {{"stream": "{stream}"}}}}'
    )


def test_demo_progress_says_1_record_and_keeps_its_columns() -> None:
    progress = demo.Progress()
    one = progress.feed(metric_line("technicians", 1))
    assert one is not None and one.endswith(" 1 record")
    long_name = "installed_equipment_custom_field_types"
    lines = [one, progress.feed(metric_line(long_name, 12345))]
    assert lines[1].endswith(" 12,345 records")
    assert long_name in lines[1]
    assert len({len(line) for line in lines}) == 1  # right-aligned counts: one column


def test_preflight_help_has_no_markup() -> None:
    text = preflight_cli.parser().format_help()
    check = preflight_cli.parser()._subparsers._group_actions[0].choices["check"].format_help()
    for shown in (text, check):
        assert "`" not in shown, shown


def test_every_sandbox_option_has_help() -> None:
    parser = sandbox_cli.build_parser()
    missing = [a.dest for a in parser._actions if a.dest != "help" and not a.help]
    assert not missing
