"""Peak memory and CPU time of the processes under a command, and peak size of a folder.

Benchmarks start ``meltano run`` and want each plugin's own peak RSS and CPU
time (the tap's, the target's) and the largest the batch folder got. A
background thread samples ``/proc`` every ``interval`` seconds: a process's
``VmHWM`` is the kernel's own high-water mark of its RSS, so a sample taken
any time before the process exits already holds its peak; its CPU time is
the last sample's (at most ``interval`` short).
"""

from __future__ import annotations

import threading
import typing as t
from pathlib import Path

import psutil

if t.TYPE_CHECKING:
    from collections.abc import Iterable


def _peak_rss_mb(pid: int) -> float:
    """``VmHWM`` of a live process in MB (0 when it is gone or unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder`` (0 when it does not exist)."""
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:  # removed while we looked
            continue
    return total


class PeakUsage:
    """Sample a process tree and a folder until :meth:`stop`.

    ``watch`` maps a label to a string its command line contains
    (``{"tap": "tap-servicetitan"}``); ``peak_rss_mb[label]`` is the largest
    peak RSS of any matching process (``root_pid`` or a descendant),
    ``cpu_seconds[label]`` the CPU time (user + system) of the matching processes.
    """

    def __init__(
        self,
        root_pid: int,
        watch: dict[str, str],
        folder: Path | None = None,
        interval: float = 0.1,
    ) -> None:
        self.root_pid = root_pid
        self.watch = watch
        self.folder = folder
        self.interval = interval
        self.peak_rss_mb = dict.fromkeys(watch, 0.0)
        self._cpu: dict[str, dict[int, float]] = {label: {} for label in watch}
        self.peak_folder_bytes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PeakUsage:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def sample(self) -> None:
        for process in self._processes():
            try:
                command = " ".join(process.cmdline())
            except psutil.Error:
                continue
            for label, needle in self.watch.items():
                if needle in command:
                    peak = _peak_rss_mb(process.pid)
                    self.peak_rss_mb[label] = max(self.peak_rss_mb[label], peak)
                    try:
                        times = process.cpu_times()
                    except psutil.Error:
                        continue
                    self._cpu[label][process.pid] = times.user + times.system
        if self.folder is not None:
            self.peak_folder_bytes = max(self.peak_folder_bytes, folder_bytes(self.folder))

    @property
    def cpu_seconds(self) -> dict[str, float]:
        return {label: sum(by_pid.values()) for label, by_pid in self._cpu.items()}

    def _processes(self) -> Iterable[psutil.Process]:
        """``root_pid`` and every process under it."""
        try:
            root = psutil.Process(self.root_pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return ()
