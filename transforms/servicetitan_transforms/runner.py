"""Apply the SQL transforms in order, in one transaction, and log the run.

Every ``transforms/sql/NNN_*.sql`` file is a template: ``{target}``,
``{raw_<table>}``, ``{tenant_id}``, ``{full_refresh}`` and ``{sdc_columns}``
are filled with quoted identifiers and literals by psycopg.sql, never by
string pasting. ``{raw_<table>.<column>}`` is a typed column of a raw table
(read through the alias ``raw_<table>``), or ``null`` when the loader never
created that column (a field the API did not send, a table not loaded).
"""

from __future__ import annotations

import re
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Callable

    from servicetitan_transforms.settings import Settings

# raw tables read by the transforms; only customers is required
RAW_TABLES = (
    "customers",
    "customer_contacts",
    "locations",
    "jobs",
    "invoices",
    "appointments",
    "estimates",
    "technicians",
)
REQUIRED_RAW_TABLES = ("customers",)

# target-postgres metadata columns, left out of full_data
SDC_COLUMNS = (
    "_sdc_extracted_at",
    "_sdc_received_at",
    "_sdc_batched_at",
    "_sdc_deleted_at",
    "_sdc_sequence",
    "_sdc_table_version",
    "_sdc_sync_started_at",
)

SYNC_LOG_FILE = "000_st_sync_log.sql"
# columns of a stand-in for a raw table that was never loaded
STAND_IN_COLUMNS = ("id", "_sdc_batched_at")
MODULE_FILE = re.compile(r"^\d+_(st_[a-z0-9_]+)\.sql$")


class TransformError(RuntimeError):
    """A run failed; the message is one line meant for the user."""


@dataclass(frozen=True)
class TableSummary:
    """What a run did to one st_* table."""

    module: str
    sync_type: str
    records_fetched: int
    records_created: int
    records_updated: int
    records_deleted: int
    duration_ms: int

    def line(self) -> str:
        """Return the one-line summary printed by the CLI."""
        return (
            f"{self.module:<22} {self.sync_type:<11} fetched {self.records_fetched:>8}  "
            f"created {self.records_created:>8}  updated {self.records_updated:>8}  "
            f"deleted {self.records_deleted:>6}  {self.duration_ms:>7} ms"
        )


def sql_directory() -> Path:
    """Return the directory of the SQL files (packaged, or the source tree's)."""
    packaged = Path(__file__).parent / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "sql"


def sql_files(directory: Path | None = None) -> list[Path]:
    """Return the SQL files in the order they are applied."""
    directory = directory or sql_directory()
    files = sorted(path for path in directory.glob("*.sql") if path.name[:1].isdigit())
    if not files:
        raise TransformError(f"no SQL files found in {directory}")
    return files


def modules(files: list[Path]) -> list[str]:
    """Return the st_* tables the files build (st_sync_log aside)."""
    names = []
    for path in files:
        match = MODULE_FILE.match(path.name)
        if match and match.group(1) != "st_sync_log":
            names.append(match.group(1))
    return names


def error_text(error: BaseException) -> str:
    """Return a one-line description of a database or other error."""
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        text = error.diag.message_primary
    else:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return " ".join(text.split())


def _placeholders(
    settings: Settings, full_refresh: bool, present: set[str]
) -> dict[str, sql.Composable]:
    values: dict[str, sql.Composable] = {
        "target": sql.Identifier(settings.target_schema),
        "tenant_id": sql.Literal(settings.tenant_id),
        "full_refresh": sql.Literal(full_refresh),
        "sdc_columns": sql.SQL("array[{}]::text[]").format(
            sql.SQL(", ").join(sql.Literal(name) for name in SDC_COLUMNS)
        ),
    }
    for table in RAW_TABLES:
        schema = settings.raw_schema if table in present else "pg_temp"
        values[f"raw_{table}"] = sql.Identifier(schema, table)
    return values


def _column_placeholders(
    files: list[Path], columns: dict[str, tuple[str, ...]]
) -> dict[str, sql.Composable]:
    """Return the column placeholders of the SQL files.

    ``raw_<table>.<column>`` is the quoted column, or null when absent;
    ``raw_<table>.*`` is every column of the raw record but the loader's, in
    jsonb key order.
    """
    values: dict[str, sql.Composable] = {}
    for path in files:
        for _, name, _, _ in string.Formatter().parse(path.read_text(encoding="utf-8")):
            if not name or "." not in name:
                continue
            alias, column = name.split(".", 1)
            table = alias.removeprefix("raw_")
            if not alias.startswith("raw_") or table not in RAW_TABLES:
                raise TransformError(f"{path.name}: unknown placeholder {{{name}}}")
            present = columns.get(table, STAND_IN_COLUMNS)
            if column == "*":
                values[name] = sql.SQL(", ").join(
                    sql.Identifier(alias, raw_column)
                    for raw_column in sorted(present, key=jsonb_key_order)
                    if raw_column not in SDC_COLUMNS
                )
            elif column in present:
                values[name] = sql.Identifier(alias, column)
            else:
                values[name] = sql.SQL("null")
    return values


def jsonb_key_order(name: str) -> tuple[int, bytes]:
    """Return the sort key jsonb gives an object key: its length, then its bytes.

    ``{raw_<table>.*}`` lists the columns in this order, the order jsonb stores
    the keys in anyway, so to_jsonb of the record finds them already sorted and
    skips sorting them for every row (a third of a full build's to_jsonb time).
    """
    encoded = name.encode("utf-8")
    return (len(encoded), encoded)


def render(path: Path, placeholders: dict[str, sql.Composable]) -> sql.Composed:
    """Fill a SQL file's placeholders."""
    return sql.SQL(path.read_text(encoding="utf-8")).format(**placeholders)  # type: ignore[arg-type]


def _inspect_raw(conn: psycopg.Connection, raw_schema: str) -> dict[str, bool]:
    """Return {raw table: has _sdc_batched_at} for the raw tables that exist."""
    rows = conn.execute(
        """
        select
            cls.relname,
            exists (
                select 1
                from pg_catalog.pg_attribute as att
                where att.attrelid = cls.oid
                    and att.attname = '_sdc_batched_at'
                    and not att.attisdropped
            )
        from pg_catalog.pg_class as cls
        inner join pg_catalog.pg_namespace as nsp on nsp.oid = cls.relnamespace
        where nsp.nspname = %s
            and cls.relname = any(%s)
            and cls.relkind in ('r', 'p')
        """,
        (raw_schema, list(RAW_TABLES)),
    ).fetchall()
    return {str(name): bool(has_batched_at) for name, has_batched_at in rows}


def _raw_columns(conn: psycopg.Connection, raw_schema: str) -> dict[str, tuple[str, ...]]:
    """Return {raw table: its column names, in order} for the raw tables that exist."""
    rows = conn.execute(
        """
        select
            cls.relname,
            array_agg(att.attname::text order by att.attnum)
        from pg_catalog.pg_class as cls
        inner join pg_catalog.pg_namespace as nsp on nsp.oid = cls.relnamespace
        inner join pg_catalog.pg_attribute as att on att.attrelid = cls.oid
        where nsp.nspname = %s
            and cls.relname = any(%s)
            and cls.relkind in ('r', 'p')
            and att.attnum > 0
            and not att.attisdropped
        group by cls.relname
        """,
        (raw_schema, list(RAW_TABLES)),
    ).fetchall()
    return {str(name): tuple(columns) for name, columns in rows}


def _log_failure(
    settings: Settings,
    files: list[Path],
    full_refresh: bool,
    started_at: float,
    message: str,
) -> None:
    """Record a failed run in st_sync_log, in a transaction of its own."""
    placeholders = _placeholders(settings, full_refresh, set())
    duration_ms = int((time.monotonic() - started_at) * 1000)
    with psycopg.connect(settings.conninfo, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(settings.target_schema))
        )
        conn.execute(render(sql_directory() / SYNC_LOG_FILE, placeholders))
        conn.execute(
            sql.SQL(
                """
                insert into {target}.st_sync_log (
                    tenant_id, module, sync_type, status, records_failed,
                    duration_ms, error_message, started_at, completed_at
                )
                select
                    {tenant_id},
                    module.name,
                    case
                        when {full_refresh} or not exists (
                            select 1
                            from {target}.st_sync_log as previous
                            where previous.tenant_id = {tenant_id}
                                and previous.module = module.name
                                and previous.status = 'completed'
                        ) then 'full'
                        else 'incremental'
                    end,
                    'failed',
                    0,
                    %(duration_ms)s,
                    %(message)s,
                    now() - make_interval(secs => %(duration_ms)s / 1000.0),
                    now()
                from unnest(%(modules)s::text[]) as module (name)
                """
            ).format(**placeholders),
            {"duration_ms": duration_ms, "message": message, "modules": modules(files)},
        )


def run_transforms(
    settings: Settings,
    *,
    full_refresh: bool = False,
    warn: Callable[[str], None] | None = None,
    sql_dir: Path | None = None,
) -> list[TableSummary]:
    """Build or refresh the st_* tables in one transaction.

    Args:
        settings: connection, schemas and tenant.
        full_refresh: rebuild every row instead of only what changed.
        warn: called with each warning (missing optional raw tables).
        sql_dir: directory of the SQL files (the packaged ones by default).

    Returns:
        One summary per st_* table.

    Raises:
        TransformError: the run failed and was rolled back; the failure is
            recorded in st_sync_log when the database is reachable.
    """
    warn = warn or (lambda message: None)
    files = sql_files(sql_dir)
    started_at = time.monotonic()
    try:
        conn = psycopg.connect(
            settings.conninfo, connect_timeout=10, application_name="servicetitan-transforms"
        )
    except psycopg.Error as error:
        raise TransformError(
            f"cannot connect to {settings.describe_connection()}: {error_text(error)}"
        ) from None

    current = "checking the raw tables"
    try:
        with conn:
            present = _inspect_raw(conn, settings.raw_schema)
            for table in REQUIRED_RAW_TABLES:
                if table not in present:
                    raise TransformError(
                        f'raw table "{settings.raw_schema}"."{table}" not found: load the '
                        f"{table} stream first, or set the raw schema (--raw-schema / "
                        "SERVICETITAN_TRANSFORMS_RAW_SCHEMA)"
                    )
            for table, has_batched_at in present.items():
                if not has_batched_at:
                    raise TransformError(
                        f'raw table "{settings.raw_schema}"."{table}" has no _sdc_batched_at '
                        "column: configure target-postgres with add_record_metadata: true"
                    )
            for table in RAW_TABLES:
                if table not in present:
                    warn(
                        f'raw table "{settings.raw_schema}"."{table}" not found: st_{table} '
                        "is left as it is and counts nothing from it"
                    )
                    conn.execute(
                        sql.SQL(
                            "create temp table {} (id bigint, _sdc_batched_at timestamp) "
                            "on commit drop"
                        ).format(sql.Identifier(table))
                    )
            placeholders = _placeholders(settings, full_refresh, set(present))
            placeholders.update(
                _column_placeholders(files, _raw_columns(conn, settings.raw_schema))
            )
            conn.execute(
                sql.SQL("create schema if not exists {}").format(
                    sql.Identifier(settings.target_schema)
                )
            )
            for path in files:
                current = path.name
                conn.execute(render(path, placeholders))
            current = "reading the run summary"
            rows = conn.execute(
                """
                select
                    module,
                    sync_type,
                    records_fetched,
                    records_created,
                    records_updated,
                    records_deleted,
                    (extract(epoch from completed_at - started_at) * 1000)::bigint
                from pg_temp.run_stats
                order by started_at
                """
            ).fetchall()
            current = "committing"
    except TransformError as error:
        message = str(error)
        _try_log_failure(settings, files, full_refresh, started_at, message)
        raise
    except Exception as error:
        message = f"{current}: {error_text(error)}"
        _try_log_failure(settings, files, full_refresh, started_at, message)
        raise TransformError(message) from error
    finally:
        conn.close()
    return [TableSummary(*row) for row in rows]


def _try_log_failure(
    settings: Settings, files: list[Path], full_refresh: bool, started_at: float, message: str
) -> None:
    try:
        _log_failure(settings, files, full_refresh, started_at, message)
    except psycopg.Error:
        # the run's own error is what the user needs; the log is best effort
        return
