"""TapServiceTitan: settings and stream discovery."""

from __future__ import annotations

import copy

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from typing_extensions import override

from tap_servicetitan.api import ServiceTitanApi
from tap_servicetitan.config import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.streams import ALL_STREAMS


class TapServiceTitan(Tap):
    """Singer tap for the ServiceTitan REST API."""

    name = "tap-servicetitan"
    # a copy: singer-sdk adds its built-in settings (stream_maps, ...) to this dict
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: singer-sdk's msgspec encoder: same Singer messages, less CPU per record.
    message_writer_class = MsgSpecWriter

    @override
    def discover_streams(self) -> list:
        api = ServiceTitanApi(self.config)
        return [stream_class(tap=self, api=api) for stream_class in ALL_STREAMS]

    @override
    def sync_all(self) -> None:
        validate_settings(self.config)
        super().sync_all()
