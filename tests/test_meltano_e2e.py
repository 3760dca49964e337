"""End to end: meltano run tap-servicetitan target-postgres dbt-postgres:run
on the sandbox environment into a real PostgreSQL, then dbt-postgres:test."""

from __future__ import annotations

import datetime as dt
import re
import signal
from decimal import Decimal

import pytest

from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.protocol import decode_continue
from tap_servicetitan.streams import CORE_STREAMS
from tests.support.meltano_project import MeltanoProject
from tests.support.oracle import expected_customers, timestamp

pytestmark = pytest.mark.e2e

STREAMS = [stream.name for stream in CORE_STREAMS]
ST_TABLES = {
    "st_customers": "customers",
    "st_locations": "locations",
    "st_jobs": "jobs",
    "st_invoices": "invoices",
    "st_appointments": "appointments",
    "st_estimates": "estimates",
    "st_technicians": "technicians",
}
SYNC_TIMESTAMPS = {"last_synced_at", "aggregates_updated_at"}
LOAD_TIMES = ("_sdc_extracted_at", "_sdc_batched_at")


def utc_now() -> dt.datetime:
    """Now in UTC without a zone, as target-postgres stores the _sdc_* times."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def project_for(database, tmp_path):
    def make(sandbox: SandboxServer) -> MeltanoProject:
        return MeltanoProject(sandbox, database, tmp_path)

    return make


def assert_raw_tables_equal_dataset(project: MeltanoProject) -> None:
    with project.connect() as conn:
        for stream in STREAMS:
            rows = conn.execute(
                f'select id, "modifiedOn" from tap_servicetitan.{stream}'
            ).fetchall()
            loaded = {row[0]: row[1] for row in rows}
            current = {r["id"]: r for r in project.sandbox.dataset.records(stream)}
            assert set(loaded) == set(current), stream
            stale = [
                i
                for i, record in current.items()
                if timestamp(record["modifiedOn"]).replace(tzinfo=None) != loaded[i]
            ]
            assert not stale, f"{stream}: stale rows {stale[:5]}"


def assert_load_times_within(
    project: MeltanoProject, started: dt.datetime, ended: dt.datetime
) -> None:
    """Every raw row carries the time it was extracted and batched, within the run."""
    with project.connect() as conn:
        for stream in STREAMS:
            for column in LOAD_TIMES:
                unset, earliest, latest = conn.execute(
                    f"select count(*) filter (where {column} is null), min({column}), "
                    f"max({column}) from tap_servicetitan.{stream}"
                ).fetchone()
                assert unset == 0, (stream, column)
                assert started <= earliest <= latest <= ended, (stream, column)


def folders_in(tenant_folder) -> set[str]:
    return {p.name for p in tenant_folder.glob("run-*")}


def run_folders(project: MeltanoProject) -> set[str]:
    folder = project.batch_folder
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def assert_st_customers_match_oracle(project: MeltanoProject) -> None:
    expected = expected_customers(project.sandbox.dataset)
    with project.connect() as conn:
        cursor = conn.execute("select * from public.st_customers")
        columns = [c.name for c in cursor.description]
        actual = {
            row[columns.index("st_id")]: dict(zip(columns, row, strict=True)) for row in cursor
        }
    assert set(actual) == set(expected)
    mismatches = []
    for st_id, want in expected.items():
        got = actual[st_id]
        assert got["tenant_id"] == project.sandbox.tenant_id
        for column, value in want.items():
            have = got[column]
            if isinstance(value, Decimal):
                have = Decimal(have)
            if have != value:
                mismatches.append((st_id, column, value, have))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"


def assert_st_tables_cover_raw(project: MeltanoProject) -> None:
    with project.connect() as conn:
        for table, stream in ST_TABLES.items():
            ids = {r[0] for r in conn.execute(f"select st_id from public.{table}")}
            assert ids == project.sandbox.dataset.ids(stream), table


def snapshot(project: MeltanoProject) -> dict[str, list[tuple]]:
    """Every st_* and raw table, minus sync timestamps and loader metadata."""
    tables = {f"public.{t}": SYNC_TIMESTAMPS for t in ST_TABLES}
    tables.update({f"tap_servicetitan.{s}": set() for s in STREAMS})
    result = {}
    with project.connect() as conn:
        for table, skip in tables.items():
            cursor = conn.execute(f"select * from {table}")
            keep = [
                i
                for i, c in enumerate(cursor.description)
                if c.name not in skip and not c.name.startswith("_sdc_")
            ]
            result[table] = sorted(
                (tuple(str(row[i]) for i in keep) for row in cursor), key=lambda r: r
            )
    return result


@pytest.mark.parametrize("messages", ["batch", "records"])
def test_full_pipeline_builds_st_tables_from_the_sandbox(project_for, messages) -> None:
    with SandboxServer(customers=2000, seed=101) as sandbox:
        project = project_for(sandbox)
        if messages == "records":
            project.env["TAP_SERVICETITAN_BATCH_CONFIG"] = "{}"
        folders = run_folders(project)
        started = utc_now()
        project.run()
        ended = utc_now()
        if messages == "batch":  # meltano.yml's default
            (this_run,) = run_folders(project) - folders
            # the state names the run's folder as loaded: the next run removes it
            assert project.state()["batch_files"] == {"finished_run": this_run}
        else:
            assert run_folders(project) == folders  # no batch files at all
        assert_load_times_within(project, started, ended)
        assert_raw_tables_equal_dataset(project)
        assert_st_tables_cover_raw(project)
        assert_st_customers_match_oracle(project)
        with project.connect() as conn:
            log = conn.execute(
                "select module, sync_type, status from public.st_sync_log"
            ).fetchall()
            money_types = dict(
                conn.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'tap_servicetitan' and table_name = 'invoices' "
                    "and column_name in ('total', 'balance', 'subTotal', 'salesTax')"
                ).fetchall()
            )
            lifetime_total = conn.execute(
                "select sum(lifetime_value) from public.st_customers"
            ).fetchone()[0]
        # invoice money, sent as decimal strings, lands as exact numerics
        assert money_types == dict.fromkeys(("total", "balance", "subTotal", "salesTax"), "numeric")
        expected_total = sum(
            row["lifetime_value"] for row in expected_customers(sandbox.dataset).values()
        )
        assert lifetime_total == expected_total
        assert log and all(status == "completed" for _, _, status in log)
        assert {sync_type for _, sync_type, _ in log} == {"full"}

        # the project's data tests on the synced tables: keys, relationships, accepted values
        tested = project.meltano("invoke", "dbt-postgres:test")
        assert tested.returncode == 0, (tested.stdout + tested.stderr)[-4000:]
        assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0", tested.stdout), tested.stdout[-2000:]
        # every raw table was loaded just now: fresh
        fresh = project.meltano("invoke", "dbt-postgres:freshness")
        assert fresh.returncode == 0, (fresh.stdout + fresh.stderr)[-4000:]
        assert len(re.findall(r"PASS freshness of servicetitan\.\w+", fresh.stdout)) == 8


def test_incremental_run_picks_up_every_change(project_for) -> None:
    with SandboxServer(customers=1500, seed=202) as sandbox:
        project = project_for(sandbox)
        sandbox.reset_counters()
        project.run()
        first_requests = sandbox.counters["requests"]

        # a phone number deleted without touching its customer
        phone = next(
            c
            for c in sandbox.dataset.records("customer_contacts")
            if c["type"] in {"Phone", "MobilePhone"} and c["active"]
        )
        sandbox.dataset.update("customer_contacts", phone["id"], active=False)
        summary = sandbox.mutate(fraction=0.02, seed=5)
        assert summary

        sandbox.reset_counters()
        project.run()
        second_requests = sandbox.counters["requests"]
        assert second_requests <= max(len(STREAMS) * 2, first_requests // 10)

        assert_raw_tables_equal_dataset(project)
        assert_st_tables_cover_raw(project)
        assert_st_customers_match_oracle(project)
        with project.connect() as conn:
            log = conn.execute(
                "select distinct sync_type from public.st_sync_log where started_at = "
                "(select max(started_at) from public.st_sync_log)"
            ).fetchall()
        assert {row[0] for row in log} == {"incremental"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_run_resumes_to_the_same_tables(
    project_for, database, tmp_path_factory, sig
) -> None:
    with SandboxServer(customers=1200, seed=303, export_page_size=50) as sandbox:
        project = project_for(sandbox)
        project.env["TARGET_POSTGRES_BATCH_SIZE_ROWS"] = "100"
        project.set_batch_config(batch_size=100)
        sandbox.faults.configure(latency=0.02)
        project.run_killed(after_rows=300, sig=sig)
        sandbox.faults.reset()
        # a killed job still looks "running" to Meltano until it goes stale: --force
        project.run("--force")
        assert_raw_tables_equal_dataset(project)
        assert_st_customers_match_oracle(project)
        resumed = snapshot(project)

    with SandboxServer(customers=1200, seed=303, export_page_size=50) as clean_sandbox:
        clean = MeltanoProject(clean_sandbox, database, tmp_path_factory.mktemp("clean"))
        with clean.connect() as conn:
            conn.execute("drop schema tap_servicetitan cascade")
            conn.execute("drop schema public cascade")
            conn.execute("create schema public")
        clean.run()
        assert snapshot(clean) == resumed


def test_tap_killed_while_a_batch_file_is_open_resumes_without_a_gap(project_for, tmp_path) -> None:
    """The worst moment for BATCH: pages extracted and their resume points made,
    but the file holding them not yet announced to the target.

    Files of 4 pages (200 records, 50 a page). The tap alone is killed at its
    40th request, four streams in flight, each with pages in its open file
    past its last announced one. The target loads what was announced and
    writes its last state, which Meltano stores.
    """
    with SandboxServer(customers=1200, seed=606, export_page_size=50) as sandbox:
        project = project_for(sandbox)
        # a batch folder of its own: other runs' folders stay in the project's for a day
        root = tmp_path / "batches"
        project.set_batch_config(batch_size=200, storage={"root": root.as_uri()})
        tenant_folder = root / f"tap-servicetitan-{sandbox.tenant_id}"
        sandbox.faults.configure(latency=0.1)
        sandbox.reset_counters()
        killed = project.run_killing_tap(lambda: sandbox.counters["requests"] >= 40)
        requests_at_kill = sandbox.counters["requests"]
        sandbox.faults.reset()
        assert killed.returncode != 0
        (killed_run,) = folders_in(tenant_folder)

        # every stored resume point covers only records the target loaded ...
        covered_in_all = 0
        for stream, bookmark in project.state()["bookmarks"].items():
            token = bookmark.get("continue_from")
            if not token:
                continue
            covered = {
                rid
                for rid in sandbox.dataset.ids(stream)
                if sandbox.dataset.version_of(stream, rid) <= decode_continue(token)
            }
            with project.connect() as conn:
                rows = conn.execute(f"select id from tap_servicetitan.{stream}")
                assert covered <= {r[0] for r in rows}, stream
            covered_in_all += len(covered)
        assert covered_in_all
        # ... although the tap had extracted pages beyond them when it died
        assert covered_in_all < 50 * (requests_at_kill - 4)

        project.run()
        assert_raw_tables_equal_dataset(project)
        assert_st_customers_match_oracle(project)
        # the killed run never said it finished: its files stay (removed after
        # RETENTION_HOURS); the rerun's folder is the one its state names as loaded
        assert killed_run in folders_in(tenant_folder)
        assert project.state()["batch_files"]["finished_run"] != killed_run


def test_run_under_faults_equals_a_clean_run(project_for) -> None:
    with SandboxServer(customers=800, seed=404, export_page_size=100) as sandbox:
        project = project_for(sandbox)
        sandbox.faults.configure(
            rate_limit=20, error_rate=0.1, drop_rate=0.05, token_lifetime=2, latency=0.01, seed=9
        )
        project.env["TAP_SERVICETITAN_MAX_RETRIES"] = "10"
        project.run()
        counters = sandbox.counters
        assert counters["5xx"] > 0 and counters["dropped"] > 0 and counters["token"] > 1
        sandbox.faults.reset()
        assert_raw_tables_equal_dataset(project)
        assert_st_customers_match_oracle(project)


def test_full_refresh_and_state_clear_rerun_everything(project_for) -> None:
    with SandboxServer(customers=300, seed=505) as sandbox:
        project = project_for(sandbox)
        sandbox.reset_counters()
        project.run()
        full = sandbox.counters["requests"]

        listed = project.meltano("state", "list")
        assert listed.returncode == 0 and "tap-servicetitan-to-target-postgres" in listed.stdout

        sandbox.reset_counters()
        project.run("--full-refresh")
        assert sandbox.counters["requests"] == full

        state_id = next(
            line.split()[0]
            for line in listed.stdout.splitlines()
            if "tap-servicetitan-to-target-postgres" in line
        )
        cleared = project.meltano("state", "clear", "--force", state_id)
        assert cleared.returncode == 0, cleared.stderr
        sandbox.reset_counters()
        project.run()
        assert sandbox.counters["requests"] == full
        assert_st_customers_match_oracle(project)
