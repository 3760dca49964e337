"""The Dagster code location: ``dagster dev -m servicetitan_orchestration.definitions``.

Reads the tenants list (``tenants.yml`` at the project root, or
``SERVICETITAN_TENANTS_FILE``) when Dagster loads the code location, not at
import time.
"""

from __future__ import annotations

import dagster as dg

from servicetitan_orchestration.sync import SyncSettings, build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    """Every tenant of the tenants list, with the settings of the environment."""
    return build_definitions(SyncSettings.from_environment())
