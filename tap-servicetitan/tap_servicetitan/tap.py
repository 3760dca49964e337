"""TapServiceTitan: settings and stream discovery."""

from __future__ import annotations

import copy
import typing as t

from singer_sdk import Tap
from typing_extensions import override

from tap_servicetitan.api import ServiceTitanApi
from tap_servicetitan.batch_files import BatchRun, BatchSettings
from tap_servicetitan.config import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.streams import TAP_STREAMS
from tap_servicetitan.writer import ServiceTitanWriter


class TapServiceTitan(Tap):
    """Singer tap for the ServiceTitan REST API."""

    name = "tap-servicetitan"
    # a copy: singer-sdk adds its built-in settings (stream_maps, batch_config, ...) to this dict
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: singer-sdk's msgspec encoder, records unflushed, and BATCH files (writer.py).
    message_writer_class = ServiceTitanWriter

    @override
    def discover_streams(self) -> list:
        api = ServiceTitanApi(self.config)
        return [stream_class(tap=self, api=api) for stream_class in TAP_STREAMS]

    @override
    def sync_all(self) -> None:
        validate_settings(self.config)
        batches = BatchSettings.from_config(self.config)
        if batches is None:
            super().sync_all()
            return
        writer = t.cast("ServiceTitanWriter", self.message_writer)
        with BatchRun(batches, str(self.config["tenant_id"])) as run:
            writer.start_batches(run)
            super().sync_all()
            # Only a run that succeeded announces its last files and final STATE.
            writer.finish_batches()
