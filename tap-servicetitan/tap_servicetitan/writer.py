"""The tap's Singer output: RECORD lines without a flush each, or BATCH files.

Without ``batch_config`` every message goes to stdout as singer-sdk's msgspec
writer would write it, except that RECORD lines are not flushed one by one:
they reach the pipe when the buffer fills or with the next STATE (or any other
message), which is flushed at once. A STATE therefore never overtakes the
records before it.

With ``batch_config`` (see ``batch_files.py``) records go to gzip JSON Lines
files instead, one open file per stream, and the one rule of this module
keeps resume points safe:

    A STATE message is written only once every record written before it has
    been announced in a BATCH message.

A STATE that arrives while a file holds records waits (a newer STATE replaces
it: each carries the whole tap state). A file is announced when it reaches
``batch_size`` records, when another message of its stream arrives (a new
SCHEMA), when its stream ends, when a STATE arrives and the oldest open file was started
HOLD_STATE_SECONDS ago or more, and at the end of the run; the waiting STATE
follows its BATCH message. So a resume point reaches the target at most
HOLD_STATE_SECONDS (plus one page) after its records were extracted, however
slowly a stream fills its files: what a killed run redoes stays bounded. Whatever writes the STATE (the page checkpoints of export feeds,
singer-sdk at the end of a stream, its SIGTERM handler) goes through this
rule. A run that fails or is killed leaves its last file unannounced and its
waiting STATE unwritten: the target's last state covers only loaded files.
"""

from __future__ import annotations

import sys
import threading
import time
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage
from typing_extensions import override

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

    def start_batches(self, run: BatchRun) -> None:
        """From now on, records go to ``run``'s files."""
        self._batches = BatchOutput(run, self._emit)

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


class BatchOutput:
    """Records into batch files; BATCH messages; STATE held until its records are announced."""

    def __init__(self, run: BatchRun, emit: t.Callable[[bytes | bytearray], None]) -> None:
        self.run = run
        self._emit = emit
        #: Open files by stream, each holding at least one record.
        self._open: dict[str, BatchFile] = {}
        #: The latest STATE line not yet written, serialized when it arrived.
        self._held_state: bytes | None = None

    def write(self, message: Message, encode: t.Callable[[Message], bytearray]) -> None:
        if isinstance(message, RecordMessage):
            self._write_record(message)
        elif isinstance(message, StateMessage):
            # Serialized now: the state dict keeps changing after this call.
            line = bytes(encode(message))
            if self._open and self._held_too_long():
                self._held_state = line
                self.announce_all()
            elif self._open:
                self._held_state = line
            else:
                self._emit(line)
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
            self.announce(stream)

    def announce_all(self) -> None:
        for stream in list(self._open):
            self.announce(stream)

    def announce(self, stream: str) -> None:
        """Close ``stream``'s file, write its BATCH message, then any STATE it held back.

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
        if not self._open and self._held_state is not None:
            line, self._held_state = self._held_state, None
            self._emit(line)
