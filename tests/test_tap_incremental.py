"""State-based incremental runs of the tap alone (no Meltano)."""

from __future__ import annotations

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from tap_servicetitan.streams import CORE_STREAMS

# The nine core export streams (list streams: test_list_incremental.py).
STREAMS = [stream.name for stream in CORE_STREAMS]


def test_second_run_asks_once_per_stream_and_gets_nothing(fresh_sandbox) -> None:
    config = fresh_sandbox.tap_config()
    catalog = catalog_selecting(config, STREAMS)
    first = run_tap(config, catalog=catalog)
    assert first.returncode == 0, first.stderr
    fresh_sandbox.reset_counters()
    second = run_tap(config, state=first.final_state, catalog=catalog)
    assert second.returncode == 0, second.stderr
    assert sum(len(v) for v in second.records.values()) == 0
    assert fresh_sandbox.counters["requests"] == len(STREAMS)


def test_changes_arrive_even_without_their_parent(fresh_sandbox) -> None:
    config = fresh_sandbox.tap_config()
    catalog = catalog_selecting(config, STREAMS)
    first = run_tap(config, catalog=catalog)
    contact = fresh_sandbox.dataset.records("customer_contacts")[0]
    fresh_sandbox.dataset.update("customer_contacts", contact["id"], active=False)
    summary = fresh_sandbox.mutate(fraction=0.05, seed=11)
    assert summary
    second = run_tap(config, state=first.final_state, catalog=catalog)
    assert second.returncode == 0, second.stderr
    deleted = [c for c in second.records["customer_contacts"] if c["id"] == contact["id"]]
    assert deleted and deleted[-1]["active"] is False
    # everything the tenant now holds is what the two runs saw, latest version wins
    for stream in STREAMS:
        latest = {r["id"]: r for r in first.records.get(stream, [])}
        latest.update({r["id"]: r for r in second.records.get(stream, [])})
        current = {r["id"]: r for r in fresh_sandbox.dataset.records(stream)}
        assert set(latest) == set(current), stream
        changed = [i for i in current if latest[i]["modifiedOn"] != current[i]["modifiedOn"]]
        assert not changed, f"{stream}: stale records {changed[:5]}"
    assert (
        sum(len(v) for v in second.records.values())
        < sum(len(v) for v in first.records.values()) / 3
    )


def test_interrupted_run_resumes_from_the_last_page(fresh_sandbox) -> None:
    """A state cut after some pages resumes there: nothing lost, little redone."""
    config = fresh_sandbox.tap_config()
    catalog = catalog_selecting(config, STREAMS)
    full = run_tap(config, catalog=catalog)
    midway = next(
        s for s in full.states if "continue_from" in s.get("bookmarks", {}).get("customers", {})
    )
    resumed = run_tap(config, state=midway, catalog=catalog)
    assert resumed.returncode == 0, resumed.stderr
    seen = {r["id"] for r in full.records["customers"][: fresh_sandbox.export_page_size]}
    seen |= resumed.ids("customers")
    assert seen == fresh_sandbox.dataset.ids("customers")
    assert len(resumed.records["customers"]) < len(full.records["customers"])
