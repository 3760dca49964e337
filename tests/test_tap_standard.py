"""singer-sdk's standard tap tests against a live sandbox, over the whole catalog (every stream)."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from servicetitan_sandbox import SandboxServer
from tap_servicetitan.tap import TapServiceTitan

# The class is built at import time, so its sandbox is too.
_SANDBOX = SandboxServer(customers=60, seed=21, export_page_size=50).start()
atexit.register(_SANDBOX.stop)


def every_stream_selected(config: dict) -> dict:
    """The discovered catalog with every stream selected, the opt-in child streams too.

    singer-sdk's dry run forces every stream's selection after the tap has
    built its stream maps from the catalog, so a stream the catalog leaves
    unselected would be checked against an empty transformed schema.
    """
    catalog = TapServiceTitan(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = True
    return catalog


TestTapServiceTitan = get_tap_test_class(
    tap_class=TapServiceTitan,
    config=_SANDBOX.tap_config(),
    catalog=every_stream_selected(_SANDBOX.tap_config()),
    # Above every parent's size in this sandbox: a first run reads a child
    # stream's parents in a sweep after its parent stream is done, which a dry
    # run cut at the SDK's default of 150 records never reaches.
    suite_config=SuiteConfig(max_records_limit=1000),
)
