"""Run Meltano against the repository's own meltano.yml with isolated state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from servicetitan_sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(Path(sys.executable).parent / "meltano")
PREFLIGHT = str(Path(sys.executable).parent / "servicetitan-preflight")
#: The job users schedule: preflight check, extract-load, transforms (meltano.yml).
FULL_PIPELINE = ("run", "servicetitan-sync")


class MeltanoProject:
    """The repo's Meltano project pointed at one sandbox and one database.

    State goes to a private SQLite system database so tests never share it.
    """

    def __init__(self, sandbox: SandboxServer, database: dict, state_dir: Path) -> None:
        self.sandbox = sandbox
        self.database = database
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_"))
            },
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
            "DBT_POSTGRES_TENANT_ID": str(sandbox.tenant_id),
        }

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
        result = self.meltano(*FULL_PIPELINE[:1], *extra, *FULL_PIPELINE[1:])
        assert result.returncode == 0, result.stderr[-4000:]
        return result

    def run_killed(
        self, *, after_rows: int, table: str = "customer_contacts", sig: int = signal.SIGKILL
    ) -> None:
        """Start a run and signal its whole process group once ``after_rows`` landed."""
        proc = subprocess.Popen(
            [MELTANO, *FULL_PIPELINE],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None:
                if self.count_rows(f"tap_servicetitan.{table}") >= after_rows:
                    break
                time.sleep(0.1)
            assert proc.poll() is None, "the run finished before it could be interrupted"
        finally:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=60)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(**self.database)

    def count_rows(self, table: str) -> int:
        with self.connect() as conn:
            exists = conn.execute("select to_regclass(%s)", (table,)).fetchone()[0]
            if exists is None:
                return 0
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
