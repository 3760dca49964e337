"""BATCH messages from the tap alone: what the files hold, and that no STATE runs ahead of them."""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from servicetitan_devtools.tap_runner import TAP, TapRun, catalog_selecting, run_tap
from servicetitan_sandbox.protocol import decode_continue
from tap_servicetitan.batch_files import LOCK_NAME, RETENTION_HOURS, BatchRun, BatchSettings
from tap_servicetitan.streams import CORE_STREAMS

STREAMS = [stream.name for stream in CORE_STREAMS]


def run_core(config: dict) -> TapRun:
    """The tap over the nine core streams (what the batch tests are about)."""
    return run_tap(config, catalog=catalog_selecting(config, STREAMS))


SDC_TIMES = ("_sdc_extracted_at", "_sdc_batched_at")


def batch_config(root: Path, batch_size: int = 250) -> dict:
    return {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": root.as_uri()},
        "batch_size": batch_size,
    }


def file_records(batch: dict) -> list[dict]:
    (url,) = batch["manifest"]
    with gzip.open(urlparse(url).path) as lines:
        return [json.loads(line) for line in lines]


def covered_ids(sandbox, stream: str, token: str) -> set[int]:
    """Ids a resume point covers: every record the feed served up to that token."""
    version = decode_continue(token)
    return {
        rid
        for rid in sandbox.dataset.ids(stream)
        if sandbox.dataset.version_of(stream, rid) <= version
    }


def checked_resume_points(sandbox, messages: list[dict]) -> int:
    """Assert the last STATE covers, for every stream, only records of announced files;
    the number of streams whose resume point was checked."""
    announced: dict[str, set[int]] = {stream: set() for stream in STREAMS}
    for batch in (m for m in messages if m["type"] == "BATCH"):
        announced[batch["stream"]] |= {r["id"] for r in file_records(batch)}
    (*_, last) = (m["value"] for m in messages if m["type"] == "STATE")
    checked = 0
    for stream, bookmark in last.get("bookmarks", {}).items():
        token = bookmark.get("continue_from")
        if token:
            assert covered_ids(sandbox, stream, token) <= announced[stream], stream
            checked += 1
    return checked


@pytest.fixture(scope="module")
def batch_run(sandbox, tmp_path_factory) -> tuple[TapRun, dt.datetime]:
    """One tap run with 250-record files over 100-record pages (files end mid-page),
    and when it started."""
    sandbox.faults.reset()
    root = tmp_path_factory.mktemp("batches")
    started = dt.datetime.now(dt.timezone.utc)
    run = run_core(sandbox.tap_config(batch_config=batch_config(root)))
    assert run.returncode == 0, run.stderr
    return run, started


def test_every_state_covers_only_records_already_announced(sandbox, batch_run) -> None:
    run, _ = batch_run
    announced: dict[str, set[int]] = {stream: set() for stream in STREAMS}
    mid_stream_states = 0
    for message in run.checkpoints:
        if message["type"] == "BATCH":
            announced[message["stream"]] |= {r["id"] for r in file_records(message)}
            continue
        for stream, bookmark in message["value"].get("bookmarks", {}).items():
            token = bookmark.get("continue_from")
            if not token:
                continue
            covered = covered_ids(sandbox, stream, token)
            missing = covered - announced[stream]
            assert not missing, f"STATE for {stream} covers {len(missing)} unannounced records"
            mid_stream_states += covered != sandbox.dataset.ids(stream)
    # resume points inside streams were checked, not only the final ones
    assert mid_stream_states > 5
    assert run.record_count == 0  # no RECORD messages when batching


def test_batch_files_hold_the_records_of_a_record_run_plus_load_times(sandbox, batch_run) -> None:
    run, started = batch_run
    plain = run_core(sandbox.tap_config())
    assert plain.returncode == 0, plain.stderr
    assert plain.batches == []
    finished = dt.datetime.now(dt.timezone.utc)
    batched: dict[str, list[dict]] = {stream: [] for stream in STREAMS}
    for batch in run.batches:
        records = file_records(batch)
        assert 1 <= len(records) <= 250
        batched[batch["stream"]].extend(records)
    for stream in STREAMS:
        for record in batched[stream]:
            for column in SDC_TIMES:
                at = dt.datetime.fromisoformat(record.pop(column).replace("Z", "+00:00"))
                assert started <= at <= finished, (stream, column)
        by_id = sorted(batched[stream], key=lambda r: r["id"])
        assert by_id == sorted(plain.records[stream], key=lambda r: r["id"]), stream
    assert plain.final_state["bookmarks"] == run.final_state["bookmarks"]


def test_a_tap_failing_mid_file_leaves_no_state_past_its_announced_files(
    fresh_sandbox, tmp_path
) -> None:
    """The API fails for good from about the 20th page: the tap holds pages in open
    files (streams side by side) whose STATEs it has made; none of them may leave the tap."""
    sandbox = fresh_sandbox
    sandbox.faults.configure(latency=0.05)

    def break_the_api() -> None:
        deadline = time.monotonic() + 60
        while sandbox.counters["requests"] < 20 and time.monotonic() < deadline:
            time.sleep(0.001)
        sandbox.faults.configure(error_rate=1.0, error_status=503)

    breaker = threading.Thread(target=break_the_api)
    breaker.start()
    run = run_core(sandbox.tap_config(batch_config=batch_config(tmp_path), max_retries=1))
    breaker.join()
    assert run.returncode != 0
    assert "giving up after retries" in run.stderr and "Traceback" not in run.stderr

    assert run.batches  # files were announced before the failure
    assert checked_resume_points(sandbox, run.checkpoints) >= 1
    announced = sum(len(file_records(batch)) for batch in run.batches)
    assert sandbox.counters["requests"] * 100 > announced + 100  # it read further


def test_sigterm_mid_file_writes_no_state_past_its_announced_files(fresh_sandbox, tmp_path) -> None:
    """singer-sdk answers SIGTERM by writing the whole current state: held back too."""
    fresh_sandbox.faults.configure(latency=0.05)
    config = tmp_path / "config.json"
    settings = fresh_sandbox.tap_config(batch_config=batch_config(tmp_path))
    config.write_text(json.dumps(settings))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(settings, STREAMS)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SERVICETITAN_")}
    proc = subprocess.Popen(
        [TAP, "--config", str(config), "--catalog", str(catalog)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    messages = []
    for line in proc.stdout:
        messages.append(json.loads(line))
        if messages[-1]["type"] == "BATCH":
            break  # the first file is announced; the second one is open
    time.sleep(0.2)  # a few more pages into the open file
    proc.send_signal(signal.SIGTERM)
    messages += [json.loads(line) for line in proc.stdout]
    proc.wait(timeout=60)

    assert checked_resume_points(fresh_sandbox, messages) >= 1
    announced = sum(len(file_records(m)) for m in messages if m["type"] == "BATCH")
    assert fresh_sandbox.counters["requests"] * 100 > announced + 100  # it read further


def test_empty_batch_config_means_record_messages(fresh_sandbox) -> None:
    run = run_core(fresh_sandbox.tap_config(batch_config={}))
    assert run.returncode == 0, run.stderr
    assert run.batches == []
    assert run.ids("customers") == fresh_sandbox.dataset.ids("customers")


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"encoding": {"format": "parquet"}}, "batch_config.encoding.format"),
        (
            {"encoding": {"format": "jsonl", "compression": "none"}},
            "batch_config.encoding.compression",
        ),
        ({"storage": {"root": "s3://bucket/batches"}}, "batch_config.storage.root"),
        ({"storage": {"root": "relative/folder"}}, "batch_config.storage.root"),
    ],
    ids=["parquet", "uncompressed", "s3", "relative"],
)
def test_unusable_batch_config_fails_in_one_line_naming_it(
    fresh_sandbox, tmp_path, change, setting
) -> None:
    config = batch_config(tmp_path) | change
    run = run_core(fresh_sandbox.tap_config(batch_config=config))
    assert run.returncode != 0
    assert setting in run.stderr
    assert "Traceback" not in run.stderr
    assert fresh_sandbox.counters["requests"] == 0


def test_a_run_removes_only_runs_no_loader_can_still_read(tmp_path) -> None:
    """The finished run its state names, and runs unchanged for RETENTION_HOURS; never
    a run of another pipeline or one whose tap still holds the lock."""
    settings = BatchSettings(root=tmp_path)
    runs = {}
    for name in ("finished", "other_pipeline", "stale", "stale_running"):
        with BatchRun(settings, "42") as run:
            batch = run.new_file("customers")
            batch.write({"id": 1}, None)
            batch.close()
        runs[name] = run.folder
    stale = time.time() - (RETENTION_HOURS + 1) * 3600
    for name in ("stale", "stale_running"):
        for path in (*runs[name].iterdir(), runs[name]):
            os.utime(path, (stale, stale))
    foreign = tmp_path / "tap-servicetitan-42" / "notes.txt"
    foreign.write_text("not the tap's")
    holder = os.open(runs["stale_running"] / LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a tap still writing
        with BatchRun(settings, "43"), BatchRun(settings, "42", runs["finished"].name) as new:
            assert not runs["finished"].exists()
            assert not runs["stale"].exists()
            assert runs["other_pipeline"].exists()
            assert runs["stale_running"].exists()
            assert foreign.exists() and new.folder.exists()
            assert new.state_entry() == {"finished_run": new.folder.name}
    finally:
        os.close(holder)
