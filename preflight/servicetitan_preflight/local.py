"""The local checks: plugins installed, state backend writable, the tenant's time zone known.

The state backend is tried, not inferred: SQLite takes its write lock and
releases it, PostgreSQL checks that Meltano's tables accept writes, a
``file://`` backend writes and removes a file. Cloud backends (S3, GCS,
Azure) are reported as not checked.

The time zone (dbt-postgres ``timezone``, the KPI tables' local dates) must be
an IANA name (``America/Chicago``), as Python's zoneinfo knows them; dbt
would otherwise refuse it after the extract-load.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import typing as t
import zoneinfo
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from servicetitan_preflight.report import Outcome, failed, passed, skipped

if t.TYPE_CHECKING:
    from servicetitan_preflight.pipeline import Pipeline, PluginSetting

AREA = "local"
#: The zone a failure suggests (any IANA name would do).
EXAMPLE_ZONE = "America/Chicago"
#: Where a value came from -> it is fixed there, not with ``meltano config set``.
ENVIRONMENT_STORES = ("env", "dotenv")


def check(pipeline: Pipeline) -> list[Outcome]:
    outcomes = [plugins_outcome(pipeline), state_backend_outcome(pipeline)]
    if pipeline.timezone is not None:
        outcomes.append(timezone_outcome(pipeline.timezone, pipeline.environment))
    return outcomes


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names zoneinfo knows (``localtime`` is this machine's, not a name)."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def timezone_outcome(setting: PluginSetting, environment: str | None = None) -> Outcome:
    """The tenant's time zone is an IANA name; unset or empty is dbt's default, UTC."""
    zone = "" if setting.value is None else str(setting.value).strip()  # dbt trims it too
    if not zone:
        return passed(AREA, "time zone", str(setting), "not set: UTC")
    if zone in time_zone_names():
        return passed(AREA, "time zone", str(setting), zone)
    if setting.source in ENVIRONMENT_STORES:
        where = ".env" if setting.source == "dotenv" else "the environment"
        fix = f"set {setting.env} to one in {where}, e.g. {setting.env}={EXAMPLE_ZONE}"
    else:
        scope = (
            f"--environment {environment} "
            if environment and setting.source == "meltano_environment"
            else ""
        )
        fix = f"meltano {scope}config set {setting.plugin} {setting.name} {EXAMPLE_ZONE}"
    line = f"{setting} {zone!r} is not an IANA time zone name: {fix}"
    return failed(AREA, "time zone", str(setting), line)


def plugins_outcome(pipeline: Pipeline) -> Outcome:
    names = ", ".join(plugin.name for plugin in pipeline.plugins)
    missing = [plugin.name for plugin in pipeline.plugins if not plugin.executable.exists()]
    if missing:
        line = f"plugin(s) not installed: {', '.join(missing)}; run `meltano install`"
        return failed(AREA, "plugins", names, line)
    return passed(AREA, "plugins", names, "installed")


def state_backend_outcome(pipeline: Pipeline) -> Outcome:
    uri = pipeline.state_backend_uri
    if uri == "systemdb":
        return _system_database(pipeline.database_uri)
    scheme = urlsplit(uri).scheme
    if scheme == "file":
        return _directory(Path(unquote(urlsplit(uri).path)))
    return skipped(AREA, "state backend", f"{scheme}://", "not checked")


def _system_database(uri: str) -> Outcome:
    scheme = urlsplit(uri).scheme.split("+")[0]
    if scheme == "sqlite":
        return _sqlite(Path(uri.split(":///", 1)[1]))
    if scheme.startswith("postgres"):
        return _postgres(uri)
    return skipped(AREA, "state backend", f"{scheme} system database", "not checked")


def _sqlite(path: Path) -> Outcome:
    subject = f"{path} (system database)"
    if not path.exists():
        return _directory(path.parent, subject=subject)
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
            conn.execute("begin immediate")  # the write lock a state update takes
            conn.execute("rollback")
    except sqlite3.Error as exc:
        line = (
            f"cannot write Meltano's state to {path} ({exc}); make it writable, or set "
            "MELTANO_DATABASE_URI / MELTANO_STATE_BACKEND_URI"
        )
        return failed(AREA, "state backend", subject, line)
    return passed(AREA, "state backend", subject, "writable")


def _postgres(uri: str) -> Outcome:
    parts = urlsplit(uri)
    subject = f"{parts.hostname}:{parts.port or 5432}{parts.path} (system database)"
    libpq_uri = "postgresql" + uri[uri.index(":") :]
    try:
        with psycopg.connect(libpq_uri, connect_timeout=5) as conn:
            writable = conn.execute(
                "select coalesce(bool_and(has_table_privilege(c.oid, 'INSERT') "
                "and has_table_privilege(c.oid, 'UPDATE')), false) "
                "from pg_class c where c.relname = 'state' and c.relkind = 'r' "
                "and pg_table_is_visible(c.oid)"
            ).fetchone()[0]
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        line = f"cannot reach Meltano's system database ({first}); check MELTANO_DATABASE_URI"
        return failed(AREA, "state backend", subject, line)
    if not writable:
        line = (
            "Meltano's system database has no writable state table; run `meltano upgrade` "
            "or grant INSERT, UPDATE on it (MELTANO_DATABASE_URI)"
        )
        return failed(AREA, "state backend", subject, line)
    return passed(AREA, "state backend", subject, "writable")


def _directory(path: Path, *, subject: str | None = None) -> Outcome:
    subject = subject or str(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".preflight-"):
            pass
    except OSError as exc:
        line = (
            f"cannot write Meltano's state under {path} ({exc.strerror}); make it writable, "
            "or set MELTANO_STATE_BACKEND_URI"
        )
        return failed(AREA, "state backend", subject, line)
    note = "writable" if existing == path else f"will be created in {existing}"
    return passed(AREA, "state backend", subject, note)
