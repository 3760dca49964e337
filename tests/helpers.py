"""Test helpers: run the tap as a real process and read its Singer output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class TapRun:
    """What one tap process wrote."""

    returncode: int
    stderr: str
    records: dict[str, list[dict]] = field(default_factory=dict)
    schemas: dict[str, dict] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)

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
    args: tuple[str, ...] = (),
    timeout: float = 600,
) -> TapRun:
    """Run ``tap-servicetitan`` with the given config/state/catalog; parse stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(BIN / "tap-servicetitan"), "--config", _dump(tmp, "config", config)]
        if state is not None:
            cmd += ["--state", _dump(tmp, "state", state)]
        if catalog is not None:
            cmd += ["--catalog", _dump(tmp, "catalog", catalog)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SERVICETITAN_")}
        proc = subprocess.run(
            [*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    run = TapRun(returncode=proc.returncode, stderr=proc.stderr)
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        kind = message["type"]
        if kind == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif kind == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
        elif kind == "STATE":
            run.states.append(message["value"])
    return run


def discover(config: dict) -> dict:
    proc = subprocess.run(
        [str(BIN / "tap-servicetitan"), "--config", _dump_tmp(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def catalog_selecting(config: dict, streams: set[str]) -> dict:
    """The discovered catalog with only ``streams`` selected."""
    catalog = discover(config)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def _dump(folder: str, name: str, payload: dict) -> str:
    path = Path(folder) / f"{name}.json"
    path.write_text(json.dumps(payload))
    return str(path)


def _dump_tmp(payload: dict) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    with handle:
        json.dump(payload, handle)
    return handle.name
