"""The writer's one rule in BATCH mode: a STATE waits until its records are announced."""

from __future__ import annotations

import gzip
import json
import sys
import threading
from urllib.parse import urlparse

from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from tap_servicetitan.batch_files import BatchRun, BatchSettings
from tap_servicetitan.writer import BatchOutput, ConsistentStateWriter, ServiceTitanWriter

ENCODE = ServiceTitanWriter().format_message


def record(stream: str, rid: int) -> RecordMessage:
    return RecordMessage(stream=stream, record={"id": rid})


def kinds(lines: list[dict]) -> list[str]:
    return [line["type"] for line in lines]


def test_state_waits_until_every_open_file_is_announced(tmp_path) -> None:
    lines: list[dict] = []
    with BatchRun(BatchSettings(root=tmp_path, batch_size=3), "1") as run:
        output = BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))))
        output.write(StateMessage(value={"n": 0}), ENCODE)  # nothing open: written at once
        output.write(record("a", 1), ENCODE)
        state = {"n": 1}
        output.write(StateMessage(value=state), ENCODE)
        state["n"] = 99  # the live state moves on; the held line does not
        assert kinds(lines) == ["STATE"]

        output.write(record("a", 2), ENCODE)
        output.write(record("b", 1), ENCODE)
        output.write(record("a", 3), ENCODE)  # a is full: announced, b still open
        assert kinds(lines) == ["STATE", "BATCH"]

        # another stream's SCHEMA (a stream starting beside the others) leaves b open ...
        output.write(
            SchemaMessage(stream="c", schema={"properties": {}}, key_properties=[]), ENCODE
        )
        assert kinds(lines) == ["STATE", "BATCH", "SCHEMA"]
        # ... b's own announces b's file, then the held STATE, then itself
        output.write(
            SchemaMessage(stream="b", schema={"properties": {}}, key_properties=[]), ENCODE
        )
    assert kinds(lines) == ["STATE", "BATCH", "SCHEMA", "BATCH", "STATE", "SCHEMA"]
    assert lines[4]["value"] == {"n": 1}
    announced = {line["stream"]: line["manifest"] for line in lines if line["type"] == "BATCH"}
    for stream, ids in {"a": [1, 2, 3], "b": [1]}.items():
        (url,) = announced[stream]
        with gzip.open(urlparse(url).path) as rows:
            assert [json.loads(row)["id"] for row in rows] == ids


def test_a_run_that_stops_early_never_writes_the_held_state(tmp_path) -> None:
    lines: list[dict] = []
    with BatchRun(BatchSettings(root=tmp_path, batch_size=10), "1") as run:
        output = BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))))
        output.write(record("a", 1), ENCODE)
        output.write(StateMessage(value={"n": 1}), ENCODE)
        # the run fails here: finish_batches / announce_all is never called
    assert lines == []
    assert len(list(run.folder.glob("a-*.jsonl.gz"))) == 1  # left for the next run to remove


def test_finish_announces_the_last_files_then_the_final_state(tmp_path, capsysbinary) -> None:
    writer = ServiceTitanWriter()
    with BatchRun(BatchSettings(root=tmp_path), "1") as run:
        writer.start_batches(run, ["a"])
        writer.write_message(record("a", 1))
        writer.write_message(StateMessage(value={"n": 1}))
        assert capsysbinary.readouterr().out == b""
        writer.finish_batches()
    lines = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert kinds(lines) == ["BATCH", "STATE"]
    # without batches again: plain messages
    writer.write_message(record("a", 2))
    writer.write_message(StateMessage(value={"n": 2}))
    lines = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert kinds(lines) == ["RECORD", "STATE"]


def test_a_stream_that_ends_announces_its_own_file_only(tmp_path) -> None:
    """Streams side by side: one ending does not cut the others' files."""
    lines: list[dict] = []
    with BatchRun(BatchSettings(root=tmp_path, batch_size=100), "1") as run:
        output = BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))))
        output.write(record("a", 1), ENCODE)
        output.write(record("b", 1), ENCODE)
        output.write(StateMessage(value={"n": 1}), ENCODE)
        output.announce_streams(["a", "c"])
        assert [(line["type"], line.get("stream")) for line in lines] == [("BATCH", "a")]
        output.announce_streams(["b"])
    assert kinds(lines) == ["BATCH", "BATCH", "STATE"]


def states(lines: list[dict]) -> list[dict]:
    return [line["value"]["bookmarks"] for line in lines if line["type"] == "STATE"]


def test_a_state_says_for_each_stream_what_its_announced_files_cover(tmp_path) -> None:
    """Streams side by side keep some file open: a STATE is written at once, each
    stream with an open file keeping its last bookmark that covers announced records."""
    lines: list[dict] = []
    with BatchRun(BatchSettings(root=tmp_path, batch_size=2), "1") as run:
        output = BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))), ["a", "b"])
        output.write(StateMessage(value={"bookmarks": {"a": 0, "b": 0}}), ENCODE)
        output.write(record("a", 1), ENCODE)
        output.write(StateMessage(value={"bookmarks": {"a": 1, "b": 0}}), ENCODE)
        output.write(record("b", 1), ENCODE)
        output.write(StateMessage(value={"bookmarks": {"a": 1, "b": 1}}), ENCODE)
        # a and b open: their bookmarks stay at what announced files cover (nothing new)
        assert states(lines) == [{"a": 0, "b": 0}]
        output.write(record("a", 2), ENCODE)  # a's file is full: announced
        # a's bookmark of the newest STATE now covers announced records only; b's does not
        assert states(lines)[-1] == {"a": 1, "b": 0}
        output.write(StateMessage(value={"bookmarks": {"a": 2, "b": 1}}), ENCODE)
        assert states(lines)[-1] == {"a": 2, "b": 0}  # a has no open file: its newest stands
        output.announce_all()
    assert states(lines)[-1] == {"a": 2, "b": 1}
    assert all(line["type"] != "STATE" or line["value"]["bookmarks"] for line in lines)


def test_a_file_named_after_no_stream_holds_the_whole_state(tmp_path) -> None:
    """A stream map's alias: its file cannot be matched to a bookmark, so a STATE
    waits until every file is announced, as when records and states cannot be told apart."""
    lines: list[dict] = []
    with BatchRun(BatchSettings(root=tmp_path, batch_size=100), "1") as run:
        output = BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))), ["a"])
        output.write(record("renamed_a", 1), ENCODE)
        output.write(StateMessage(value={"bookmarks": {"a": 1}}), ENCODE)
        assert lines == []
        output.announce_all()
    assert kinds(lines) == ["BATCH", "STATE"]
    assert states(lines) == [{"a": 1}]


def test_a_state_is_written_while_other_streams_change_it(capsysbinary) -> None:
    """Streams side by side add and remove entries of the state while one of them
    writes a STATE: every line is whole and valid JSON, none fails."""
    state: dict = {"bookmarks": {}}
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            state["bookmarks"][f"s{n % 50}"] = {"progress_markers": {"n": n}}
            state["bookmarks"].pop(f"s{(n + 25) % 50}", None)
            n += 1

    writer = ConsistentStateWriter(ServiceTitanWriter())
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can
    other = threading.Thread(target=churn)
    other.start()
    try:
        for _ in range(2000):
            writer.write_state(state)
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(switch)
    lines = capsysbinary.readouterr().out.splitlines()
    assert len(lines) >= 2  # the state changed between writes: written again
    assert all(json.loads(line)["type"] == "STATE" for line in lines)
