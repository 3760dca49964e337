"""The KPI tables in the warehouse: dbt runs with a time zone and a run date, reads.

Built on tests/support/transforms_fixtures.py (scratch databases, raw loads
through target-postgres, the project's dbt with Meltano's environment).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

from psycopg import sql

from tests.support.kpi_oracle import KEYS, TABLES
from tests.support.transforms_fixtures import dbt, dbt_env, query

#: The contract's column types (information_schema data_type, precision, scale).
MONEY = ("numeric", 14, 2)
RATE = ("numeric", 10, 4)
HOURS = ("numeric", 12, 2)
BIGINT = ("bigint", 64, 0)
DATE = ("date", None, None)
TIMESTAMPTZ = ("timestamp with time zone", None, None)
COLUMN_TYPES: dict[str, dict[str, tuple]] = {
    "kpi_business_unit_daily": {
        "tenant_id": BIGINT,
        "business_unit_id": BIGINT,
        "date": DATE,
        "completed_revenue": MONEY,
        "adjustment_revenue": MONEY,
        "non_job_revenue": MONEY,
        "total_revenue": MONEY,
        "completed_jobs": BIGINT,
        "opportunities": BIGINT,
        "converted_jobs": BIGINT,
        "closed_jobs": BIGINT,
        "conversion_rate": RATE,
        "close_rate": RATE,
        "average_ticket": MONEY,
        "total_sales": MONEY,
        "sold_estimates": BIGINT,
        "last_synced_at": TIMESTAMPTZ,
    },
    "kpi_technician_daily": {
        "tenant_id": BIGINT,
        "technician_id": BIGINT,
        "date": DATE,
        "completed_jobs": BIGINT,
        "completed_revenue": MONEY,
        "opportunities": BIGINT,
        "converted_jobs": BIGINT,
        "closed_jobs": BIGINT,
        "conversion_rate": RATE,
        "close_rate": RATE,
        "total_sales": MONEY,
        "sold_estimates": BIGINT,
        "sold_hours": HOURS,
        "worked_hours": HOURS,
        "last_synced_at": TIMESTAMPTZ,
    },
    "kpi_campaign_daily": {
        "tenant_id": BIGINT,
        "campaign_id": BIGINT,
        "date": DATE,
        "leads": BIGINT,
        "booked_calls": BIGINT,
        "booking_rate": RATE,
        "completed_jobs": BIGINT,
        "converted_jobs": BIGINT,
        "completed_revenue": MONEY,
        "cost": MONEY,
        "cost_per_lead": MONEY,
        "roi": ("numeric", 12, 4),
        "last_synced_at": TIMESTAMPTZ,
    },
    "kpi_membership_monthly": {
        "tenant_id": BIGINT,
        "membership_type_id": BIGINT,
        "business_unit_id": BIGINT,
        "month": DATE,
        "active_at_end": BIGINT,
        "activated": BIGINT,
        "canceled": BIGINT,
        "expired": BIGINT,
        "suspended": BIGINT,
        "churn_rate": RATE,
        "last_synced_at": TIMESTAMPTZ,
    },
    "kpi_ar_aging": {
        "tenant_id": BIGINT,
        "snapshot_date": DATE,
        "invoice_id": BIGINT,
        "customer_id": BIGINT,
        "business_unit_id": BIGINT,
        "invoice_date": DATE,
        "due_date": DATE,
        "balance": MONEY,
        "days_past_due": ("integer", 32, 0),
        "bucket": ("text", None, None),
        "last_synced_at": TIMESTAMPTZ,
    },
    "st_payment_applications": {
        "tenant_id": BIGINT,
        "payment_id": BIGINT,
        "invoice_id": BIGINT,
        "applied_amount": MONEY,
        "applied_on": TIMESTAMPTZ,
        "last_synced_at": TIMESTAMPTZ,
    },
}


def kpi_dbt(
    command: str,
    dbname: str,
    *,
    run_date: dt.date | None,
    timezone: str | None,
    raw_schema: str | None = None,
    full_refresh: bool = False,
    succeed: bool = True,
) -> str:
    """``dbt <command>`` with DBT_POSTGRES_TIMEZONE and ``--vars {kpi_run_date}``; its output.

    Asserts how dbt exits (``succeed``) and shows dbt's output when it did not.
    """
    env = dbt_env(dbname)
    if timezone is not None:
        env["DBT_POSTGRES_TIMEZONE"] = timezone
    if raw_schema is not None:
        env["DBT_POSTGRES_RAW_SCHEMA"] = raw_schema
    args = [command]
    if full_refresh:
        args.append("--full-refresh")
    if run_date is not None:
        args += ["--vars", json.dumps({"kpi_run_date": run_date.isoformat()})]
    done: subprocess.CompletedProcess = dbt(*args, env=env)
    output = done.stdout + done.stderr
    assert (done.returncode == 0) == succeed, (
        f"dbt {' '.join(args)} exited {done.returncode}:\n{failures(output) or output[-6000:]}"
    )
    return output


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failures(output: str) -> str:
    """dbt's summary of what failed (the lines after "Completed with"), colours removed."""
    lines = [_ANSI.sub("", line) for line in output.splitlines()]
    start = next((i for i, line in enumerate(lines) if "Completed with" in line), None)
    kept = [line for line in lines[start or 0 :] if re.sub(r"^\d\d:\d\d:\d\d", "", line).strip()]
    return "" if start is None else "\n".join(kept)


def missing_tables(dbname: str, schema: str = "public") -> list[str]:
    """The KPI tables the warehouse does not have."""
    found = query(
        dbname,
        "select table_name from information_schema.tables where table_schema = %s",
        (schema,),
    )
    have = {row["table_name"] for row in found}
    return [table for table in TABLES if table not in have]


def read_table(
    dbname: str, table: str, *, tenant_id: int | None = None, schema: str = "public"
) -> list[dict]:
    """A KPI table's rows (one tenant's when ``tenant_id`` is given), in key order."""
    statement = sql.SQL("select * from {} {} order by {}").format(
        sql.Identifier(schema, table),
        sql.SQL("where tenant_id = %s" if tenant_id is not None else ""),
        sql.SQL(", ").join(sql.Identifier(k) for k in KEYS[table]),
    )
    return query(dbname, statement.as_string(None), (tenant_id,) if tenant_id is not None else None)


def read_all(
    dbname: str, *, tenant_id: int | None = None, schema: str = "public"
) -> dict[str, list[dict]]:
    """Every KPI table; fails naming the tables dbt did not build."""
    absent = missing_tables(dbname, schema)
    assert not absent, f"dbt built no {', '.join(absent)} in schema {schema}"
    return {
        table: read_table(dbname, table, tenant_id=tenant_id, schema=schema) for table in TABLES
    }


def column_types(dbname: str, table: str, schema: str = "public") -> dict[str, tuple]:
    rows = query(
        dbname,
        """
        select column_name, data_type, numeric_precision, numeric_scale
        from information_schema.columns where table_schema = %s and table_name = %s
        """,
        (schema, table),
    )
    return {
        row["column_name"]: (row["data_type"], row["numeric_precision"], row["numeric_scale"])
        for row in rows
    }
