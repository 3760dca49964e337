"""Run Meltano against the repository's own meltano.yml with isolated state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg
import yaml

from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_sandbox import SandboxServer
from tests.support import isolation

ROOT = isolation.ROOT
MELTANO = str(Path(sys.executable).parent / "meltano")
PREFLIGHT = str(Path(sys.executable).parent / "servicetitan-preflight")
#: The job users schedule: preflight check, extract-load, transforms (meltano.yml).
FULL_PIPELINE = ("run", "servicetitan-sync")


def batch_root() -> Path:
    """Where meltano.yml's batch_config puts the batch files in the tests' runs."""
    return isolation.batch_root()


def project_batch_config() -> dict:
    """meltano.yml's ``batch_config`` for the tap, ``$MELTANO_SYS_DIR_ROOT`` expanded."""
    manifest = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (tap,) = [p for p in manifest["plugins"]["extractors"] if p["name"] == "tap-servicetitan"]
    (setting,) = [s for s in tap["settings"] if s["name"] == "batch_config"]
    text = json.dumps(setting["value"]).replace(
        "$MELTANO_SYS_DIR_ROOT", str(isolation.meltano_sys_dir())
    )
    return json.loads(text)


class MeltanoProject:
    """The repo's Meltano project pointed at one sandbox and one database.

    State goes to a private SQLite system database so tests never share it;
    Meltano's and dbt's files to the test process's scratch folder (isolation.py).
    """

    def __init__(
        self,
        sandbox: SandboxServer,
        database: dict,
        state_dir: Path,
        select: tuple[str, ...] | None = CORE_STREAMS,
    ) -> None:
        """``select``: the streams to extract (the core nine by default); None: meltano.yml's."""
        self.sandbox = sandbox
        self.database = database
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_"))
            },
            **isolation.env(),
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{state_dir / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_SERVICETITAN_API_URL": sandbox.url,
            "TAP_SERVICETITAN_AUTH_URL": sandbox.auth_url,
            "TAP_SERVICETITAN_TENANT_ID": str(sandbox.tenant_id),
            "TARGET_POSTGRES_HOST": database["host"],
            "TARGET_POSTGRES_PORT": str(database["port"]),
            "TARGET_POSTGRES_USER": database["user"],
            "TARGET_POSTGRES_DATABASE": database["dbname"],
        }
        if select is not None:
            self.env["TAP_SERVICETITAN__SELECT"] = json.dumps([f"{name}.*" for name in select])
        #: What ``run``, ``run_killed`` and ``run_killing_tap`` run (``meltano run ...``).
        self.pipeline: tuple[str, ...] = FULL_PIPELINE

    def meltano(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def preflight(self, **env: str) -> subprocess.CompletedProcess:
        """``servicetitan-preflight check`` as Meltano would run it, ``env`` overriding."""
        return subprocess.run(
            [PREFLIGHT, "check"],
            cwd=ROOT,
            env={**self.env, "MELTANO_PROJECT_ROOT": str(ROOT), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def run(self, *extra: str) -> subprocess.CompletedProcess:
        result = self.meltano(*self.pipeline[:1], *extra, *self.pipeline[1:])
        assert result.returncode == 0, result.stderr[-4000:]
        return result

    def run_killed(
        self, *, after_rows: int, table: str = "customer_contacts", sig: int = signal.SIGKILL
    ) -> None:
        """Start a run and signal its whole process group once ``after_rows`` landed."""
        self.run_killed_when(
            lambda: self.count_rows(f"tap_servicetitan.{table}") >= after_rows, sig=sig
        )

    def run_killed_when(self, when: Callable[[], bool], *, sig: int = signal.SIGKILL) -> None:
        """Start a run and signal its whole process group once ``when()`` is true."""
        proc = subprocess.Popen(
            [MELTANO, *self.pipeline],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None:
                if when():
                    break
                time.sleep(0.01)
            assert proc.poll() is None, "the run finished before it could be interrupted"
        finally:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=60)

    @property
    def batch_folder(self) -> Path:
        """This tenant's batch folder (one ``run-*`` folder per run in it)."""
        return batch_root() / f"tap-servicetitan-{self.sandbox.tenant_id}"

    def set_batch_config(self, **changes: object) -> None:
        """Run with meltano.yml's ``batch_config`` changed (``batch_size=200``, ...)."""
        self.env["TAP_SERVICETITAN_BATCH_CONFIG"] = json.dumps(project_batch_config() | changes)

    def run_killing_tap(
        self, when: Callable[[], bool], sig: int = signal.SIGKILL
    ) -> subprocess.CompletedProcess:
        """Run the pipeline and signal the tap alone (SIGKILL) once ``when()`` is true.

        Meltano and the target live on: the target loads what it was sent,
        writes its last state, and Meltano stores it, as after a tap crash
        (or, with SIGTERM, a tap stopped by its supervisor).
        """
        with tempfile.TemporaryFile("w+") as output:
            proc = subprocess.Popen(
                [MELTANO, *self.pipeline], cwd=ROOT, env=self.env, stdout=output, stderr=output
            )
            try:
                deadline = time.monotonic() + 300
                while not when():
                    assert proc.poll() is None, "the run finished before the tap could be killed"
                    assert time.monotonic() < deadline, "the moment to kill the tap never came"
                    time.sleep(0.005)
                _tap_process(proc.pid).send_signal(sig)
                proc.wait(timeout=300)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            output.seek(0)
            return subprocess.CompletedProcess(proc.args, proc.returncode, "", output.read())

    def state(self) -> dict:
        """The pipeline's Meltano state (``{}`` when there is none)."""
        listed = self.meltano("state", "list")
        state_id = next(
            (line.split()[0] for line in listed.stdout.splitlines() if "tap-servicetitan" in line),
            None,
        )
        if state_id is None:
            return {}
        got = self.meltano("state", "get", state_id)
        assert got.returncode == 0, got.stderr
        return json.loads(got.stdout).get("singer_state", {})

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(**self.database)

    def count_rows(self, table: str) -> int:
        with self.connect() as conn:
            exists = conn.execute("select to_regclass(%s)", (table,)).fetchone()[0]
            if exists is None:
                return 0
            return conn.execute(f"select count(*) from {table}").fetchone()[0]


def _tap_process(meltano_pid: int) -> psutil.Process:
    """The tap-servicetitan process Meltano started (the extractor's own venv)."""
    for child in psutil.Process(meltano_pid).children(recursive=True):
        try:
            if "/extractors/tap-servicetitan/" in " ".join(child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    msg = "no tap-servicetitan process under meltano"
    raise AssertionError(msg)
