"""singer-sdk's standard tap tests against a live sandbox, over the whole catalog (every stream)."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from servicetitan_sandbox import SandboxServer
from tap_servicetitan.tap import TapServiceTitan

# The class is built at import time, so its sandbox is too.
_SANDBOX = SandboxServer(customers=60, seed=21, export_page_size=50).start()
atexit.register(_SANDBOX.stop)

TestTapServiceTitan = get_tap_test_class(
    tap_class=TapServiceTitan,
    config=_SANDBOX.tap_config(),
)
