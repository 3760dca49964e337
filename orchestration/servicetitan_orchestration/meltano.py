"""One tenant's extract-load: ``meltano run`` in a subprocess, its output streamed.

The tenant's settings reach Meltano as environment variables, which win over
``.env`` and ``meltano.yml``: its tenant id, its API hosts, its secrets (read
from the variables tenants.yml names), its own raw schema, its time zone (the
dbt-postgres setting the preflight check checks), and the Meltano system
database. Its state id is ``<environment>:tap-servicetitan-to-target-postgres:<tenant id>``
(``--state-id-suffix``), so each tenant resumes from its own state.

Meltano writes a run's catalog and config under ``.meltano/run/<plugin>/``,
one set of files per plugin name, which tenants running side by side would
overwrite: each tenant gets a Meltano directory of its own,
``.meltano/tenants/<tenant id>`` (``MELTANO_SYS_DIR_ROOT``), whose plugin
folders link to the project's installed plugins. ``.meltano`` is
``$MELTANO_SYS_DIR_ROOT`` when that is set, as for Meltano itself.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import dagster as dg
from dotenv import dotenv_values
from pydantic import Field

from servicetitan_catalog.environments import environment
from servicetitan_orchestration.project import meltano_dir

if t.TYPE_CHECKING:
    import logging

    from servicetitan_orchestration.tenants import Tenant

#: The folders of installed plugins a tenant's Meltano directory links to.
PLUGIN_DIRS = ("extractors", "loaders", "utilities", "mappers", "transformers", "orchestrators")
#: Lines kept to explain a failure.
TAIL_LINES = 60
#: A line of Meltano's log: time, [level], plugin, the plugin's own line.
MELTANO_LINE = re.compile(r"^\S+\s+\[\s*\w+\s*\]\s+\S+\s+(?P<message>.*)$")
#: The one-line failures of the preflight check and the tap ("<program>: error: ...").
PLUGIN_ERROR = re.compile(r"^[\w.-]+: error: ")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExtractLoadError(Exception):
    """``meltano run`` failed for a tenant; the message names the tenant and the cause."""


class MeltanoResource(dg.ConfigurableResource):
    """Runs Meltano in the project for one tenant at a time."""

    project_dir: str = Field(description="The Meltano project (the repository root).")
    meltano_executable: str = Field(
        default_factory=lambda: str(Path(sys.executable).parent / "meltano"),
        description="The meltano command.",
    )
    database_uri: str | None = Field(
        default=None,
        description=(
            "MELTANO_DATABASE_URI: the system database holding every tenant's state. "
            "PostgreSQL for tenants running side by side (SQLite locks)."
        ),
    )
    preflight: bool = Field(
        default=True, description="Run servicetitan-preflight:check before the extract-load."
    )

    def command(self, tenant: Tenant) -> list[str]:
        """The ``meltano run`` of one tenant."""
        steps = ["servicetitan-preflight:check"] if self.preflight else []
        return [
            self.meltano_executable,
            "--environment", tenant.environment,
            "run", "--state-id-suffix", tenant.key,
            *steps, "tap-servicetitan", "target-postgres",
        ]  # fmt: skip

    @property
    def system_database_uri(self) -> str:
        """MELTANO_DATABASE_URI: the configured one, else the project's own SQLite file."""
        default = meltano_dir(Path(self.project_dir)) / "meltano.db"
        return self.database_uri or f"sqlite:///{default}"

    def tenant_dir(self, tenant: Tenant) -> Path:
        """The tenant's Meltano directory, its plugin folders linked to the project's."""
        shared = meltano_dir(Path(self.project_dir))
        own = shared / "tenants" / tenant.key
        own.mkdir(parents=True, exist_ok=True)
        for name in PLUGIN_DIRS:
            link = own / name
            if (shared / name).is_dir() and not link.is_symlink():
                with contextlib.suppress(FileExistsError):  # made by a run starting alongside
                    link.symlink_to(shared / name, target_is_directory=True)
        return own

    def variables(self) -> dict[str, str]:
        """The environment, over the project's ``.env`` (as Meltano reads it)."""
        dotenv = {
            name: value
            for name, value in dotenv_values(Path(self.project_dir, ".env")).items()
            if value is not None
        }
        return {**dotenv, **os.environ}

    def environment(self, tenant: Tenant) -> dict[str, str]:
        """The process environment of the tenant's run (its secrets included)."""
        hosts = environment(tenant.environment)
        env = {
            **os.environ,
            "MELTANO_SYS_DIR_ROOT": str(self.tenant_dir(tenant)),
            "MELTANO_DATABASE_URI": self.system_database_uri,
            "TAP_SERVICETITAN_TENANT_ID": tenant.key,
            "TAP_SERVICETITAN_API_URL": tenant.api_url or hosts.api_url,
            "TAP_SERVICETITAN_AUTH_URL": tenant.auth_url or hosts.auth_url,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": tenant.raw_schema,
            **tenant.dbt_variables,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        for setting, value in tenant.secret_values(self.variables()).items():
            env[f"TAP_SERVICETITAN_{setting.upper()}"] = value
        return env

    def prepare_system_database(self) -> None:
        """Create or migrate Meltano's system database once, before runs start side by side.

        Every ``meltano`` command migrates it when needed; several starting at
        once on a new database would race.
        """
        env = {
            **os.environ,
            "MELTANO_DATABASE_URI": self.system_database_uri,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        done = subprocess.run(
            [self.meltano_executable, "upgrade", "database"],
            cwd=self.project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = ANSI.sub("", done.stderr.strip()).splitlines()[-1:]
            msg = f"meltano upgrade database failed (check MELTANO_DATABASE_URI): {' '.join(tail)}"
            raise ExtractLoadError(msg)

    def extract_load(self, tenant: Tenant, log: logging.Logger | dg.DagsterLogManager) -> None:
        """Run the tenant's extract-load; Meltano's output goes to stderr as it comes.

        Dagster keeps a step's stderr (the run's compute logs in the UI).
        Raises ExtractLoadError naming the tenant, the setting to fix when the
        preflight check or the tap named one, and the tenant's secret variables.
        """
        command = self.command(tenant)
        log.info(f"tenant {tenant.id} ({tenant.name}): {' '.join(command[1:])}")
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        with subprocess.Popen(
            command,
            cwd=self.project_dir,
            env=self.environment(tenant),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                sys.stderr.write(line)
                tail.append(ANSI.sub("", line.rstrip()))
        if process.returncode != 0:
            raise ExtractLoadError(failure_message(tenant, process.returncode, tail))


def failure_message(tenant: Tenant, returncode: int, tail: t.Iterable[str]) -> str:
    """One line: the tenant, the problems the pipeline named (else the exit status)."""
    problems = dict.fromkeys(problem for line in tail if (problem := named_problem(line)))
    cause = " | ".join(problems) or f"meltano run exited with status {returncode}"
    secrets = ", ".join(f"{setting} from {name}" for setting, name in tenant.secrets.items())
    return f"tenant {tenant.id} ({tenant.name}): {cause} [tenants.yml: {secrets}]"


def named_problem(line: str) -> str | None:
    """The failure a line of Meltano's output reports in one line (the tap's, the check's)."""
    match = MELTANO_LINE.match(line)
    message = match["message"] if match else line
    if not PLUGIN_ERROR.match(message) and "check the setting" not in message:
        return None
    return PLUGIN_ERROR.sub("", message).strip()
