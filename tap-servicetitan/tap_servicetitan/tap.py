"""TapServiceTitan: settings and stream discovery."""

from __future__ import annotations

import copy
import typing as t
from functools import cached_property

from singer_sdk import Tap
from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk import Stream

from tap_servicetitan.api import ServiceTitanApi
from tap_servicetitan.batch_files import STATE_KEY, BatchRun, BatchSettings
from tap_servicetitan.config import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.reconciliation import STREAM_NAME as RECORD_COUNTS
from tap_servicetitan.reconciliation import RecordCountsStream
from tap_servicetitan.reports import REPORT_SETTINGS, report_streams
from tap_servicetitan.scheduling import StreamPool, largest_first
from tap_servicetitan.streams import TAP_STREAMS
from tap_servicetitan.writer import ConsistentStateWriter, ServiceTitanWriter


class TapServiceTitan(Tap):
    """Singer tap for the ServiceTitan REST API."""

    name = "tap-servicetitan"
    # a copy: singer-sdk adds its built-in settings (stream_maps, batch_config, ...) to this dict
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    config_jsonschema["properties"].update(copy.deepcopy(REPORT_SETTINGS["properties"]))
    #: singer-sdk's msgspec encoder, records unflushed, and BATCH files (writer.py).
    message_writer_class = ServiceTitanWriter

    #: The input state's ``batch_files`` entry: the folder of the run it comes from, if finished.
    finished_run: str | None = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # Streams side by side change the state while one of them writes it (writer.py).
        self._state_writer = ConsistentStateWriter(
            t.cast("ServiceTitanWriter", self.message_writer)
        )

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """singer-sdk's bookmarks, and the batch folder the state says was loaded (batch_files.py)."""
        super().load_state(state)
        entry = state.get(STATE_KEY)
        if isinstance(entry, dict) and isinstance(entry.get("finished_run"), str):
            self.finished_run = entry["finished_run"]

    @override
    def discover_streams(self) -> list:
        streams = [stream_class(tap=self, api=self.api) for stream_class in TAP_STREAMS]
        # ServiceTitan's own reports (the custom_reports setting) beside the rest.
        return [RecordCountsStream(self, self.api), *streams, *report_streams(self, self.api)]

    @override
    def load_streams(self) -> list:
        """singer-sdk's order (by name), but record_counts first: the API counts the
        records before any stream reads them (reconciliation.py)."""
        streams = super().load_streams()
        return sorted(streams, key=lambda stream: stream.name != RECORD_COUNTS)

    @cached_property
    def api(self) -> ServiceTitanApi:
        """The session, token and rate limit every stream of the run shares."""
        return ServiceTitanApi(self.config)

    @override
    def sync_all(self) -> None:
        validate_settings(self.config)
        batches = BatchSettings.from_config(self.config)
        if batches is None:
            self._sync_streams()
            return
        writer = t.cast("ServiceTitanWriter", self.message_writer)
        with BatchRun(batches, str(self.config["tenant_id"]), self.finished_run) as run:
            writer.start_batches(run, list(self.streams))
            self._sync_streams()
            # Only a run that succeeded announces its last files and final STATE,
            # then one more STATE naming its folder: the target writes it only once
            # every file of the run is loaded, so the next run may remove them.
            writer.finish_batches()
            self.state[STATE_KEY] = run.state_entry()
            self.state_writer.write_state(self.state)

    def _sync_streams(self) -> None:
        """singer-sdk's loop over the streams, one at a time, or side by side (scheduling.py)."""
        workers = self.api.stream_concurrency
        if workers == 1:
            super().sync_all()
            return
        # singer-sdk's sync_all, with its loop over the streams run by a StreamPool.
        self._reset_state_progress_markers()
        self._set_compatible_replication_methods()
        if self.state:
            self.state_writer.write_state(self.state)
        streams = [
            stream
            for stream in self.streams.values()
            if (stream.selected or stream.has_selected_descendents)
            and not stream.parent_stream_type
        ]
        counts = t.cast("RecordCountsStream", self.streams[RECORD_COUNTS])
        if counts in streams:
            # alone and first: the API counts the records before any stream reads them
            streams.remove(counts)
            self._sync_stream(counts)
        order = largest_first(streams, counts.totals)
        StreamPool(workers, self.api.session.stop).run(order, self._sync_stream)
        for stream in self.streams.values():
            stream.log_sync_costs()

    def _sync_stream(self, stream: Stream) -> None:
        """One stream's sync, as singer-sdk's loop does it; then its BATCH files (and
        its children's) are announced while the other streams go on."""
        stream.sync()
        stream.finalize_state_progress_markers()
        writer = t.cast("ServiceTitanWriter", self.message_writer)
        writer.end_streams([stream.name, *(child.name for child in stream.descendent_streams)])
