"""Run ``tap-servicetitan`` as a real process and read its Singer output.

The one tap runner of the repository: tests keep the records they read,
benchmarks only count them (memory stays flat at any tenant size).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from servicetitan_devtools.peak_usage import PeakUsage

TAP = str(Path(sys.executable).parent / "tap-servicetitan")


@dataclass
class TapRun:
    """What one tap process wrote, how long it took and its peak memory."""

    returncode: int
    stderr: str = ""
    seconds: float = 0.0
    #: CPU time of the tap process (user + system): what contention barely changes.
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    record_count: int = 0
    records: dict[str, list[dict]] = field(default_factory=dict)
    schemas: dict[str, dict] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)
    #: STATE and BATCH messages in the order the tap wrote them.
    checkpoints: list[dict] = field(default_factory=list)

    @property
    def final_state(self) -> dict:
        return self.states[-1] if self.states else {}

    def ids(self, stream: str) -> set[int]:
        return {record["id"] for record in self.records.get(stream, [])}


def run_tap(
    config: dict,
    *,
    state: dict | None = None,
    catalog: dict | None = None,
    args: t.Sequence[str] = (),
    keep_records: bool = True,
    timeout: float = 900,
) -> TapRun:
    """Run the tap with ``config`` (and ``state``/``catalog``) and parse stdout.

    ``keep_records=False`` counts RECORD messages without keeping them.
    ``TAP_SERVICETITAN_*`` variables of the caller are not passed on, so only
    ``config`` configures the tap.
    """
    with tempfile.TemporaryDirectory() as tmp:
        command = [TAP, "--config", _write(tmp, "config", config)]
        if state is not None:
            command += ["--state", _write(tmp, "state", state)]
        if catalog is not None:
            command += ["--catalog", _write(tmp, "catalog", catalog)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SERVICETITAN_")}
        with open(Path(tmp) / "stderr", "w+b") as stderr:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [*command, *args], stdout=subprocess.PIPE, stderr=stderr, env=env
            )
            assert proc.stdout is not None
            # VmHWM of the tap itself: wait4's ru_maxrss would count this process's
            # own RSS too (Linux keeps the larger of the pre-exec and post-exec peaks)
            memory = PeakUsage(proc.pid, {"tap": ""}).start()
            run = TapRun(returncode=-1)
            deadline = started + timeout
            for line in proc.stdout:
                _read_message(run, line, keep_records)
                if time.perf_counter() > deadline:
                    proc.kill()
                    break
            memory.sample()
            memory.stop()
            _, status, usage = os.wait4(proc.pid, 0)
            run.seconds = time.perf_counter() - started
            run.returncode = os.waitstatus_to_exitcode(status)
            run.peak_rss_mb = memory.peak_rss_mb["tap"]
            run.cpu_seconds = usage.ru_utime + usage.ru_stime
            stderr.seek(0)
            run.stderr = stderr.read().decode(errors="replace")
    return run


def _read_message(run: TapRun, line: bytes, keep_records: bool) -> None:
    if not keep_records and line.startswith(b'{"type":"RECORD"'):
        run.record_count += 1
        return
    message = orjson.loads(line)
    kind = message["type"]
    if kind == "RECORD":
        run.record_count += 1
        run.records.setdefault(message["stream"], []).append(message["record"])
    elif kind == "SCHEMA":
        run.schemas[message["stream"]] = message["schema"]
    elif kind == "STATE":
        run.states.append(message["value"])
        run.checkpoints.append(message)
    elif kind == "BATCH":
        run.batches.append(message)
        run.checkpoints.append(message)


def discover(config: dict) -> dict:
    """The tap's ``--discover`` catalog for ``config``."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [TAP, "--config", _write(tmp, "config", config), "--discover"],
            capture_output=True,
            check=True,
        )
    return json.loads(proc.stdout)


def catalog_selecting(config: dict, streams: t.Iterable[str] | None) -> dict:
    """The discovered catalog with only ``streams`` selected (None: every stream)."""
    catalog = discover(config)
    wanted = None if streams is None else set(streams)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = (
                    wanted is None or entry["tap_stream_id"] in wanted
                )
    return catalog


def _write(folder: str, name: str, payload: dict) -> str:
    path = Path(folder) / f"{name}.json"
    path.write_text(json.dumps(payload))
    return str(path)
