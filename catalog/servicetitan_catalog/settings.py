"""The tap's settings: name, type, default, meaning.

The tap's config schema (``tap_servicetitan/config.py``), meltano.yml's
settings of tap-servicetitan and the settings table of docs/settings.md are
made from these rows; the checks of their values stay in the tap.
"""

from __future__ import annotations

from dataclasses import dataclass

from servicetitan_catalog.environments import INTEGRATION, PRODUCTION

STRING = "string"
INTEGER = "integer"
#: A number that may have a fraction (Meltano takes it as a whole number, see the generator).
NUMBER = "number"
DATE_TIME = "date-time"
ARRAY = "array"
OBJECT = "object"


@dataclass(frozen=True)
class Setting:
    """One setting of tap-servicetitan."""

    name: str
    kind: str
    description: str
    default: object = None
    required: bool = False
    secret: bool = False
    label: str | None = None
    #: Said in the docs only, after the description (links, Meltano's limits).
    more: str = ""
    #: The docs' default column where the default alone does not say it.
    default_text: str | None = None
    #: Declared by singer-sdk itself (the tap does not declare it; meltano.yml does).
    sdk: bool = False


#: Where BATCH files go through Meltano: gzip JSON Lines in the project's .meltano/run/batches.
MELTANO_BATCH_CONFIG = {
    "encoding": {"format": "jsonl", "compression": "gzip"},
    "storage": {"root": "file://$MELTANO_SYS_DIR_ROOT/run/batches"},
    "batch_size": 10000,
}

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "client_id", STRING, required=True, secret=True, label="Client ID",
        description="OAuth client id of the ServiceTitan app (Settings > Integrations > API Application Access).",
    ),
    Setting(
        "client_secret", STRING, required=True, secret=True, label="Client secret",
        description="OAuth client secret of the ServiceTitan app.",
    ),
    Setting(
        "st_app_key", STRING, required=True, secret=True, label="App key",
        description="Application key of the app (developer portal), sent as the ST-App-Key header.",
    ),
    Setting(
        "tenant_id", STRING, required=True, label="Tenant ID",
        description="ServiceTitan tenant id (digits only).",
    ),
    Setting(
        "api_url", STRING, default=PRODUCTION.api_url,
        description=f"API base URL. Production by default; {INTEGRATION.api_url} for integration tenants.",
    ),
    Setting(
        "auth_url", STRING, default=PRODUCTION.auth_url,
        description=f"Full OAuth token URL. Production by default; {INTEGRATION.auth_url} for integration tenants.",
    ),
    Setting(
        "start_date", DATE_TIME, default_text="none (all history)",
        description="First run only: skip records last modified before this ISO date-time. Absent = all history.",
    ),
    Setting(
        "requests_per_second", NUMBER, default=50,
        description="Client-side ceiling on API requests per second, shared by all streams (ServiceTitan allows 60).",
        more="A whole number through Meltano; the tap alone also takes fractions.",
    ),
    Setting(
        "request_timeout", NUMBER, default=60,
        description="Seconds to wait for an API response before retrying (ServiceTitan itself stops at 100).",
        more="A whole number through Meltano.",
    ),
    Setting(
        "max_retries", INTEGER, default=6,
        description="Retries of a request after 5xx, timeouts or dropped connections before the run fails (429s wait as told, bounded separately).",
    ),
    Setting(
        "stream_concurrency", INTEGER, default=4,
        description="Streams synced at once, largest first, all within requests_per_second; 1 = one stream at a time.",
        more="See [Performance](performance.md).",
    ),
    Setting(
        "child_concurrency", INTEGER, default=8,
        description="Child streams: requests in flight at once (one per parent), all within requests_per_second.",
        more="See [Child streams](child-streams.md).",
    ),
    Setting(
        "child_sweep_days", NUMBER, default=7,
        description="Child streams: visit every parent (not only changed ones) when the last such sweep is this many days old; 0 = every run.",
    ),
    Setting(
        "custom_reports", ARRAY,
        description="ServiceTitan reports to sync, one stream each (custom_report_<report_name>).",
        more="See [Reports as streams](reports.md#reports-as-streams); the MeltanoLabs tap's setting, same names and meanings.",
    ),
    Setting(
        "report_request_interval", NUMBER, default=60,
        description="Seconds between two data requests for the same report (ServiceTitan allows about one a minute).",
    ),
    Setting(
        "batch_config", OBJECT, default=MELTANO_BATCH_CONFIG, label="BATCH messages", sdk=True,
        description="Records go to gzip JSON Lines files announced in BATCH messages (target-postgres loads them). '{}' turns BATCH off: plain RECORD messages, for any other Singer target.",
        default_text="in `meltano.yml`: gzip JSON Lines, 10,000 records a file, under `.meltano/run/batches`; the tap alone: none",
        more="See [BATCH messages](batch.md).",
    ),
)  # fmt: skip


def setting(name: str) -> Setting:
    """The row of the setting ``name``."""
    return next(row for row in SETTINGS if row.name == name)
