"""The writer's one rule in BATCH mode: a STATE waits until its records are announced."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlparse

from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from tap_servicetitan.batch_files import BatchRun, BatchSettings
from tap_servicetitan.writer import BatchOutput, ServiceTitanWriter

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
        writer.start_batches(run)
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
