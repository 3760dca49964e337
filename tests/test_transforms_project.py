"""The dbt project as its users meet it: settings, Meltano, data tests, docs, own models."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import yaml

from tests.support import isolation
from tests.support.transforms_fixtures import (
    DBT_PROJECT,
    ROOT,
    TENANT_ID,
    admin_conninfo,
    dbt,
    dbt_env,
    load_raw,
    query,
    record,
    run,
    scratch_database,
)

MARTS = DBT_PROJECT / "models" / "marts"
MELTANO = Path(sys.executable).parent / "meltano"


def small_tenant() -> dict[str, list[dict]]:
    return {
        "customers": [record("customers", 1)],
        "customer_contacts": [record("customer_contacts", 5, customerId=1)],
        "locations": [record("locations", 7, customerId=1)],
        "jobs": [record("jobs", 10, customerId=1, locationId=7)],
        "invoices": [record("invoices", 20, customer={"id": 1, "name": "x"})],
    }


def test_settings_come_from_the_loader_variables_and_the_tenant_from_the_rows() -> None:
    """TARGET_POSTGRES_* for the connection, the utility's schemas, the raw rows' tenant."""
    with scratch_database() as dbname:
        load_raw(
            dbname, {"customers": [record("customers", 1)]}, schema_name="Raw Schema", tenant_id=77
        )
        env = dbt_env(dbname)
        env.update(
            {
                "TARGET_POSTGRES_PASSWORD": "s3cret-password",
                "DBT_POSTGRES_RAW_SCHEMA": "Raw Schema",
                "DBT_POSTGRES_TARGET_SCHEMA": "Marts Here",
            }
        )
        done = dbt("run", env=env)
        assert done.returncode == 0, done.stdout[-4000:]
        assert "s3cret-password" not in done.stdout + done.stderr
        assert query(dbname, 'select tenant_id from "Marts Here".st_customers') == [
            {"tenant_id": 77}
        ]
        # tenant settings of the tap or the old utility setting change nothing;
        # the host may be a unix socket directory
        done = dbt(
            "run",
            env={
                **env,
                "TAP_SERVICETITAN_TENANT_ID": "78",
                "DBT_POSTGRES_TENANT_ID": "79",
                "TARGET_POSTGRES_HOST": "/var/run/postgresql",
            },
        )
        assert done.returncode == 0, done.stdout[-4000:]
        tenants = 'select tenant_id from "Marts Here".st_customers order by 1'
        assert query(dbname, tenants) == [{"tenant_id": 77}]


def test_a_raw_schema_holding_two_tenants_is_refused() -> None:
    with scratch_database() as dbname:
        load_raw(dbname, {"customers": [record("customers", 1)]}, tenant_id=77)
        load_raw(dbname, {"customers": [record("customers", 2)]}, tenant_id=78)
        done = dbt("run", env=dbt_env(dbname))
        assert done.returncode != 0
        assert "raw schema tap_servicetitan holds rows of several tenants (77, 78)" in done.stdout
        assert "default_target_schema" in done.stdout
        assert "Traceback" not in done.stdout + done.stderr


def test_raw_rows_from_before_tenant_ids_need_the_adopt_command_or_a_tagged_row() -> None:
    """A database loaded before the tap wrote tenant ids migrates without a re-sync."""
    with scratch_database() as dbname:
        load_raw(dbname, small_tenant(), tenant_id=None)
        done = dbt("run", env=dbt_env(dbname))
        assert done.returncode != 0
        assert "carry no tenant_id" in done.stdout
        assert "meltano invoke dbt-postgres:adopt-tenant --args '{tenant_id: <tenant id>}'" in (
            done.stdout
        )
        adopted = dbt(
            "run-operation", "servicetitan_adopt_tenant", "--args", "{tenant_id: 77}",
            env=dbt_env(dbname),
        )  # fmt: skip
        assert adopted.returncode == 0, adopted.stdout[-4000:]
        run(dbname)
        assert query(dbname, "select distinct tenant_id from public.st_customers") == [
            {"tenant_id": 77}
        ]
        refused = dbt(
            "run-operation", "servicetitan_adopt_tenant", "--args", "{tenant_id: 78}",
            env=dbt_env(dbname),
        )  # fmt: skip
        assert refused.returncode != 0
        assert "already holds rows of tenant 77" in refused.stdout

    with scratch_database() as dbname:
        # old rows, then an incremental load by the new tap: the old rows follow
        load_raw(dbname, small_tenant(), tenant_id=None)
        load_raw(dbname, {"customers": [record("customers", 2)]}, tenant_id=77)
        done = dbt("run", env=dbt_env(dbname))
        assert done.returncode == 0, done.stdout[-4000:]
        assert "now belong to tenant 77" in done.stdout
        assert query(dbname, "select tenant_id, st_id from public.st_customers order by 2") == [
            {"tenant_id": 77, "st_id": 1},
            {"tenant_id": 77, "st_id": 2},
        ]
        assert (
            query(dbname, "select count(*) as n from tap_servicetitan.jobs where tenant_id = 77")[
                0
            ]["n"]
            == 1
        )


def test_docs_and_data_tests_that_pass_then_catch_an_orphan_and_a_duplicate() -> None:
    with scratch_database() as dbname:
        load_raw(dbname, small_tenant())
        run(dbname)
        env = dbt_env(dbname)
        documented = dbt("docs", "generate", "--static", env=env)
        assert documented.returncode == 0, documented.stdout[-4000:]
        target = isolation.dbt_target()
        catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
        built = {node.split(".")[-1] for node in catalog["nodes"]}
        assert {model["name"] for model in mart_models()} <= built
        page = (target / "static_index.html").read_text(encoding="utf-8")
        assert "st_customer_contacts" in page and "lifetime_value" in page

        passed = dbt("test", env=env)
        assert passed.returncode == 0, passed.stdout[-4000:]
        with psycopg.connect(admin_conninfo(dbname)) as conn:
            conn.execute(
                "insert into public.st_jobs (tenant_id, st_id, customer_id, full_data, "
                "last_synced_at) values (%s, 11, 999, '{}', now())",
                (TENANT_ID,),
            )
            conn.execute("alter table public.st_invoices drop constraint st_invoices_pkey")
            conn.execute("insert into public.st_invoices select * from public.st_invoices")
        failed = dbt("test", env=env)
        assert failed.returncode == 1
        assert "FAIL 1 relationships_st_jobs_customer_id__st_id__ref_st_customers_" in (
            failed.stdout
        )
        assert "FAIL 1 unique_combination_st_invoices_tenant_id__st_id" in failed.stdout


def test_meltano_runs_the_project_with_the_utility_settings(tmp_path) -> None:
    """`meltano invoke dbt-postgres:...`: the loader's database, the raw rows' tenant.

    The raw rows were loaded before the tap wrote tenant ids: docs/many-tenants.md's one
    command (`adopt-tenant`) gives them their tenant, then `run` builds.
    """
    with scratch_database() as dbname:
        load_raw(dbname, small_tenant(), tenant_id=None)
        env = dbt_env(dbname)
        env.update(
            {
                "MELTANO_ENVIRONMENT": "sandbox",
                "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            }
        )
        for command in (
            ["dbt-postgres:adopt-tenant", "--args", f"{{tenant_id: {TENANT_ID}}}"],
            ["dbt-postgres:run"],
        ):
            done = subprocess.run(
                [str(MELTANO), "invoke", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
        # the tenant of the raw rows, not the sandbox environment's tenant
        assert query(dbname, "select tenant_id, st_id from public.st_customers") == [
            {"tenant_id": TENANT_ID, "st_id": 1}
        ]


def test_own_models_build_on_the_st_models(tmp_path) -> None:
    """A data team's model and test on top of st_customers, in a copy of the project."""
    project = tmp_path / "transforms"
    shutil.copytree(
        DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    own = project / "models" / "analytics"
    own.mkdir()
    (own / "customer_value.sql").write_text(
        "select st_customers.st_id as customer_id, st_customers.lifetime_value,\n"
        "    count(st_jobs.st_id) as jobs\n"
        "from {{ ref('st_customers') }} as st_customers\n"
        "left join {{ ref('st_jobs') }} as st_jobs\n"
        "    on st_jobs.tenant_id = st_customers.tenant_id\n"
        "    and st_jobs.customer_id = st_customers.st_id\n"
        "group by st_customers.st_id, st_customers.lifetime_value\n",
        encoding="utf-8",
    )
    (own / "customer_value.yml").write_text(
        yaml.safe_dump(
            {
                "models": [
                    {
                        "name": "customer_value",
                        "columns": [{"name": "customer_id", "data_tests": ["unique"]}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with scratch_database() as dbname:
        load_raw(dbname, small_tenant())
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "build",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
            ],
            # the copy's own target folder: the worker's is the project's (partial parsing)
            env=dbt_env(dbname) | {"DBT_TARGET_PATH": str(project / "target")},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-4000:]
        assert "PASS unique_customer_value_customer_id" in done.stdout
        assert query(dbname, "select customer_id, jobs from public.customer_value") == [
            {"customer_id": 1, "jobs": 1}
        ]


def mart_models() -> list[dict]:
    models = []
    for path in sorted(MARTS.glob("st_*.yml")):
        models.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["models"])
    return models


def test_the_data_dictionary_describes_every_st_column() -> None:
    """The yml beside the models is the data dictionary dbt docs render: nothing left blank."""
    models = mart_models()
    assert {model["name"] for model in models} == {path.stem for path in MARTS.glob("st_*.sql")}
    undescribed = []
    for model in models:
        assert model.get("description"), model["name"]
        assert model["constraints"] == [{"type": "primary_key", "columns": ["tenant_id", "st_id"]}]
        names = [column["name"] for column in model["columns"]]
        assert names[:2] == ["tenant_id", "st_id"], model["name"]
        undescribed += [
            f"{model['name']}.{column['name']}"
            for column in model["columns"]
            if not column.get("description") or not column.get("data_type")
        ]
    assert not undescribed, f"columns without description or data_type: {undescribed}"
