"""Child streams against the sandbox: which parents are visited, sweeps, state size.

Every child stream (a row of ``servicetitan_catalog.child_streams``), with its parent: export
feeds and list endpoints (incremental, or read whole), numeric and text ids.
One sandbox for the module, changed between runs; the runs build on each
other's state as Meltano would chain them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from servicetitan_catalog.child_streams import CHILD_ROWS, LINE_NUMBER, ChildRow
from servicetitan_catalog.reference import decimal_string_fields, endpoints, url
from servicetitan_devtools.tap_runner import TapRun, catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.child_records import KINDS, ChildKind
from servicetitan_sandbox.embedded import EMBEDDED
from servicetitan_sandbox.formats import parse_iso_ms
from tap_servicetitan.streams import ALL_STREAMS

#: The child streams of per-parent endpoints (technician_tracking, which asks with its
#: parent's fields, has tests/test_window_streams.py).
ROWS = {row.name: row for row in CHILD_ROWS if not row.parent_params}
#: Sandbox kind of each child stream (the sandbox names the endpoint, not the stream).
KIND_OF = {
    name: next(kind for kind in KINDS if kind.name == name.split("_by_")[0]) for name in ROWS
}
PARENTS = {row.parent for row in ROWS.values()}
PARENT_STREAMS = {stream.name: stream for stream in ALL_STREAMS}
SELECTED = PARENTS | set(ROWS)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(customers=60, seed=11, export_page_size=25) as srv:
        yield srv


@pytest.fixture(scope="module")
def runs(server: SandboxServer) -> dict:
    """A first run, an incremental run after changes, then a sweep after more changes.

    Beside each run: the sandbox's children right after it (parent id -> children).
    """
    config = server.tap_config(requests_per_second=1000)
    catalog = catalog_selecting(config, SELECTED)
    out: dict = {"first": run_tap(config, catalog=catalog)}
    out["after_first"] = _snapshot(server)
    server.mutate(fraction=0.1, seed=3)
    out["incremental"] = run_tap(config, catalog=catalog, state=out["first"].final_state)
    out["after_incremental"] = _snapshot(server)
    server.mutate(fraction=0.1, seed=4)
    sweep_config = server.tap_config(requests_per_second=1000, child_sweep_days=0)
    out["sweep"] = run_tap(sweep_config, catalog=catalog, state=out["incremental"].final_state)
    out["after_sweep"] = _snapshot(server)
    for name in ("first", "incremental", "sweep"):
        assert out[name].returncode == 0, out[name].stderr[-3000:]
    return out


def _snapshot(server: SandboxServer) -> dict[str, dict]:
    """Every child stream's children as the tap emits them, by parent id.

    An endpoint answering one record (``jobs/{id}/booked-log``) serves the parent's latest.
    """
    return {
        name: {
            pid: [
                _as_emitted(row, pid, n, child, server.tenant_id)
                for n, child in enumerate(children, start=1)
            ]
            for pid in server.children.parent_ids(KIND_OF[name])
            for children in [_served(KIND_OF[name], server.children.of(KIND_OF[name], pid))]
        }
        for name, row in ROWS.items()
    }


def _served(kind: ChildKind, children: list[dict]) -> list[dict]:
    """The children one request for their parent answers with."""
    return children[-1:] if kind.shape == "one" else children


def _as_emitted(row: ChildRow, parent_id, number: int, child: dict, tenant_id: int) -> dict:
    """A sandbox child as the tap emits it: parent id and tenant added, decimal strings as numbers."""
    record = child | {row.parent_key: parent_id, "tenant_id": tenant_id}
    if row.numbered:
        record[LINE_NUMBER] = number
    in_reference = (
        url(row.module, row.path) in endpoints()
    )  # else the OpenAPI specs' (no decimal strings)
    for name in decimal_string_fields(url(row.module, row.path)) if in_reference else ():
        if isinstance(record.get(name), str):
            record[name] = float(record[name])
    return record


def _key(row: ChildRow, record: dict) -> tuple:
    return tuple(record[k] for k in row.primary_keys)


def _keyed(name: str, by_parent: dict[int, list[dict]], parents=None, since=None) -> dict:
    """Children of ``parents`` (all by default) changed on or after ``since``, by key."""
    row = ROWS[name]
    wanted = by_parent.keys() if parents is None else parents
    out = {}
    for pid in wanted:
        for child in by_parent.get(pid, []):
            filtered = since and row.takes_modified_since
            if filtered and parse_iso_ms(child["modifiedOn"]) < parse_iso_ms(since):
                continue
            out[_key(row, child)] = child
    return out


def _emitted(run: TapRun, name: str) -> dict[tuple, dict]:
    row = ROWS[name]
    records = run.records.get(name, [])
    keyed = {_key(row, r): r for r in records}
    assert len(keyed) == len(records), f"{name}: a child emitted twice in one run"
    return keyed


@pytest.mark.parametrize("name", sorted(ROWS))
def test_first_run_reads_the_children_of_every_parent(runs, name) -> None:
    expected = _keyed(name, runs["after_first"][name])
    assert expected, f"the sandbox has no {name}: the test proves nothing"
    assert _emitted(runs["first"], name) == expected


@pytest.mark.parametrize("name", sorted(ROWS))
def test_incremental_run_reads_only_the_children_of_changed_parents(runs, server, name) -> None:
    row = ROWS[name]
    changed_parents = runs["incremental"].ids(row.parent)
    assert changed_parents, f"no {row.parent} changed: the test proves nothing"
    if PARENT_STREAMS[row.parent].replication_key:  # else read whole each run: every parent
        assert len(changed_parents) < len(server.children.parent_ids(KIND_OF[name]))
    since = runs["first"].final_state["bookmarks"][name].get("changed_since")
    expected = _keyed(name, runs["after_incremental"][name], changed_parents, since)
    assert _emitted(runs["incremental"], name) == expected


@pytest.mark.parametrize("name", sorted(ROWS))
def test_children_changed_under_unchanged_parents_arrive_with_the_sweep(runs, name) -> None:
    loaded = _keyed(name, runs["after_first"][name]) | _emitted(runs["incremental"], name)
    current = _keyed(name, runs["after_sweep"][name])
    stale = {key for key, child in current.items() if loaded.get(key) != child}
    assert stale, f"no {name} changed under an unchanged parent: the test proves nothing"
    loaded |= _emitted(runs["sweep"], name)
    assert {key: loaded[key] for key in current} == current


def test_sweep_asks_only_for_children_changed_since_the_last_sweep(runs) -> None:
    state = runs["sweep"].final_state["bookmarks"]
    for name, row in ROWS.items():
        if not row.takes_modified_since:
            continue
        first_since = runs["first"].final_state["bookmarks"][name]["changed_since"]
        assert all(
            parse_iso_ms(r["modifiedOn"]) >= parse_iso_ms(first_since)
            for r in runs["sweep"].records.get(name, [])
        ), name
        assert state[name]["changed_since"] > first_since, name


def test_membership_type_items_point_at_the_sandbox_records(runs, server) -> None:
    """Items of membership types name recurring service types and business units that exist."""
    generic = server.generic.collections
    service_types = generic["memberships/export/recurring-service-types"].ids()
    business_units = generic["settings/export/business-units"].ids()
    items = runs["after_first"]["membership_type_recurring_service_items"]
    discounts = runs["after_first"]["membership_type_discounts"]
    assert any(items.values()) and any(discounts.values())
    for type_id, children in items.items():
        assert all(c["recurringServiceTypeId"] in service_types for c in children)
        assert all(c["membershipTypeId"] == type_id for c in children)
    for children in discounts.values():
        assert all(c["targetId"] in business_units for c in children)
    (booked,) = runs["after_first"]["job_booked_log"][next(iter(server.dataset.ids("jobs")))]
    job = server.dataset.get("jobs", booked["jobId"])
    assert booked["jobAppointmentId"] == job["firstAppointmentId"]
    assert booked["createdOn"] < booked["start"]


@pytest.mark.parametrize("run", ["first", "incremental", "sweep"])
def test_membership_types_embed_the_items_their_child_streams_read(runs, run) -> None:
    """A membership type's durationBilling, discounts and recurringServices are its items
    as the child endpoints answer them (active ones), less the items' own fields."""
    types = {r["id"]: r for r in runs[run].records["membership_types"]}
    assert types, f"no membership type in the {run} run: the test proves nothing"
    for name, (field, fields) in EMBEDDED.items():
        row = ROWS[name]
        for type_id, record in types.items():
            children = [
                child
                for child in runs[run].records.get(name, [])
                if child[row.parent_key] == type_id and child.get("active", True) is True
            ]
            assert record[field] == [{f: c[f] for f in fields} for c in children], (name, type_id)


def test_child_state_does_not_grow_with_parents(runs) -> None:
    for name in ROWS:
        for run in ("first", "incremental", "sweep"):
            child_state = runs[run].final_state["bookmarks"][name]
            assert "partitions" not in child_state
            assert set(child_state) <= {
                "changed_since",
                "swept_at",
                "replication_key",
                "replication_key_value",
                "starting_replication_value",
            }, (name, run)
            assert len(json.dumps(child_state)) < 300
