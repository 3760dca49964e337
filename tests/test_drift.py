"""Known drift between ServiceTitan's spec and its live API never breaks a run and is
never silent: through ``meltano run`` into PostgreSQL, with the sandbox serving it."""

from __future__ import annotations

import pytest

from servicetitan_sandbox import SandboxServer
from tests.support.meltano_project import MeltanoProject

pytestmark = pytest.mark.e2e

#: (sandbox endpoint, stream, field, value): the drift docs/streams.md lists.
DRIFT = [
    ("inventory/purchase-order-types", "purchase_order_types", "landedCostMethod", 0),
    ("crm/export/customers", "customers", "balance", "Infinity"),
    ("crm/export/locations", "locations", "customerId", "42"),
    ("crm/export/customers", "customers", "brandNewField", {"a": 1}),
]


def test_drift_is_loaded_with_one_warning_per_stream_and_field(database, tmp_path) -> None:
    with SandboxServer(customers=120, seed=23, export_page_size=20) as sandbox:
        streams = ("customers", "locations", "purchase_order_types")
        project = MeltanoProject(sandbox, database, tmp_path, select=streams)
        project.pipeline = ("run", "tap-servicetitan", "target-postgres")
        for endpoint, _, field, value in DRIFT:
            for after in (0, 1):  # two pages, so the warning is seen to come once
                sandbox.faults.corrupt_next(
                    "record", endpoint=endpoint, field=field, value=value, after=after
                )
        run = project.run()
        for _, stream, field, _ in DRIFT:
            lines = [
                line
                for line in run.stderr.splitlines()
                if f"'{field}'" in line and f"'{stream}'" in line
            ]
            assert len(lines) == 1, (stream, field, run.stderr[-3000:])
        with project.connect() as conn:
            for stream in ("customers", "locations"):
                loaded = {
                    row[0] for row in conn.execute(f"select id from tap_servicetitan.{stream}")
                }
                assert loaded == sandbox.dataset.ids(stream), stream
            (types,) = conn.execute(
                "select count(*) from tap_servicetitan.purchase_order_types"
            ).fetchone()
            assert types == len(sandbox.generic.collections["inventory/purchase-order-types"].ids())
            assert conn.execute(
                "select count(*) from tap_servicetitan.purchase_order_types "
                "where \"landedCostMethod\" = '0'"
            ).fetchone() == (1,)
            assert (
                conn.execute(
                    "select count(*) from tap_servicetitan.customers where balance is null"
                ).fetchone()[0]
                >= 2
            )
