"""Shared pieces of the benchmarks: a sandbox in its own process, timing, RSS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SandboxProcess:
    """``servicetitan-sandbox`` in a separate process, so it does not share the GIL."""

    def __init__(self, customers: int, *extra: str, seed: int = 42) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.customers = customers
        self.args = [
            str(BIN / "servicetitan-sandbox"),
            "--port",
            str(self.port),
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            *extra,
        ]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> SandboxProcess:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                self.control("GET", "health")
                return self
            except OSError:
                time.sleep(0.2)
        msg = "sandbox did not start"
        raise RuntimeError(msg)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def control(self, method: str, name: str, body: dict | None = None) -> dict:
        """Call one of the sandbox's ``/_sandbox/*`` control endpoints."""
        answer = requests.request(method, f"{self.url}/_sandbox/{name}", json=body, timeout=600)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def tap_config(self, **overrides: object) -> dict:
        config = {
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
            "st_app_key": "sandbox-app-key",
            "tenant_id": "1234567",
            "api_url": self.url,
            "auth_url": f"{self.url}/connect/token",
        }
        config.update(overrides)
        return config


@dataclass
class TapResult:
    seconds: float
    records: int
    peak_rss_mb: float
    state: dict


def run_tap(config: dict, *, catalog: dict | None = None, state: dict | None = None) -> TapResult:
    """Run the tap, count RECORD lines, measure wall time and the tap's peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(BIN / "tap-servicetitan"), "--config", _write(tmp, "config", config)]
        if catalog is not None:
            args += ["--catalog", _write(tmp, "catalog", catalog)]
        if state is not None:
            args += ["--state", _write(tmp, "state", state)]
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        records, last_state = _count_records(proc.stdout)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        msg = f"tap failed with exit code {proc.returncode}"
        raise RuntimeError(msg)
    return TapResult(seconds, records, usage.ru_maxrss / 1024, last_state)


def _count_records(stream) -> tuple[int, dict]:
    records = 0
    last_state: dict = {}
    for line in stream:
        if line.startswith(b'{"type":"RECORD"'):
            records += 1
        elif line.startswith(b'{"type":"STATE"'):
            last_state = json.loads(line)["value"]
    return records, last_state


def catalog_for(config: dict, streams: set[str] | None) -> dict | None:
    """The discovered catalog with only ``streams`` selected (None: all)."""
    if streams is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                str(BIN / "tap-servicetitan"),
                "--config",
                _write(tmp, "config", config),
                "--discover",
            ],
            capture_output=True,
            check=True,
        ).stdout
    catalog = json.loads(out)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def _write(folder: str, name: str, payload: dict) -> str:
    path = Path(folder) / f"{name}.json"
    path.write_text(json.dumps(payload))
    return str(path)
