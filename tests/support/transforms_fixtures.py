"""Helpers for the transforms tests: scratch databases, raw loads, dbt runs.

Raw rows are loaded through the real target-postgres (the loader's exact
column types), from full records built out of the tap's JSON schemas plus
per-case overrides; the st_* tables are built by the real dbt project in
transforms/, run as a process with the environment Meltano gives it. Import
these helpers; this is not a conftest.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from tests.support import isolation
from tests.support.database import PG_HOST, PG_PORT, PG_USER, database_name

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas"
BIN_DIR = Path(sys.executable).parent
TARGET_POSTGRES = BIN_DIR / "target-postgres"
DBT = BIN_DIR / "dbt"
DBT_PROJECT = ROOT / "transforms"


RAW_SCHEMA = "tap_servicetitan"
TENANT_ID = 4242
TIMESTAMPS = ("last_synced_at", "aggregates_updated_at")
ST_TABLES = (
    "st_customers",
    "st_customer_contacts",
    "st_locations",
    "st_jobs",
    "st_invoices",
    "st_appointments",
    "st_estimates",
    "st_technicians",
)

# readable defaults for the fields the rules read; the rest comes from the schema
DEFAULTS: dict[str, dict[str, Any]] = {
    "customers": {
        "active": True,
        "name": "Customer",
        "type": "Residential",
        "address": {
            "street": "1 Bill St",
            "unit": None,
            "city": "Billtown",
            "state": "CA",
            "zip": "90001",
            "country": "USA",
            "latitude": None,
            "longitude": None,
        },
        "balance": 0,
        "mergedToId": None,
    },
    "customer_contacts": {"type": "Email", "value": "someone@example.com", "active": True},
    "locations": {
        "active": True,
        "name": "Home",
        "address": {
            "street": "1 Service Rd",
            "unit": None,
            "city": "Servicetown",
            "state": "CA",
            "zip": "90002",
            "country": "USA",
            "latitude": 34.05,
            "longitude": -118.25,
        },
    },
    "jobs": {"active": True, "jobStatus": "Completed", "total": 100, "jobNumber": "J"},
    "invoices": {
        "active": True,
        "total": 100,
        "balance": 0,
        "subTotal": 100,
        "salesTax": 0,
        "discountTotal": 0,
        "job": None,
        "location": None,
    },
    "appointments": {"status": "Done", "active": True},
    "estimates": {"active": True, "status": {"value": 1, "name": "Open"}, "subtotal": 10, "tax": 1},
    "technicians": {"active": True, "name": "Tech", "status": "Active"},
}
STREAMS = tuple(DEFAULTS)


def load_schema(stream: str) -> dict:
    """Return the tap's JSON schema of a stream."""
    return json.loads((SCHEMAS_DIR / f"{stream}.json").read_text())


def _filler(schema: dict) -> Any:
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "null" in types:
        return None
    if "object" in types:
        return {key: _filler(value) for key, value in schema.get("properties", {}).items()}
    if "array" in types:
        return []
    if "boolean" in types:
        return False
    if "integer" in types:
        return 1
    if "number" in types:
        return 0
    if schema.get("format") == "date-time":
        return "2024-01-01T00:00:00Z"
    return ""


def record(stream: str, record_id: int, **overrides: Any) -> dict:
    """Return a full record of a stream: schema filler, DEFAULTS, then overrides."""
    schema = load_schema(stream)
    full = {key: _filler(value) for key, value in schema["properties"].items()}
    full.update(copy.deepcopy(DEFAULTS[stream]))
    full["id"] = record_id
    full.update(overrides)
    return full


def admin_conninfo(dbname: str = "postgres") -> str:
    """Return a conninfo for the test server."""
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new empty database (tests/support/database.py); dropped afterwards."""
    with database_name() as name:
        yield name


def load_raw(
    dbname: str,
    records: dict[str, list[dict]],
    *,
    schema_name: str = RAW_SCHEMA,
    extra_properties: dict[str, dict] | None = None,
    tenant_id: int | None = TENANT_ID,
) -> None:
    """Load records through target-postgres (SCHEMA then RECORD messages).

    Args:
        dbname: the database.
        records: stream -> records; an empty list still sends the SCHEMA.
        schema_name: the raw schema (default_target_schema).
        extra_properties: stream -> extra JSON schema properties (e.g. fields
            a future API version adds).
        tenant_id: the tenant_id the tap writes into every record; None loads
            records as the tap wrote them before it did.
    """
    lines = []
    for stream, stream_records in records.items():
        schema = load_schema(stream)
        schema["properties"].update((extra_properties or {}).get(stream, {}))
        stamp = {}
        if tenant_id is not None:
            schema["properties"]["tenant_id"] = {"type": ["integer"]}
            stamp = {"tenant_id": tenant_id}
        lines.append(
            {
                "type": "SCHEMA",
                "stream": stream,
                "schema": schema,
                "key_properties": ["id"],
                "bookmark_properties": ["modifiedOn"],
            }
        )
        lines.extend(
            {"type": "RECORD", "stream": stream, "record": one | stamp} for one in stream_records
        )
    config = {
        "sqlalchemy_url": f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}",
        "default_target_schema": schema_name,
        "use_copy": True,
        "validate_records": False,
        "add_record_metadata": True,
    }
    config_path = isolation.scratch() / f"target_postgres_{dbname}.json"
    config_path.write_text(json.dumps(config))
    try:
        completed = subprocess.run(
            [str(TARGET_POSTGRES), "--config", str(config_path)],
            input="\n".join(json.dumps(line) for line in lines) + "\n",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        config_path.unlink(missing_ok=True)
    if completed.returncode != 0:
        raise AssertionError(f"target-postgres failed:\n{completed.stderr[-3000:]}")


@dataclass(frozen=True)
class TableRun:
    """What one dbt run did to one st_* table: its st_sync_log row."""

    module: str
    sync_type: str
    status: str
    records_fetched: int
    records_created: int
    records_updated: int
    records_deleted: int
    error_message: str | None


def dbt_env(dbname: str, *, target_schema: str | None = None) -> dict[str, str]:
    """The environment Meltano gives the dbt-postgres utility, for one database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAP_", "TARGET_", "DBT_", "MELTANO_"))
    }
    env.update(
        {
            **isolation.env(),
            "TARGET_POSTGRES_HOST": PG_HOST,
            "TARGET_POSTGRES_PORT": str(PG_PORT),
            "TARGET_POSTGRES_USER": PG_USER,
            "TARGET_POSTGRES_DATABASE": dbname,
        }
    )
    if target_schema is not None:
        env["DBT_POSTGRES_TARGET_SCHEMA"] = target_schema
    return env


def dbt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the project's dbt (the .venv's) with the given environment."""
    return subprocess.run(
        [str(DBT), *args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@dataclass(frozen=True)
class DbtRun:
    """One ``dbt run``: its st_sync_log rows by module and dbt's output."""

    tables: dict[str, TableRun]
    output: str


def run_dbt(
    dbname: str,
    *,
    full_refresh: bool = False,
    target_schema: str | None = None,
    env: dict[str, str] | None = None,
    succeed: bool = True,
) -> DbtRun:
    """``dbt run`` (``--full-refresh``) on a database; assert how it exits.

    Args:
        dbname: the database.
        full_refresh: pass ``--full-refresh``.
        target_schema: the schema of the st_* tables (default public).
        env: extra environment variables.
        succeed: whether dbt must exit 0 (True) or not (False).
    """
    schema = target_schema or "public"
    before = _last_log_id(dbname, schema)
    args = ("run", "--full-refresh") if full_refresh else ("run",)
    done = dbt(
        *args,
        env={**dbt_env(dbname, target_schema=target_schema), **(env or {})},
    )
    output = done.stdout + done.stderr
    assert (done.returncode == 0) == succeed, output[-6000:]
    if _last_log_id(dbname, schema) == before:
        return DbtRun({}, output)
    rows = query(
        dbname,
        sql.SQL(
            "select module, sync_type, status, records_fetched, records_created, "
            "records_updated, records_deleted, error_message from {} where st_id > %s "
            "and module = any(%s) order by st_id"
        )
        .format(sql.Identifier(schema, "st_sync_log"))
        .as_string(None),
        (before, list(ST_TABLES)),
    )
    return DbtRun({row["module"]: TableRun(**row) for row in rows}, output)


def run(
    dbname: str,
    *,
    full_refresh: bool = False,
    target_schema: str | None = None,
) -> dict[str, TableRun]:
    """``dbt run`` that must succeed; return this run's st_sync_log rows of the st_* tables.

    (The KPI models log themselves too; tests/test_kpi_rules.py checks them.)
    """
    return run_dbt(dbname, full_refresh=full_refresh, target_schema=target_schema).tables


def _last_log_id(dbname: str, schema: str) -> int:
    with psycopg.connect(admin_conninfo(dbname)) as conn:
        table = conn.execute(
            "select to_regclass(%s)", (sql.Identifier(schema, "st_sync_log").as_string(conn),)
        ).fetchone()[0]
        if table is None:
            return 0
        return conn.execute(
            sql.SQL("select coalesce(max(st_id), 0) from {}").format(
                sql.Identifier(schema, "st_sync_log")
            )
        ).fetchone()[0]


def query(dbname: str, statement: str, params: tuple | dict | None = None) -> list[dict]:
    """Return the rows of a query as dicts."""
    with psycopg.connect(admin_conninfo(dbname), row_factory=dict_row) as conn:
        return conn.execute(statement, params).fetchall()  # type: ignore[arg-type]


def snapshot(
    dbname: str, schema: str = "public", *, drop: tuple[str, ...] = ()
) -> dict[str, dict[int, dict]]:
    """Return every st_* table (st_sync_log aside) keyed by st_id."""
    tables = {}
    with psycopg.connect(admin_conninfo(dbname), row_factory=dict_row) as conn:
        for table in ST_TABLES:
            rows = conn.execute(
                sql.SQL("select * from {} order by tenant_id, st_id").format(
                    sql.Identifier(schema, table)
                )
            ).fetchall()
            tables[table] = {
                row["st_id"]: {k: v for k, v in row.items() if k not in drop} for row in rows
            }
    return tables


def sync_log(dbname: str, schema: str = "public") -> list[dict]:
    """Return st_sync_log's rows of the st_* tables in insertion order."""
    return query(
        dbname,
        sql.SQL("select * from {} where module = any(%s) order by st_id")
        .format(sql.Identifier(schema, "st_sync_log"))
        .as_string(None),
        (list(ST_TABLES),),
    )
