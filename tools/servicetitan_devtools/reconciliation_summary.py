"""The demo's reconciliation lines: the latest check of each stream in st_reconciliation."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    import psycopg

HEADER = "Reconciliation (st_reconciliation: ServiceTitan's own counts against the warehouse's):"


def reconciliation_lines(conn: psycopg.Connection, schema: str) -> list[str]:
    """One line per stream (its latest check), or none when st_reconciliation is empty."""
    from psycopg import sql

    exists = conn.execute("select to_regclass(%s)", (f"{schema}.st_reconciliation",)).fetchone()
    if exists is None or exists[0] is None:
        return []
    rows = conn.execute(
        sql.SQL(
            "select distinct on (tenant_id, stream) status, message from {}.st_reconciliation "
            "order by tenant_id, stream, checked_at desc"
        ).format(sql.Identifier(schema))
    ).fetchall()
    if not rows:
        return []
    lines = [HEADER]
    lines += [f"  {status:<12}{message}" for status, message in rows]
    gaps = sum(1 for status, _ in rows if status == "missing")
    if gaps:
        lines.append(
            f"  {gaps} stream(s) miss records: meltano invoke dbt-postgres:test fails until they "
            'arrive (docs/reports.md, "Reconciliation")'
        )
    return lines
