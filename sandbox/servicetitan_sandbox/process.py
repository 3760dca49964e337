"""The sandbox in a child process: one wrapper for tests, benchmarks and the demo.

A child process does not share the caller's GIL, so a benchmark measures the
tap rather than the emulator. The child listens on a free port and prints one
line, ``servicetitan-sandbox listening on <url> ...``, which is how the
wrapper learns where it is.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import requests

from . import credentials

START_TIMEOUT_SECONDS = 600.0


class SandboxStartError(RuntimeError):
    """The child process exited or stayed silent instead of listening."""


class SandboxProcess:
    """``servicetitan-sandbox`` running in a child process on a free port.

    ``options`` are the CLI's own (``--latency``, ``--rate-limit``, ...), passed
    as keyword arguments: ``SandboxProcess(2000, latency=0.08)``.
    """

    def __init__(
        self,
        customers: int,
        *,
        seed: int = 42,
        tenant_id: int = credentials.TENANT_ID,
        log_path: Path | None = None,
        **options: object,
    ) -> None:
        self.customers = customers
        self.tenant_id = tenant_id
        self.log_path = log_path
        self.url = ""
        self.process: subprocess.Popen | None = None
        self.command = [
            sys.executable, "-m", "servicetitan_sandbox",
            "--port", "0",
            "--customers", str(customers),
            "--seed", str(seed),
            "--tenant-id", str(tenant_id),
        ]  # fmt: skip
        for name, value in options.items():
            self.command += [f"--{name.replace('_', '-')}", str(value)]

    def start(self) -> SandboxProcess:
        stderr = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stderr = self.log_path.open("w", encoding="utf-8")
        with contextlib.ExitStack() as stack:
            if stderr is not subprocess.DEVNULL:
                stack.enter_context(stderr)
            self.process = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        line = self._first_line()
        match = re.search(r"listening on (\S+)", line)
        if not match:
            self.stop()
            msg = f"the sandbox did not start: {line.strip() or 'no output'}"
            raise SandboxStartError(msg)
        self.url = match.group(1)
        return self

    def _first_line(self) -> str:
        assert self.process is not None
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                return self.process.stdout.readline()
            if self.process.poll() is not None:
                return ""
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def tap_config(self, **overrides: object) -> dict:
        """Tap settings pointing at this sandbox (``overrides`` merged last)."""
        return credentials.tap_config(self.url, self.tenant_id, **overrides)

    def control(self, method: str, name: str, body: dict | None = None) -> dict:
        """Call one of the sandbox's ``/_sandbox/*`` control endpoints."""
        answer = requests.request(method, f"{self.url}/_sandbox/{name}", json=body, timeout=600)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """Change ``fraction`` of every stream's records (see ``SandboxServer.mutate``)."""
        return self.control("POST", "mutate", {"fraction": fraction, "seed": seed})
