"""The tap's Singer output: RECORD lines without a flush each, or BATCH files.

Without ``batch_config`` every message goes to stdout as singer-sdk's msgspec
writer would write it, except that RECORD lines are not flushed one by one:
they reach the pipe when the buffer fills or with the next STATE (or any other
message), which is flushed at once. A STATE therefore never overtakes the
records before it.

With ``batch_config`` (see ``batch_files.py``) records go to gzip JSON Lines
files instead, one open file per stream, and the one rule of this module
keeps resume points safe:

    A STATE message never covers a record that has not been announced in a
    BATCH message.

Streams write side by side, so some file is open almost always. A STATE that
arrives then is written at once with, for each stream that has an open
file, that stream's newest bookmark covering announced records only (the
bookmark it had in a STATE that came while it had no open file, or before
its file was announced; none if it never had one). The newest STATE is
written whole once no file is open. A file is announced when it reaches
``batch_size`` records, when another message of its stream arrives (a new
SCHEMA), when its stream ends, when a STATE arrives and the oldest open file
was started HOLD_STATE_SECONDS ago or more, and at the end of the run. So a
stream's resume point reaches the target at most HOLD_STATE_SECONDS (plus
one page) after its records were extracted, however slowly it fills its
files: what a killed run redoes stays bounded. Whatever writes the STATE
(the page checkpoints of export feeds, singer-sdk at the end of a stream,
its SIGTERM handler) goes through this rule. A run that fails or is killed
leaves its last files unannounced: the target's last state covers only
loaded files.
"""

from __future__ import annotations

import sys
import threading
import time
import typing as t

import msgspec
import orjson
from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.helpers._state import StateWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage
from typing_extensions import override

from tap_servicetitan.batch_files import STATE_KEY

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message

    from tap_servicetitan.batch_files import BatchFile, BatchRun

#: A STATE waits at most this long for its records' files to be announced.
HOLD_STATE_SECONDS = 30

#: The BATCH encoding of every file this tap writes.
BATCH_ENCODING = {"format": "jsonl", "compression": "gzip"}


class ServiceTitanWriter(MsgSpecWriter):
    """singer-sdk's msgspec writer, with buffered RECORD lines and optional BATCH files."""

    def __init__(self) -> None:
        super().__init__()
        #: Streams synced side by side write through this one writer, a message at a time.
        #: Re-entrant: the SIGTERM handler writes a STATE from whichever frame it interrupts.
        self._lock = threading.RLock()
        self._batches: BatchOutput | None = None
        #: The last SCHEMA line written per stream.
        self._schemas: dict[str, bytes] = {}

    def start_batches(self, run: BatchRun, streams: t.Collection[str]) -> None:
        """From now on, records of ``streams`` go to ``run``'s files."""
        self._batches = BatchOutput(run, self._emit, streams)

    def finish_batches(self) -> None:
        """Announce the open files, then write the waiting STATE (a run that succeeded)."""
        with self._lock:
            if self._batches is not None:
                self._batches.announce_all()
                self._batches = None

    def end_streams(self, names: t.Iterable[str]) -> None:
        """These streams wrote their last record: announce their open files now."""
        with self._lock:
            if self._batches is not None:
                self._batches.announce_streams(names)

    @override
    def write_message(self, message: Message) -> None:
        with self._lock:
            self._write(message)

    def _write(self, message: Message) -> None:
        if isinstance(message, SchemaMessage) and self._repeated(message):
            return
        if self._batches is not None:
            self._batches.write(message, self.format_message)
        elif isinstance(message, RecordMessage):
            sys.stdout.buffer.write(self.format_message(message))
        else:
            self._emit(self.format_message(message))

    def _repeated(self, message: SchemaMessage) -> bool:
        """Whether this SCHEMA equals the last one of its stream.

        singer-sdk writes a child stream's SCHEMA each time a parent hands it
        a page of parents; repeating it would cut a BATCH file each time.
        """
        line = bytes(self.format_message(message))
        if self._schemas.get(message.stream) == line:
            return True
        self._schemas[message.stream] = line
        return False

    @staticmethod
    def _emit(line: bytes | bytearray) -> None:
        """Write one message line and flush, with any records buffered before it."""
        out = sys.stdout.buffer
        out.write(line)
        out.flush()


class ConsistentStateWriter(StateWriter):
    """singer-sdk's STATE writer (a STATE only when the state changed), safe while
    streams side by side change the state.

    singer-sdk copies the state in Python (``copy.deepcopy``, ``dataclasses.asdict``)
    while other streams add entries to it (a stream starting, a progress marker),
    which fails with "dictionary changed size during iteration". Here the state
    is encoded by msgspec in one call that no other thread interrupts, and that
    copy of one moment is compared and written.
    """

    def __init__(self, message_writer: ServiceTitanWriter) -> None:
        super().__init__(message_writer)
        self._writer = message_writer
        self._lock = threading.RLock()
        self._last: dict | None = None

    @override
    def write_state(self, state: dict) -> None:
        with self._lock:
            moment = msgspec.json.decode(msgspec.json.encode(state))
            if moment != self._last:
                self._writer.write_message(StateMessage(value=moment))
                self._last = moment


class BatchOutput:
    """Records into batch files; BATCH messages; STATE held until its records are announced."""

    def __init__(
        self,
        run: BatchRun,
        emit: t.Callable[[bytes | bytearray], None],
        streams: t.Collection[str] | None = None,
    ) -> None:
        self.run = run
        self._emit = emit
        #: The tap's stream names (None: every file is named after its stream). A file
        #: named otherwise (a stream map's alias) cannot be told apart by bookmark.
        self._streams = None if streams is None else frozenset(streams)
        #: Open files by stream, each holding at least one record.
        self._open: dict[str, BatchFile] = {}
        #: The newest tap state as it was when its STATE arrived, until written whole.
        self._latest: dict | None = None
        #: Per stream, the newest bookmark that covers announced records only.
        self._safe: dict[str, t.Any] = {}
        #: The last STATE line written, and how STATE messages are encoded.
        self._written: bytes | None = None
        self._encode: t.Callable[[Message], bytearray] | None = None

    def write(self, message: Message, encode: t.Callable[[Message], bytearray]) -> None:
        if isinstance(message, RecordMessage):
            self._write_record(message)
        elif isinstance(message, StateMessage):
            # A copy made now: the state dict keeps changing after this call.
            self._encode = encode
            self._latest = orjson.loads(encode(message))["value"]
            if self._open and self._held_too_long():
                self.announce_all()
            else:
                self._write_state()
        else:
            # A stream's SCHEMA (or version) follows the records written before it:
            # that stream's file is announced first. Other streams' files stay open.
            stream = getattr(message, "stream", None)
            if stream is None:
                self.announce_all()
            elif stream in self._open:
                self.announce(stream)
            self._emit(encode(message))

    def _held_too_long(self) -> bool:
        started = min(batch.started for batch in self._open.values())
        return time.monotonic() - started >= HOLD_STATE_SECONDS

    def _write_record(self, message: RecordMessage) -> None:
        stream = message.stream
        batch = self._open.get(stream)
        if batch is None:
            batch = self._open[stream] = self.run.new_file(stream)
        batch.write(message.record, message.time_extracted)
        if batch.records >= self.run.settings.batch_size:
            self.announce(stream)

    def announce_streams(self, names: t.Iterable[str]) -> None:
        for stream in [name for name in names if name in self._open]:
            self.announce(stream, write_state=False)
        self._write_state()

    def announce_all(self) -> None:
        self.announce_streams(list(self._open))

    def announce(self, stream: str, *, write_state: bool = True) -> None:
        """Close ``stream``'s file, write its BATCH message, then the STATE that is true now.

        The file leaves ``_open`` only after its BATCH line is written, so a
        STATE written in between (by a signal handler) is still held back.
        """
        url = self._open[stream].close()
        self._emit(
            serialize_jsonl(
                {"type": "BATCH", "stream": stream, "encoding": BATCH_ENCODING, "manifest": [url]}
            )
        )
        del self._open[stream]
        if write_state:
            self._write_state()

    def _write_state(self) -> None:
        """Write the newest STATE that is true now, if it says more than the last one.

        Each stream's bookmark is the newest one's, except for a stream with an
        open file: its newest bookmark that covers announced records only (from
        a STATE that came while it had no open file, or before its file was
        announced) stands in, or none when it never had one. A state holding
        anything but bookmarks (and the batch folder entry) is written only
        whole, once no file is open, as is any state while a file is named
        after no stream.
        """
        latest = self._latest
        if latest is None or self._encode is None:
            return
        bookmarks = latest.get("bookmarks", {})
        for stream, bookmark in bookmarks.items():
            if stream not in self._open:
                self._safe[stream] = bookmark
        if self._open:
            if not self._by_bookmark(latest):
                return
            safe = {name: self._safe[name] for name in bookmarks if name in self._safe}
            latest = {**latest, "bookmarks": safe}
        else:
            self._latest = None
        line = bytes(self._encode(StateMessage(value=latest)))
        if line != self._written:
            self._written = line
            self._emit(line)

    def _by_bookmark(self, state: dict) -> bool:
        """Whether ``state`` can be written in part: bookmarks of streams named by their files."""
        if not set(state) <= {"bookmarks", STATE_KEY}:
            return False
        return self._streams is None or all(name in self._streams for name in self._open)
