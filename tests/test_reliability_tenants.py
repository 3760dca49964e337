"""A tenant pointed at another tenant's raw schema (tenant B's credentials with tenant
A's ``TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA``).

The job (``meltano run servicetitan-sync``) refuses before anything is
extracted, in one line naming both tenants and the schema setting, and A's
raw rows stay as they were. Run without the check (tap and loader, then
dbt), the loader writes B's rows beside A's and dbt refuses, in one line too.
"""

from __future__ import annotations

import pytest

from servicetitan_sandbox import SandboxServer
from tests.support.meltano_project import MeltanoProject

pytestmark = pytest.mark.e2e

STREAMS = ("customers", "locations")
TENANT_A = 1234567
TENANT_B = 7654321


def raw_rows(project: MeltanoProject) -> dict[str, list[tuple]]:
    with project.connect() as conn:
        return {
            stream: sorted(
                conn.execute(
                    f'select id, tenant_id, "modifiedOn", name from tap_servicetitan.{stream}'
                ).fetchall()
            )
            for stream in STREAMS
        }


def test_a_raw_schema_holding_another_tenant_is_refused_in_one_line(database, tmp_path) -> None:
    with (
        SandboxServer(customers=60, seed=91, tenant_id=TENANT_A) as sandbox_a,
        SandboxServer(customers=60, seed=92, tenant_id=TENANT_B) as sandbox_b,
    ):
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        tenant_a = MeltanoProject(sandbox_a, database, tmp_path / "a", select=STREAMS)
        tenant_a.meltano("run", "tap-servicetitan", "target-postgres")
        before = raw_rows(tenant_a)
        assert before["customers"]

        tenant_b = MeltanoProject(sandbox_b, database, tmp_path / "b", select=STREAMS)
        refused = tenant_b.meltano("run", "servicetitan-sync", timeout=300)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0
        assert "Traceback" not in output
        errors = [line for line in output.splitlines() if "error:" in line]
        assert len(errors) == 1, output[-3000:]
        for needle in (str(TENANT_A), str(TENANT_B), "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"):
            assert needle in errors[0], errors[0]
        assert "servicetitan-preflight: error:" in errors[0]
        assert not [e for e in sandbox_b.counters["by_endpoint"] if "/export/" in e]
        assert raw_rows(tenant_a) == before

        # without the check: the loader writes B's rows, then dbt refuses in one line
        unchecked = tenant_b.meltano(
            "run", "tap-servicetitan", "target-postgres", "dbt-postgres:run", timeout=600
        )
    output = unchecked.stdout + unchecked.stderr
    assert unchecked.returncode != 0
    assert "Traceback" not in output
    refusals = [line for line in output.splitlines() if "holds rows of several tenants" in line]
    assert len(refusals) == 1, output[-5000:]
    for needle in (str(TENANT_A), str(TENANT_B), "default_target_schema"):
        assert needle in refusals[0], refusals[0]
