"""The sandbox tenant's fixed identity: the one place these values are written.

They are not secrets (the emulator accepts nothing else and serves generated
data); ``servicetitan-generate`` writes them into ``meltano.yml``'s ``sandbox``
environment.
"""

from __future__ import annotations

from servicetitan_catalog.environments import SANDBOX_PORT

TENANT_ID = 1234567
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a public sandbox value
APP_KEY = "sandbox-app-key"
#: The port ``servicetitan-sandbox`` listens on by default (meltano.yml's sandbox URLs).
DEFAULT_PORT = SANDBOX_PORT


def tap_config(url: str, tenant_id: int = TENANT_ID, **overrides: object) -> dict:
    """Tap settings that point at a sandbox serving on ``url``."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "st_app_key": APP_KEY,
        "tenant_id": str(tenant_id),
        "api_url": url,
        "auth_url": f"{url}/connect/token",
    } | overrides
