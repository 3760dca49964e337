"""TapServiceTitan: settings and stream discovery."""

from __future__ import annotations

import copy
import typing as t

from singer_sdk import Tap
from typing_extensions import override

from tap_servicetitan.api import ServiceTitanApi
from tap_servicetitan.batch_files import STATE_KEY, BatchRun, BatchSettings
from tap_servicetitan.config import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.reconciliation import STREAM_NAME as RECORD_COUNTS
from tap_servicetitan.reconciliation import RecordCountsStream
from tap_servicetitan.reports import REPORT_SETTINGS, report_streams
from tap_servicetitan.streams import TAP_STREAMS
from tap_servicetitan.writer import ServiceTitanWriter


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

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """singer-sdk's bookmarks, and the batch folder the state says was loaded (batch_files.py)."""
        super().load_state(state)
        entry = state.get(STATE_KEY)
        if isinstance(entry, dict) and isinstance(entry.get("finished_run"), str):
            self.finished_run = entry["finished_run"]

    @override
    def discover_streams(self) -> list:
        api = ServiceTitanApi(self.config)
        streams = [stream_class(tap=self, api=api) for stream_class in TAP_STREAMS]
        # ServiceTitan's own reports (the custom_reports setting) beside the rest.
        return [RecordCountsStream(self, api), *streams, *report_streams(self, api)]

    @override
    def load_streams(self) -> list:
        """singer-sdk's order (by name), but record_counts first: the API counts the
        records before any stream reads them (reconciliation.py)."""
        streams = super().load_streams()
        return sorted(streams, key=lambda stream: stream.name != RECORD_COUNTS)

    @override
    def sync_all(self) -> None:
        validate_settings(self.config)
        batches = BatchSettings.from_config(self.config)
        if batches is None:
            super().sync_all()
            return
        writer = t.cast("ServiceTitanWriter", self.message_writer)
        with BatchRun(batches, str(self.config["tenant_id"]), self.finished_run) as run:
            writer.start_batches(run)
            super().sync_all()
            # Only a run that succeeded announces its last files and final STATE,
            # then one more STATE naming its folder: the target writes it only once
            # every file of the run is loaded, so the next run may remove them.
            writer.finish_batches()
            self.state[STATE_KEY] = run.state_entry()
            self.state_writer.write_state(self.state)
