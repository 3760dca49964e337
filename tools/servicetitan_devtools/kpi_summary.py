"""The demo's closing KPI summary: the last 30 days of the KPI tables, as a few short tables.

The window ends on the latest date the business-unit table has (the sandbox's
records stop at its simulated clock, which may be long before today), so the
summary shows data whatever the day the demo runs.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    import psycopg

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Window:
    """The dates the summary covers (inclusive)."""

    start: t.Any
    end: t.Any


def latest_window(conn: psycopg.Connection, schema: str) -> Window | None:
    """The last ``WINDOW_DAYS`` days up to the newest business-unit row, None when empty."""
    end = conn.execute(f"select max(date) from {schema}.kpi_business_unit_daily").fetchone()[0]
    if end is None:
        return None
    start = conn.execute("select %s::date - %s", (end, WINDOW_DAYS - 1)).fetchone()[0]
    return Window(start, end)


def business_units(
    conn: psycopg.Connection, schema: str, raw_schema: str, window: Window
) -> list[tuple]:
    """Revenue, jobs and rates per business unit over the window, largest revenue first."""
    names = f"{raw_schema}.business_units"
    if conn.execute("select to_regclass(%s)", (names,)).fetchone()[0] is None:
        names = "(select null::bigint as id, null::text as name where false)"
    return conn.execute(
        f"""
        select
            coalesce(units.name, 'BU ' || coalesce(kpi.business_unit_id::text, '(none)')),
            sum(kpi.total_revenue),
            sum(kpi.completed_jobs),
            round(sum(kpi.closed_jobs)::numeric / nullif(sum(kpi.opportunities), 0), 3),
            round(sum(kpi.converted_jobs)::numeric / nullif(sum(kpi.opportunities), 0), 3),
            round(sum(kpi.completed_revenue) / nullif(sum(kpi.completed_jobs), 0), 2)
        from {schema}.kpi_business_unit_daily as kpi
        left join lateral (
            select raw.name from {names} as raw
            where raw.id = kpi.business_unit_id limit 1
        ) as units on true
        where kpi.date between %s and %s
        group by 1
        order by 2 desc
        limit 8
        """,
        (window.start, window.end),
    ).fetchall()


def technicians(conn: psycopg.Connection, schema: str, window: Window) -> list[tuple]:
    """The five technicians with the most completed revenue over the window."""
    return conn.execute(
        f"""
        select
            coalesce(tech.name, '(no split)'),
            sum(kpi.completed_revenue),
            sum(kpi.completed_jobs),
            round(sum(kpi.closed_jobs)::numeric / nullif(sum(kpi.opportunities), 0), 3),
            sum(kpi.total_sales)
        from {schema}.kpi_technician_daily as kpi
        left join {schema}.st_technicians as tech
            on tech.tenant_id = kpi.tenant_id and tech.st_id = kpi.technician_id
        where kpi.date between %s and %s
        group by 1
        order by 2 desc
        limit 5
        """,
        (window.start, window.end),
    ).fetchall()


def campaigns(conn: psycopg.Connection, schema: str, window: Window) -> list[tuple]:
    """The five campaigns with the most cost (then leads) over the window."""
    return conn.execute(
        f"""
        select
            'campaign ' || coalesce(kpi.campaign_id::text, '(none)'),
            sum(kpi.leads),
            sum(kpi.cost),
            round(sum(kpi.cost) / nullif(sum(kpi.leads), 0), 2),
            round(sum(kpi.completed_revenue) / nullif(sum(kpi.cost), 0), 2)
        from {schema}.kpi_campaign_daily as kpi
        where kpi.date between %s and %s
        group by 1
        order by 3 desc, 2 desc
        limit 5
        """,
        (window.start, window.end),
    ).fetchall()


def receivables(conn: psycopg.Connection, schema: str) -> list[tuple]:
    """Invoices and balance per aging bucket of the latest snapshot."""
    return conn.execute(
        f"""
        select bucket, count(*), sum(balance)
        from {schema}.kpi_ar_aging
        where snapshot_date = (select max(snapshot_date) from {schema}.kpi_ar_aging)
        group by bucket
        order by array_position(
            array['current', '1-30', '31-60', '61-90', '91-120', 'over_120', 'no_terms'], bucket
        )
        """
    ).fetchall()


def _rate(value: t.Any) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def _money(value: t.Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


def summary_lines(
    conn: psycopg.Connection, schema: str, raw_schema: str, timezone: str
) -> list[str]:
    """The KPI summary as printable lines (a single line when the tables are empty)."""
    window = latest_window(conn, schema)
    if window is None:
        return ["KPIs: no completed jobs, invoices or sales yet."]
    lines = [
        f"KPIs, the last {WINDOW_DAYS} days of data ({window.start} to {window.end}, {timezone}):"
    ]
    lines.append(
        f"  {'business unit':<26}{'revenue':>14}{'jobs':>7}{'close':>8}{'convert':>9}{'avg ticket':>12}"
    )
    for name, revenue, jobs, close, convert, ticket in business_units(
        conn, schema, raw_schema, window
    ):
        lines.append(
            f"  {name[:25]:<26}{_money(revenue):>14}{jobs:>7,}{_rate(close):>8}"
            f"{_rate(convert):>9}{_money(ticket):>12}"
        )
    lines.append(f"  {'top technicians':<26}{'revenue':>14}{'jobs':>7}{'close':>8}{'sales':>14}")
    for name, revenue, jobs, close, sales in technicians(conn, schema, window):
        lines.append(
            f"  {name[:25]:<26}{_money(revenue):>14}{jobs:>7,}{_rate(close):>8}{_money(sales):>14}"
        )
    lines.append(f"  {'campaigns by cost':<26}{'leads':>8}{'cost':>13}{'per lead':>11}{'ROI':>8}")
    for name, leads, cost, per_lead, roi in campaigns(conn, schema, window):
        roi_text = "-" if roi is None else f"{roi}x"
        lines.append(
            f"  {name[:25]:<26}{leads:>8,}{_money(cost):>13}{_money(per_lead):>11}{roi_text:>8}"
        )
    lines.append(f"  {'receivables (today)':<26}{'invoices':>10}{'balance':>16}")
    for bucket, count, balance in receivables(conn, schema):
        lines.append(f"  {bucket:<26}{count:>10,}{_money(balance):>16}")
    return lines
