"""The ServiceTitan environments a tenant lives in, and their hosts.

ServiceTitan has two, with separate apps and credentials: production and
integration (sandbox tenants ServiceTitan provisions for developers). The
third is the bundled emulator (``servicetitan-sandbox``) on its default port.
meltano.yml's environments, the tap's default hosts and the Dagster tenants'
hosts come from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    """A meltano.yml environment: the API base URL and the OAuth token URL it points at."""

    name: str
    api_url: str
    auth_url: str


#: The port ``servicetitan-sandbox`` listens on by default.
SANDBOX_PORT = 8765

SANDBOX = Environment(
    "sandbox",
    f"http://127.0.0.1:{SANDBOX_PORT}",
    f"http://127.0.0.1:{SANDBOX_PORT}/connect/token",
)
INTEGRATION = Environment(
    "integration",
    "https://api-integration.servicetitan.io",
    "https://auth-integration.servicetitan.io/connect/token",
)
PRODUCTION = Environment(
    "prod",
    "https://api.servicetitan.io",
    "https://auth.servicetitan.io/connect/token",
)

#: meltano.yml's environments (its default: sandbox).
ENVIRONMENTS = (PRODUCTION, INTEGRATION, SANDBOX)


def environment(name: str) -> Environment:
    """The environment called ``name`` (``prod``, ``integration``, ``sandbox``)."""
    return next(found for found in ENVIRONMENTS if found.name == name)
