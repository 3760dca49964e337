"""Many tenants into one warehouse: tenants.yml, Dagster runs, tenant ids in the data.

The Dagster runs are in-process (each tenant's run in a worker process of its
own, no webserver, daemon or gRPC server), against three sandbox tenants whose
record ids overlap, one of them with a wrong client secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import yaml
from dagster_dbt import DbtCliResource
from psycopg.rows import dict_row

from servicetitan_orchestration.assets import st_models_asset, tenant_partitions
from servicetitan_orchestration.meltano import MeltanoResource
from servicetitan_orchestration.sync import (
    SyncSettings,
    build_definitions,
    dbt_project,
    sync_tenants,
)
from servicetitan_orchestration.tenants import TenantsFileError, load_tenants, parse_tenants
from servicetitan_sandbox import SandboxServer
from tests.support.database import throwaway_database
from tests.support.meltano_project import MeltanoProject

BIN = Path(sys.executable).parent
GOOD = (111, 222)
BAD = 333
TENANT_IDS = (*GOOD, BAD)

VALID = {
    "id": 1234567,
    "name": "Acme Heating",
    "environment": "prod",
    "secrets": {
        "client_id": "ACME_CLIENT_ID",
        "client_secret": "ACME_CLIENT_SECRET",
        "st_app_key": "ACME_APP_KEY",
    },
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "acme"}, "tenant #1: field 'id' must be the numeric ServiceTitan tenant id"),
        ({"name": ""}, "tenant 1234567: field 'name' must be a non-empty text"),
        ({"environment": "production"}, "tenant 1234567: field 'environment' must be one of"),
        ({"schedule": "weekly"}, "tenant 1234567: field 'schedule' must be one of hourly, nightly"),
        (
            {"secrets": {"client_id": "X"}},
            "tenant 1234567: field 'secrets': 'client_secret' is missing",
        ),
        (
            {"secrets": {**VALID["secrets"], "client_secret": "cs1.abc-123"}},
            "tenant 1234567: field 'secrets.client_secret' must be the NAME of an environment variable",
        ),
        ({"api_url": "api.example"}, "tenant 1234567: field 'api_url' must be an http(s) URL"),
        (
            {"timezone": "Mars/Olympus"},
            "tenant 1234567: field 'timezone' must be an IANA time zone name "
            "(America/Chicago, Europe/London, UTC), got 'Mars/Olympus'",
        ),
        ({"timezone": "CST"}, "tenant 1234567: field 'timezone' must be an IANA time zone name"),
        ({"timezone": ""}, "tenant 1234567: field 'timezone' must be an IANA time zone name"),
        ({"timezone": -6}, "tenant 1234567: field 'timezone' must be an IANA time zone name"),
        ({"region": "us"}, "tenant 1234567: unknown field 'region'"),
    ],
)
def test_tenants_file_errors_name_the_tenant_and_the_field(change, message) -> None:
    with pytest.raises(TenantsFileError) as raised:
        parse_tenants({"tenants": [VALID | change]})
    assert message in str(raised.value)
    assert "cs1.abc-123" not in str(raised.value)
    assert len(str(raised.value).splitlines()) == 1


def test_a_tenants_time_zone_is_an_iana_name_utc_by_default() -> None:
    (default, chicago, kolkata) = parse_tenants(
        {
            "tenants": [
                VALID,
                VALID | {"id": 2, "timezone": "America/Chicago"},
                VALID | {"id": 3, "timezone": "Asia/Kolkata"},
            ]
        }
    )
    assert (default.timezone, chicago.timezone, kolkata.timezone) == (
        "UTC",
        "America/Chicago",
        "Asia/Kolkata",
    )
    assert chicago.dbt_variables == {"DBT_POSTGRES_TIMEZONE": "America/Chicago"}
    example = load_tenants(Path(__file__).parents[1] / "tenants.example.yml")
    assert {tenant.timezone for tenant in example} == {"America/Chicago", "America/New_York"}


def test_tenants_file_rejects_duplicates_and_reads_the_example(tmp_path) -> None:
    with pytest.raises(TenantsFileError, match="tenant 1234567: field 'id' appears twice"):
        parse_tenants({"tenants": [VALID, VALID]})
    with pytest.raises(TenantsFileError, match="expected a non-empty list under 'tenants:'"):
        parse_tenants({"tenants": []})
    example = Path(__file__).parents[1] / "tenants.example.yml"
    tenants = load_tenants(example)
    assert len(tenants) >= 2
    assert all(tenant.raw_schema == f"tap_servicetitan_{tenant.id}" for tenant in tenants)
    missing = tmp_path / "tenants.yml"
    with pytest.raises(TenantsFileError, match="no tenants file"):
        load_tenants(missing)
    with pytest.raises(TenantsFileError, match="ACME_CLIENT_ID"):
        parse_tenants({"tenants": [VALID]})[0].secret_values({})
    (tmp_path / "tenants.yml").write_text(yaml.safe_dump({"tenants": [VALID]}))
    with pytest.raises(TenantsFileError, match="no tenant 42 \\(tenants: 1234567\\)"):
        sync_tenants(SyncSettings(tenants_file=tmp_path / "tenants.yml"), tmp_path, ["42"])


def test_definitions_have_partitions_schedules_retries_and_a_pool(tmp_path) -> None:
    tenants_file = tmp_path / "tenants.yml"
    tenants_file.write_text(
        yaml.safe_dump({"tenants": [VALID, VALID | {"id": 7, "schedule": "nightly"}]})
    )
    defs = build_definitions(SyncSettings(tenants_file=tenants_file))
    job = defs.resolve_job_def("servicetitan_sync")
    assert job.partitions_def.get_partition_keys() == ["1234567", "7"]
    schedules = {s.name: s for s in defs.schedules}
    assert {name: s.cron_schedule for name, s in schedules.items()} == {
        "servicetitan_hourly": "0 * * * *",
        "servicetitan_nightly": "0 3 * * *",
    }
    assert all(s.default_status.value == "STOPPED" for s in schedules.values())
    extract_load = defs.resolve_assets_def(["servicetitan", "customers"])
    assert extract_load.op.pool == "servicetitan_tenants"
    assert extract_load.op.retry_policy.max_retries == 2
    st_customers = defs.resolve_assets_def(["st_customers"])
    assert ["servicetitan", "customers"] in [key.path for key in st_customers.dependency_keys]


def test_a_tenants_run_environment_has_its_ids_schema_secrets_and_own_meltano_dir(
    tmp_path, monkeypatch
) -> None:
    """Secrets from the project's .env, the environment winning; URLs of its environment."""
    monkeypatch.delenv("MELTANO_SYS_DIR_ROOT", raising=False)  # the project's own .meltano
    (tmp_path / ".meltano" / "extractors").mkdir(parents=True)
    (tmp_path / ".env").write_text("ACME_CLIENT_ID=from-dotenv\nACME_APP_KEY=key-dotenv\n")
    monkeypatch.setenv("ACME_CLIENT_SECRET", "from-environment")
    monkeypatch.setenv("ACME_APP_KEY", "key-environment")
    monkeypatch.setenv("TAP_SERVICETITAN_API_URL", "http://127.0.0.1:8765")  # a single-tenant .env
    monkeypatch.setenv("DBT_POSTGRES_TIMEZONE", "Europe/Paris")  # the same .env's time zone
    (tenant,) = parse_tenants({"tenants": [VALID | {"timezone": "America/Denver"}]})
    meltano = MeltanoResource(project_dir=str(tmp_path), database_uri="postgresql+psycopg:///m")
    env = meltano.environment(tenant)
    assert env["TAP_SERVICETITAN_TENANT_ID"] == "1234567"
    assert env["TAP_SERVICETITAN_CLIENT_ID"] == "from-dotenv"
    assert env["TAP_SERVICETITAN_CLIENT_SECRET"] == "from-environment"
    assert env["TAP_SERVICETITAN_ST_APP_KEY"] == "key-environment"
    assert env["TAP_SERVICETITAN_API_URL"] == "https://api.servicetitan.io"
    assert env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] == "tap_servicetitan_1234567"
    # the preflight check in the tenant's run checks the tenant's zone
    assert env["DBT_POSTGRES_TIMEZONE"] == "America/Denver"
    assert env["MELTANO_DATABASE_URI"] == "postgresql+psycopg:///m"
    own = Path(env["MELTANO_SYS_DIR_ROOT"])
    assert own == tmp_path / ".meltano" / "tenants" / "1234567"
    assert (own / "extractors").resolve() == tmp_path / ".meltano" / "extractors"
    command = meltano.command(tenant)
    assert command[1:] == [
        "--environment", "prod", "run", "--state-id-suffix", "1234567",
        "servicetitan-preflight:check", "tap-servicetitan", "target-postgres",
    ]  # fmt: skip
    monkeypatch.delenv("ACME_CLIENT_SECRET")
    with pytest.raises(TenantsFileError, match="ACME_CLIENT_SECRET is not set"):
        meltano.environment(tenant)


FAKE_DBT = """#!/bin/sh
# dbt for the test: its version for dagster-dbt, else the time zone it was started with
if [ "$1" = "--version" ]; then echo "Core: 1.11.0"; exit 0; fi
echo "${DBT_POSTGRES_TIMEZONE:-unset}" >> "$TIMEZONES_SEEN"
"""


def test_the_dbt_step_runs_in_the_tenants_time_zone(tmp_path, monkeypatch) -> None:
    """In-process Dagster: each tenant's dbt step gets its DBT_POSTGRES_TIMEZONE, then the
    process's variable is back as it was."""
    fake = tmp_path / "dbt"
    fake.write_text(FAKE_DBT)
    fake.chmod(0o755)
    seen = tmp_path / "timezones"
    monkeypatch.setenv("TIMEZONES_SEEN", str(seen))
    monkeypatch.setenv("DBT_POSTGRES_TIMEZONE", "Europe/Paris")  # a single-tenant .env's
    tenants = {
        tenant.key: tenant
        for tenant in parse_tenants(
            {"tenants": [VALID | {"timezone": "America/Chicago"}, VALID | {"id": 7}]}
        )
    }
    project = dbt_project(SyncSettings())
    models = st_models_asset(
        project, tenants, tenant_partitions(tenants.values()), dg.RetryPolicy(max_retries=0)
    )
    dbt = DbtCliResource(
        project_dir=str(project.project_dir),
        profiles_dir=str(project.profiles_dir),
        dbt_executable=str(fake),
    )
    for key in ("1234567", "7"):
        result = dg.materialize([models], partition_key=key, resources={"dbt": dbt})
        assert result.success
    assert seen.read_text().split() == ["America/Chicago", "UTC"]
    assert os.environ["DBT_POSTGRES_TIMEZONE"] == "Europe/Paris"


def tenants_yaml(sandboxes: dict[int, SandboxServer]) -> str:
    entries = [
        {
            "id": tenant_id,
            "name": f"Tenant {tenant_id}",
            "environment": "sandbox",
            **({"timezone": "America/Chicago"} if tenant_id == 222 else {}),
            "api_url": sandbox.url,
            "auth_url": sandbox.auth_url,
            "secrets": {
                "client_id": f"T{tenant_id}_CLIENT_ID",
                "client_secret": f"T{tenant_id}_CLIENT_SECRET",
                "st_app_key": f"T{tenant_id}_APP_KEY",
            },
        }
        for tenant_id, sandbox in sandboxes.items()
    ]
    return yaml.safe_dump({"tenants": entries}, sort_keys=False)


def rows(database: dict, statement: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(**database, row_factory=dict_row) as conn:
        return conn.execute(statement, params).fetchall()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Three sandbox tenants (ids overlap), tenants.yml, a warehouse and a Meltano database."""
    home = tmp_path_factory.mktemp("tenants")
    sandboxes = {
        tenant_id: SandboxServer(customers=customers, seed=seed, tenant_id=tenant_id)
        for tenant_id, customers, seed in ((111, 120, 1), (222, 90, 2), (BAD, 60, 3))
    }
    for sandbox in sandboxes.values():
        sandbox.start()
    tenants_file = home / "tenants.yml"
    tenants_file.write_text(tenants_yaml(sandboxes))
    with (
        throwaway_database() as database,
        throwaway_database() as system,
        pytest.MonkeyPatch.context() as env,
    ):
        for tenant_id, sandbox in sandboxes.items():
            env.setenv(f"T{tenant_id}_CLIENT_ID", sandbox.client_id)
            secret = "wrong-secret" if tenant_id == BAD else sandbox.client_secret
            env.setenv(f"T{tenant_id}_CLIENT_SECRET", secret)
            env.setenv(f"T{tenant_id}_APP_KEY", sandbox.app_key)
        env.setenv("TARGET_POSTGRES_HOST", database["host"])
        env.setenv("TARGET_POSTGRES_PORT", str(database["port"]))
        env.setenv("TARGET_POSTGRES_USER", database["user"])
        env.setenv("TARGET_POSTGRES_DATABASE", database["dbname"])
        settings = SyncSettings(
            tenants_file=tenants_file,
            meltano_database_uri=(
                f"postgresql+psycopg://{system['user']}@{system['host']}:{system['port']}/"
                f"{system['dbname']}"
            ),
            preflight=False,
            max_retries=1,
            retry_delay=0.2,
        )
        first = sync_tenants(settings, home / "dagster")
        yield {
            "sandboxes": sandboxes,
            "database": database,
            "settings": settings,
            "home": home,
            "first": {int(outcome.tenant_id): outcome for outcome in first},
        }
    for sandbox in sandboxes.values():
        sandbox.stop()


def test_good_tenants_load_under_their_own_ids_and_the_bad_one_fails_alone(warehouse) -> None:
    first, database = warehouse["first"], warehouse["database"]
    for tenant_id in GOOD:
        assert first[tenant_id].success, first[tenant_id].error
        dataset = warehouse["sandboxes"][tenant_id].dataset
        for stream in ("customers", "jobs", "invoices"):
            raw = rows(
                database,
                f"select id, tenant_id from tap_servicetitan_{tenant_id}.{stream} order by id",
            )
            assert [(r["id"], r["tenant_id"]) for r in raw] == sorted(
                (record["id"], tenant_id) for record in dataset.records(stream)
            )
        st = rows(
            database,
            "select st_id, name from public.st_customers where tenant_id = %s order by st_id",
            (tenant_id,),
        )
        assert [r["st_id"] for r in st] == sorted(c["id"] for c in dataset.records("customers"))
    bad = first[BAD]
    assert not bad.success
    assert bad.error.startswith(
        f"tenant {BAD} (Tenant {BAD}): ServiceTitan rejected the OAuth credentials"
    ), bad.error
    assert "client_id" in bad.error and "client_secret" in bad.error
    assert f"T{BAD}_CLIENT_SECRET" in bad.error and "wrong-secret" not in bad.error
    assert bad.retries == 1
    assert rows(
        database, "select count(*) as n from public.st_customers where tenant_id = %s", (BAD,)
    ) == [{"n": 0}]
    # the Dagster instance the runs went to limits the tenants' pool
    instance = (warehouse["home"] / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(instance)["concurrency"] == {"pools": {"default_limit": 4}}


def test_overlapping_record_ids_never_overwrite_each_other(warehouse) -> None:
    database = warehouse["database"]
    names = {
        tenant_id: {
            c["id"]: c["name"]
            for c in warehouse["sandboxes"][tenant_id].dataset.records("customers")
        }
        for tenant_id in GOOD
    }
    assert set(names[111]) & set(names[222]), "the sandboxes should share customer ids"
    st = rows(
        database, "select tenant_id, st_id, full_data ->> 'name' as name from public.st_customers"
    )
    assert {(r["tenant_id"], r["st_id"]): r["name"] for r in st} == {
        (tenant_id, customer_id): name
        for tenant_id, by_id in names.items()
        for customer_id, name in by_id.items()
    }


def test_incremental_run_of_a_changed_tenant_touches_only_its_rows(warehouse) -> None:
    database, settings = warehouse["database"], warehouse["settings"]
    stamps = "select tenant_id, max(last_synced_at) as synced from public.st_customers group by 1"
    loaded = "select max(_sdc_batched_at) as batched from tap_servicetitan_{}.customers"
    before = {r["tenant_id"]: r["synced"] for r in rows(database, stamps)}
    raw_before = {t: rows(database, loaded.format(t))[0]["batched"] for t in GOOD}
    warehouse["sandboxes"][111].mutate(fraction=0.05, seed=9)
    warehouse["sandboxes"][111].reset_counters()
    warehouse["sandboxes"][222].reset_counters()

    # the CLI this time, with its defaults (the preflight check first)
    again = subprocess.run(
        [str(BIN / "servicetitan-tenants"), "sync", "--tenant", "111", "--tenant", "222"],
        env={
            **os.environ,
            "SERVICETITAN_TENANTS_FILE": str(settings.tenants_file),
            "MELTANO_DATABASE_URI": settings.meltano_database_uri,
            "DAGSTER_HOME": str(warehouse["home"] / "dagster"),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr[-4000:]
    assert "tenant 111: synced" in again.stdout and "tenant 222: synced" in again.stdout

    after = {r["tenant_id"]: r["synced"] for r in rows(database, stamps)}
    assert after[111] > before[111]
    assert after[222] == before[222]
    assert rows(database, loaded.format(222))[0]["batched"] == raw_before[222]
    assert rows(database, loaded.format(111))[0]["batched"] > raw_before[111]
    dataset = warehouse["sandboxes"][111].dataset
    st = rows(
        database,
        "select st_id, full_data ->> 'name' as name from public.st_customers where tenant_id = 111",
    )
    assert {r["st_id"]: r["name"] for r in st} == {
        c["id"]: c["name"] for c in dataset.records("customers")
    }
    # each tenant resumed from its own state: the quiet one asked only for changes
    exports = [path for _, path, _ in warehouse["sandboxes"][222].request_log if "/export/" in path]
    assert exports and all("from=" in path for path in exports)


def test_a_tenant_set_through_the_tap_variable_keys_the_st_rows(database, tmp_path) -> None:
    """The default environment with TAP_SERVICETITAN_TENANT_ID (and the URLs) of another tenant."""
    with SandboxServer(customers=40, seed=5, tenant_id=7654321) as other:
        project = MeltanoProject(other, database, tmp_path)
        assert project.env["TAP_SERVICETITAN_TENANT_ID"] == "7654321"
        del project.env["MELTANO_ENVIRONMENT"]  # meltano.yml's default_environment: sandbox
        done = project.meltano("run", "tap-servicetitan", "target-postgres", "dbt-postgres:run")
        assert done.returncode == 0, done.stderr[-4000:]
    for table in ("tap_servicetitan.customers", "public.st_customers", "public.st_jobs"):
        assert rows(database, f"select distinct tenant_id from {table}") == [{"tenant_id": 7654321}]
