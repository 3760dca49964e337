"""The singer-sdk surface the tap relies on: hooks it overrides, the one private use."""

from __future__ import annotations

import inspect
import io
import json
from contextlib import redirect_stdout

from singer_sdk import RESTStream, Stream
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.streams._state import StreamStateManager  # the private use under test

from servicetitan_sandbox import SandboxServer
from tap_servicetitan.auth import ServiceTitanAuthenticator
from tap_servicetitan.checkpoint import write_checkpoint
from tap_servicetitan.client import ExportStream, ListStream, ServiceTitanStream
from tap_servicetitan.tap import TapServiceTitan
from tap_servicetitan.writer import ServiceTitanWriter


def overridden_hooks(cls: type, base: type) -> list[str]:
    """Names ``cls`` defines itself that ``base`` (the SDK class) also defines."""
    return [
        name
        for klass in cls.__mro__
        if klass.__module__.startswith("tap_servicetitan")
        for name in vars(klass)
        if not name.startswith("_") and hasattr(base, name)
    ]


def test_every_overridden_sdk_hook_is_marked_override() -> None:
    for cls, base in (
        (ExportStream, RESTStream),
        (ListStream, RESTStream),
        (ServiceTitanAuthenticator, OAuthAuthenticator),
        (TapServiceTitan, TapServiceTitan.__mro__[1]),
        (ServiceTitanWriter, MsgSpecWriter),
    ):
        hooks = overridden_hooks(cls, base)
        assert hooks, cls
        for name in hooks:
            if name in {"name", "config_jsonschema", "message_writer_class", "schema",
                        "primary_keys", "replication_key", "is_sorted", "path",
                        "TYPE_CONFORMANCE_LEVEL"}:  # fmt: skip
                continue  # class attributes, not hooks
            member = inspect.getattr_static(cls, name)
            function = member.fget if isinstance(member, property) else member
            assert getattr(function, "__override__", False), f"{cls.__name__}.{name}"


def test_the_private_members_write_checkpoint_uses_still_exist() -> None:
    assert "is_flushed" in inspect.getsource(StreamStateManager)
    signature = inspect.signature(Stream._write_state_message)
    assert list(signature.parameters) == ["self"]


def test_the_private_members_record_messages_uses_still_exist() -> None:
    """``_generate_record_messages(record)`` makes a record's messages for
    ``_write_record_message``; ``_stream_version`` is their version."""
    signature = inspect.signature(Stream._generate_record_messages)
    assert list(signature.parameters) == ["self", "record"]
    assert "self._generate_record_messages(record)" in inspect.getsource(
        Stream._write_record_message
    )
    with SandboxServer(customers=5, seed=1) as server:
        tap = TapServiceTitan(config=server.tap_config())
        stream = tap.streams["customers"]
        assert stream._stream_version is None
        (message,) = stream._generate_record_messages({"id": 1, "modifiedOn": "2024-01-01"})
    assert message.stream == "customers"
    assert message.record == {"id": 1, "modifiedOn": "2024-01-01", "tenant_id": server.tenant_id}


def test_sdk_batch_path_stays_unused() -> None:
    """singer-sdk batches when ``get_batch_config`` answers; the tap's writer does instead."""
    assert "self.get_batch_config(self.config)" in inspect.getsource(Stream.sync)
    config = {"batch_config": {"encoding": {"format": "jsonl"}, "storage": {"root": "file:///x"}}}
    with SandboxServer(customers=5, seed=1) as server:
        tap = TapServiceTitan(config=server.tap_config(**config))
        assert all(s.get_batch_config(tap.config) is None for s in tap.streams.values())


def test_write_checkpoint_emits_the_current_state_now() -> None:
    with SandboxServer(customers=5, seed=1) as server:
        tap = TapServiceTitan(config=server.tap_config(), setup_mapper=False)
        stream: ServiceTitanStream = tap.streams["customers"]
        stream.stream_state["continue_from"] = "resume-here"
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        with redirect_stdout(out):
            write_checkpoint(stream)
        out.flush()
        text = out.buffer.getvalue().decode()
    messages = [json.loads(line) for line in text.splitlines()]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert states, text
    assert states[-1]["bookmarks"]["customers"]["continue_from"] == "resume-here"


def test_the_tap_replaces_the_state_writer_every_sdk_path_uses() -> None:
    """``Tap._state_writer`` (private): singer-sdk's sync loop, its SIGTERM handler and
    every stream write STATE through it; the tap puts its ConsistentStateWriter there."""
    from singer_sdk import Tap

    from tap_servicetitan.writer import ConsistentStateWriter

    assert "self._state_writer.write_state" in inspect.getsource(Tap._handle_termination)
    assert "self._tap.state_writer.write_state" in inspect.getsource(Stream._write_state_message)
    with SandboxServer(customers=5, seed=1) as server:
        tap = TapServiceTitan(config=server.tap_config())
        assert isinstance(tap.state_writer, ConsistentStateWriter)
        assert tap.state_writer is tap._state_writer
