"""Batch files: gzip JSON Lines under one folder per run, and the removal of earlier runs.

With singer-sdk's ``batch_config`` setting the tap writes records to files and
announces each finished file in a BATCH message (see ``writer.py``). The files
of one run live together::

    <batch_config.storage.root>/tap-servicetitan-<tenant_id>/
        run-20261124T101500Z-1a2b3c4d/
            .lock                                 held by the tap while it runs
            <prefix>customers-0001.jsonl.gz       one JSON record per line
            <prefix>customers-0002.jsonl.gz

target-postgres loads a file when it reads the BATCH message naming it and
then leaves the file where it is; Meltano has no step after the load. The
target may still be reading a run's files long after its tap has exited (it
loads file after file while the tap, quicker, has finished), and other
pipelines of the same tenant (another Meltano environment or system
database, a ``--state-id-suffix``, the tap run alone) share the tenant's
folder. So a run folder is removed only when no loader can read it any more:

- the run that wrote it finished and its final STATE was committed: the
  tap's last STATE message names its folder (``batch_files.finished_run``),
  it follows every BATCH message of the run, and a target writes a state only
  once everything before it is loaded. When the next run of the same
  pipeline starts from that state, every file of the named folder has been
  loaded: it removes the folder. Runs of other pipelines never get that
  state, so they never remove it;
- or nothing in it has changed for RETENTION_HOURS (a run that failed, whose
  final state never came, or a pipeline that is not run any more): a loader
  lags its tap by what the pipe between them holds (a few hundred BATCH
  messages, minutes of loading), never by a day.

A folder whose ``.lock`` is held belongs to a tap still writing and is never
removed. So a tenant's folder holds the last finished run of each pipeline
(until its next run), the runs in progress and, for at most
RETENTION_HOURS, the folders of failed runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import gzip
import logging
import os
import time
import typing as t
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import msgspec

from tap_servicetitan.errors import ConfigurationError, ServiceTitanError

if t.TYPE_CHECKING:
    from types import TracebackType

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10000
#: gzip level 1: a third of level 6's CPU for files about 20% larger.
COMPRESS_LEVEL = 1
#: Encoded records are handed to gzip this many bytes at a time.
WRITE_CHUNK_BYTES = 1 << 20
FILE_SUFFIX = ".jsonl.gz"
RUN_PREFIX = "run-"
LOCK_NAME = ".lock"
#: Run folders unchanged for this long are removed whoever wrote them.
RETENTION_HOURS = 24
#: Key of the tap's state naming the last finished run's folder.
STATE_KEY = "batch_files"

#: Decimals as JSON numbers (exact money), datetimes as RFC 3339.
_encoder = msgspec.json.Encoder(decimal_format="number")


class BatchWriteError(ServiceTitanError):
    """A batch file could not be written (a full disk, say)."""


@dataclass(frozen=True)
class BatchSettings:
    """The parts of singer-sdk's ``batch_config`` setting this tap uses."""

    root: Path
    prefix: str = ""
    batch_size: int = DEFAULT_BATCH_SIZE

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> BatchSettings | None:
        """The batch settings, or None when ``batch_config`` is absent or empty.

        Raises:
            ConfigurationError: naming the part of ``batch_config`` to fix.
        """
        raw = config.get("batch_config")
        if not raw:
            return None
        encoding = raw.get("encoding") or {}
        if encoding.get("format", "jsonl") != "jsonl":
            msg = "setting 'batch_config.encoding.format' must be 'jsonl' (target-postgres reads gzip JSON Lines)"
            raise ConfigurationError(msg)
        if encoding.get("compression", "gzip") != "gzip":
            msg = "setting 'batch_config.encoding.compression' must be 'gzip' (target-postgres reads gzip JSON Lines)"
            raise ConfigurationError(msg)
        storage = raw.get("storage") or {}
        batch_size = raw.get("batch_size") or DEFAULT_BATCH_SIZE
        if not isinstance(batch_size, int) or batch_size < 1:
            msg = (
                f"setting 'batch_config.batch_size' must be a whole number >= 1, got {batch_size!r}"
            )
            raise ConfigurationError(msg)
        return cls(
            root=_local_folder(storage.get("root")),
            prefix=str(storage.get("prefix") or ""),
            batch_size=batch_size,
        )


def _local_folder(root: object) -> Path:
    """``batch_config.storage.root`` as an absolute local path (``file://`` URL or path)."""
    text = str(root or "").strip()
    parsed = urlparse(text)
    if parsed.scheme == "file" and not parsed.netloc:
        text = unquote(parsed.path)
    elif parsed.scheme:
        text = ""
    path = Path(text)
    if not text or not path.is_absolute():
        msg = (
            "setting 'batch_config.storage.root' must be an absolute local folder such as "
            f"'file:///var/lib/servicetitan/batches', got {root!r}"
        )
        raise ConfigurationError(msg)
    return path


class BatchFile:
    """One gzip JSON Lines file being written; records are encoded straight into it.

    Every line is a record plus the two load times target-postgres sets for
    RECORD messages but leaves empty for BATCH files: ``_sdc_extracted_at``
    (when the tap made the record) and ``_sdc_batched_at`` (when this file
    was started).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self.batched_at = dt.datetime.now(dt.timezone.utc)
        #: time.monotonic() when the file was started.
        self.started = time.monotonic()
        try:
            self._raw = path.open("xb")
            self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=COMPRESS_LEVEL)
        except OSError as exc:
            raise write_error(exc, path) from exc
        self._pending = bytearray()

    def write(self, record: dict[str, t.Any], extracted_at: dt.datetime | None) -> None:
        record["_sdc_extracted_at"] = extracted_at
        record["_sdc_batched_at"] = self.batched_at
        _encoder.encode_into(record, self._pending, -1)
        self._pending.extend(b"\n")
        self.records += 1
        if len(self._pending) >= WRITE_CHUNK_BYTES:
            try:
                self._gzip.write(self._pending)
            except OSError as exc:
                raise write_error(exc, self.path) from exc
            self._pending.clear()

    def close(self) -> str:
        """Finish the file; its ``file://`` URL for the BATCH manifest."""
        try:
            self._gzip.write(self._pending)
            self._pending.clear()
            self._gzip.close()
            self._raw.close()
        except OSError as exc:
            raise write_error(exc, self.path) from exc
        return self.path.as_uri()


def write_error(exc: OSError, path: Path) -> BatchWriteError:
    """A failed write of a batch file, in one line naming the folder and the setting."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BatchWriteError(
            f"no space left for batch files in {path.parent} (writing {path.name}); free space "
            "there, or set 'batch_config.storage.root' to a folder on a disk with room for the "
            "run's batch files"
        )
    return BatchWriteError(
        f"cannot write the batch file {path} ({exc.strerror or exc}); check the folder set in "
        "'batch_config.storage.root'"
    )


class BatchRun:
    """This run's batch folder: created and locked on entry, loaded runs removed.

    The lock is released on exit; the files stay for the target to load and
    are removed by the next run of the same pipeline (or after RETENTION_HOURS).
    ``finished_run``: the folder the state this run starts from names as
    finished (see the module docstring).
    """

    def __init__(
        self, settings: BatchSettings, tenant_id: str, finished_run: str | None = None
    ) -> None:
        self.settings = settings
        self.finished_run = finished_run
        self.tenant_folder = settings.root / f"tap-servicetitan-{tenant_id}"
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.folder = self.tenant_folder / f"{RUN_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}"
        self._files_per_stream: dict[str, int] = {}
        self._lock_fd: int | None = None

    def __enter__(self) -> BatchRun:
        try:
            self.folder.mkdir(parents=True)
        except OSError as exc:
            msg = (
                f"setting 'batch_config.storage.root': cannot create {self.folder} ({exc.strerror})"
            )
            raise ConfigurationError(msg) from None
        self._lock_fd = _locked(self.folder / LOCK_NAME)
        removed = remove_loaded_runs(self.tenant_folder, self.finished_run, keep=self.folder)
        if removed:
            logger.info(
                "Removed %d batch files of finished runs from %s", removed, self.tenant_folder
            )
        return self

    def state_entry(self) -> dict[str, str]:
        """What the run's final STATE says: this folder's files are all loaded once it is."""
        return {"finished_run": self.folder.name}

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def new_file(self, stream: str) -> BatchFile:
        """The next file of ``stream`` in this run's folder."""
        number = self._files_per_stream.get(stream, 0) + 1
        self._files_per_stream[stream] = number
        name = f"{self.settings.prefix}{stream}-{number:04d}{FILE_SUFFIX}"
        return BatchFile(self.folder / name)


def _locked(path: Path) -> int:
    """Open ``path`` and hold an exclusive lock on it until the descriptor is closed."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def in_use(folder: Path) -> bool:
    """Whether a running tap holds ``folder``'s lock."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def remove_loaded_runs(
    tenant_folder: Path,
    finished_run: str | None,
    keep: Path,
    now: float | None = None,
) -> int:
    """Delete the run folders no loader can still read (see the module docstring).

    ``finished_run`` is removed unless in use; any other run folder but
    ``keep`` only once unchanged for RETENTION_HOURS and not in use. Only
    what this module writes is deleted (run folders, their batch files and
    lock); anything else found there is left alone. Returns the number of
    batch files removed.
    """
    removed = 0
    oldest = (time.time() if now is None else now) - RETENTION_HOURS * 3600
    for folder in sorted(tenant_folder.glob(f"{RUN_PREFIX}*")):
        if folder == keep or not folder.is_dir():
            continue
        if folder.name != finished_run and _last_change(folder) > oldest:
            continue
        if in_use(folder):
            continue
        removed += _remove_run(folder)
    return removed


def _last_change(folder: Path) -> float:
    """When anything in ``folder`` last changed (its own or its newest file's time)."""
    times = [folder.stat().st_mtime]
    for path in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            times.append(path.stat().st_mtime)
    return max(times)


def _remove_run(folder: Path) -> int:
    removed = 0
    for path in folder.glob(f"*{FILE_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    (folder / LOCK_NAME).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        logger.warning("Left %s in place: it holds files the tap did not write", folder)
    return removed
