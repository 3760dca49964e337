"""Missing and empty raw tables, clear failures, rollback, the CLI and settings."""

from __future__ import annotations

import os
import subprocess
from decimal import Decimal

import psycopg
import pytest

from servicetitan_transforms.runner import TransformError
from servicetitan_transforms.settings import SettingsError, resolve_settings
from tests.support.transforms_fixtures import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    STREAMS,
    TRANSFORMS_CLI,
    admin_conninfo,
    load_raw,
    query,
    record,
    run,
    scratch_database,
    snapshot,
    sync_log,
)


def test_only_customers_loaded_builds_st_customers_with_warnings() -> None:
    with scratch_database("st_missing") as dbname:
        load_raw(dbname, {"customers": [record("customers", 1), record("customers", 2)]})
        warnings: list[str] = []
        summaries = run(dbname, warnings=warnings)
        assert summaries["st_customers"].records_created == 2
        assert len(warnings) == len(STREAMS) - 1
        assert any('"tap_servicetitan"."jobs" not found' in w for w in warnings)
        rows = query(
            dbname,
            "select total_jobs, completed_jobs, lifetime_value, last_job_date, "
            "email, location_id from public.st_customers order by st_id",
        )
        assert (
            rows
            == [
                {
                    "total_jobs": 0,
                    "completed_jobs": 0,
                    "lifetime_value": Decimal("0.00"),
                    "last_job_date": None,
                    "email": None,
                    "location_id": None,
                }
            ]
            * 2
        )
        assert query(dbname, "select count(*) as n from public.st_jobs") == [{"n": 0}]
        # the jobs stream is selected later: its rows flow in incrementally
        load_raw(dbname, {"jobs": [record("jobs", 10, customerId=2)]})
        summaries = run(dbname)
        assert summaries["st_jobs"].records_created == 1
        assert query(
            dbname, "select st_id, total_jobs from public.st_customers where total_jobs > 0"
        ) == [{"st_id": 2, "total_jobs": 1}]


def test_empty_raw_tables() -> None:
    with scratch_database("st_empty") as dbname:
        load_raw(dbname, {stream: [] for stream in STREAMS})
        tables = query(
            dbname,
            "select count(*) as n from information_schema.tables "
            "where table_schema = 'tap_servicetitan'",
        )
        assert tables == [{"n": len(STREAMS)}]
        summaries = run(dbname)
        assert {(s.records_fetched, s.records_created) for s in summaries.values()} == {(0, 0)}
        assert all(rows == {} for rows in snapshot(dbname).values())
        assert len(sync_log(dbname)) == len(summaries)


def test_missing_customers_table_fails_clearly() -> None:
    with scratch_database("st_nocust") as dbname:
        load_raw(dbname, {"jobs": [record("jobs", 1, customerId=1)]})
        with pytest.raises(
            TransformError,
            match=r'raw table "tap_servicetitan"\."customers" '
            r"not found",
        ):
            run(dbname)
        assert query(dbname, "select to_regclass('public.st_jobs') as t") == [{"t": None}]
        failed = sync_log(dbname)
        assert failed
        assert {(row["status"], row["sync_type"]) for row in failed} == {("failed", "full")}
        assert all("customers" in row["error_message"] for row in failed)


def test_failure_rolls_back_and_is_logged() -> None:
    with scratch_database("st_rollback") as dbname:
        load_raw(
            dbname,
            {
                "customers": [record("customers", 1, name="Before")],
                "jobs": [record("jobs", 10, customerId=1)],
            },
        )
        run(dbname)
        before = snapshot(dbname)
        state_before = query(dbname, "select * from public.servicetitan_transforms_state")
        # a customer change (applied by a later file) and a job that cannot be read
        load_raw(dbname, {"customers": [record("customers", 1, name="After")]})
        with psycopg.connect(admin_conninfo(dbname)) as conn:
            conn.execute('alter table tap_servicetitan.jobs alter column "total" type text')
            conn.execute(
                "update tap_servicetitan.jobs set total = 'not a number', "
                "_sdc_batched_at = now() at time zone 'UTC'"
            )
        with pytest.raises(TransformError, match=r"120_st_jobs\.sql: .*numeric") as error:
            run(dbname)
        assert "\n" not in str(error.value)
        assert snapshot(dbname) == before
        assert query(dbname, "select * from public.servicetitan_transforms_state") == state_before
        log = sync_log(dbname)
        failed = [row for row in log if row["status"] == "failed"]
        assert {row["module"] for row in failed} == set(before)
        assert all(row["sync_type"] == "incremental" for row in failed)
        assert all("120_st_jobs.sql" in row["error_message"] for row in failed)
        assert all(row["completed_at"] is not None for row in failed)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SERVICETITAN_TRANSFORMS_", "TARGET_POSTGRES_", "TAP_SERVICETITAN_"))
    }
    clean.update(env or {})
    return subprocess.run(
        [str(TRANSFORMS_CLI), *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        check=False,
    )


def test_cli_runs_with_loader_settings_and_prints_a_summary() -> None:
    with scratch_database("st_cli") as dbname:
        load_raw(dbname, {"customers": [record("customers", 1)], "jobs": []})
        env = {
            "TARGET_POSTGRES_HOST": PG_HOST,
            "TARGET_POSTGRES_PORT": str(PG_PORT),
            "TARGET_POSTGRES_USER": PG_USER,
            "TARGET_POSTGRES_DATABASE": dbname,
            "TARGET_POSTGRES_PASSWORD": "s3cret-password",
            "TAP_SERVICETITAN_TENANT_ID": "77",
        }
        done = cli("run", env=env)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) == 8
        assert lines[-1].startswith("st_customers")
        assert "created        1" in lines[-1]
        assert "s3cret-password" not in done.stdout + done.stderr
        assert query(dbname, "select tenant_id from public.st_customers") == [{"tenant_id": 77}]
        # flags beat the environment: another tenant, another schema, full refresh
        done = cli(
            "run", "--tenant-id", "78", "--target-schema", 'Odd "Schema"', "--full-refresh", env=env
        )
        assert done.returncode == 0, done.stderr
        rows = query(dbname, 'select tenant_id from "Odd ""Schema""".st_customers')
        assert rows == [{"tenant_id": 78}]


def test_cli_failure_is_one_line_without_traceback() -> None:
    with scratch_database("st_clifail") as dbname:
        done = cli(
            "run",
            "--host",
            PG_HOST,
            "--database",
            dbname,
            "--tenant-id",
            "5",
            "--password",
            "hunter2-secret",
        )
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr
        assert "customers" in done.stderr
        assert "not found" in done.stderr
        assert "hunter2-secret" not in done.stderr
    done = cli("run", "--host", PG_HOST, "--database", "postgres")
    assert done.returncode == 1
    assert "tenant id is required" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli(
        "run", "--host", PG_HOST, "--port", "1", "--tenant-id", "5", "--password", "hunter2-secret"
    )
    assert done.returncode == 1
    assert "cannot connect" in done.stderr
    assert "hunter2-secret" not in done.stderr


def test_unix_socket_sqlalchemy_url() -> None:
    with scratch_database("st_socket") as dbname:
        load_raw(dbname, {"customers": [record("customers", 1)]})
        url = f"postgresql+psycopg://{PG_USER}@/{dbname}?host=/var/run/postgresql"
        done = cli(
            "run",
            env={"TARGET_POSTGRES_SQLALCHEMY_URL": url, "SERVICETITAN_TRANSFORMS_TENANT_ID": "3"},
        )
        assert done.returncode == 0, done.stderr
        assert query(dbname, "select tenant_id from public.st_customers") == [{"tenant_id": 3}]


# --- settings precedence (no database) ----------------------------------------


def conn_params(settings: object) -> dict:
    return psycopg.conninfo.conninfo_to_dict(settings.conninfo)  # type: ignore[attr-defined]


def test_settings_defaults_and_tenant_from_the_tap() -> None:
    settings = resolve_settings({}, {"TAP_SERVICETITAN_TENANT_ID": "12"})
    assert conn_params(settings) == {
        "host": "localhost",
        "port": "5432",
        "user": "postgres",
        "dbname": "postgres",
    }
    assert (settings.tenant_id, settings.target_schema, settings.raw_schema) == (
        12,
        "public",
        "tap_servicetitan",
    )


def test_settings_precedence() -> None:
    env = {
        "TARGET_POSTGRES_HOST": "loader-host",
        "TARGET_POSTGRES_PORT": "6000",
        "TARGET_POSTGRES_USER": "loader",
        "TARGET_POSTGRES_PASSWORD": "pw",
        "TARGET_POSTGRES_DATABASE": "loaderdb",
        "SERVICETITAN_TRANSFORMS_HOST": "own-host",
        "SERVICETITAN_TRANSFORMS_TENANT_ID": "5",
        "SERVICETITAN_TRANSFORMS_RAW_SCHEMA": "raw_here",
        "TAP_SERVICETITAN_TENANT_ID": "6",
    }
    settings = resolve_settings({"database": "clidb", "target_schema": "marts"}, env)
    assert conn_params(settings) == {
        "host": "own-host",
        "port": "6000",
        "user": "loader",
        "password": "pw",
        "dbname": "clidb",
    }
    assert (settings.tenant_id, settings.raw_schema, settings.target_schema) == (
        5,
        "raw_here",
        "marts",
    )
    assert "pw" not in repr(settings)
    assert "pw" not in settings.describe_connection()
    assert resolve_settings({"tenant_id": "9"}, env).tenant_id == 9


def test_settings_sqlalchemy_url() -> None:
    env = {
        "TARGET_POSTGRES_SQLALCHEMY_URL": "postgresql+psycopg://u:p@/db1?host=/some/dir",
        "TARGET_POSTGRES_HOST": "ignored",
        "TAP_SERVICETITAN_TENANT_ID": "1",
    }
    params = conn_params(resolve_settings({}, env))
    assert params == {"user": "u", "password": "p", "dbname": "db1", "host": "/some/dir"}
    # a higher level's discrete setting overrides the loader's URL
    params = conn_params(resolve_settings({"database": "db2"}, env))
    assert params["dbname"] == "db2"
    assert params["host"] == "/some/dir"
    with pytest.raises(SettingsError, match="postgresql"):
        resolve_settings({"sqlalchemy_url": "mysql://x/y", "tenant_id": "1"}, {})


@pytest.mark.parametrize("value", ["", "abc", "-3", "1.5", "0"])
def test_settings_tenant_must_be_a_positive_integer(value: str) -> None:
    with pytest.raises(SettingsError, match="tenant"):
        resolve_settings({"tenant_id": value}, {})
