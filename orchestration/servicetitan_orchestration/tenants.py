"""The tenants list (``tenants.yml``): which ServiceTitan tenants one project syncs.

Each tenant has its id, a display name, its ServiceTitan environment, the
names of the environment variables that hold its secrets (never the secrets
themselves) and its IANA time zone (the KPI tables' local dates). Every
problem is reported with the tenant and the field to fix.
"""

from __future__ import annotations

import os
import re
import typing as t
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from servicetitan_catalog import environments as catalog_environments

#: ServiceTitan's environments (meltano.yml's environments of the same names),
#: and the bundled emulator's (for the demo and tests).
ENVIRONMENTS = tuple(found.name for found in catalog_environments.ENVIRONMENTS)
#: The tap settings each tenant takes from an environment variable.
SECRET_SETTINGS = ("client_id", "client_secret", "st_app_key")
SCHEDULES = ("hourly", "nightly")
#: Fields a tenant entry may have; the others are refused (typos are errors).
FIELDS = (
    "id",
    "name",
    "environment",
    "secrets",
    "schedule",
    "timezone",
    "api_url",
    "auth_url",
)
#: A tenant's time zone when tenants.yml gives none (dbt-postgres's default too).
DEFAULT_TIMEZONE = "UTC"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TENANT_ID_DIGITS = 18
#: Raw tables of a tenant: ``tap_servicetitan_<tenant id>`` (docs/many-tenants.md).
RAW_SCHEMA_PREFIX = "tap_servicetitan_"


class TenantsFileError(ValueError):
    """tenants.yml is missing or wrong; the message names the tenant and the field."""


@dataclass(frozen=True)
class Tenant:
    """One ServiceTitan tenant of the project."""

    id: int
    name: str
    environment: str
    #: tap setting -> name of the environment variable holding its value
    secrets: t.Mapping[str, str]
    schedule: str = "hourly"
    #: IANA time zone: the KPI tables count the tenant's instants on local dates in it
    timezone: str = DEFAULT_TIMEZONE
    api_url: str | None = None
    auth_url: str | None = None

    @property
    def key(self) -> str:
        """The tenant's Dagster partition key and Meltano state id suffix."""
        return str(self.id)

    @property
    def raw_schema(self) -> str:
        """The schema of the tenant's raw tables (its own: loads never share a table)."""
        return f"{RAW_SCHEMA_PREFIX}{self.id}"

    @property
    def dbt_variables(self) -> dict[str, str]:
        """The tenant's dbt-postgres settings, as the variables the dbt project reads."""
        return {"DBT_POSTGRES_TIMEZONE": self.timezone}

    def secret_values(self, environ: t.Mapping[str, str] | None = None) -> dict[str, str]:
        """Setting -> value, read from the environment; fails naming what is missing."""
        environ = os.environ if environ is None else environ
        missing = [name for name in self.secrets.values() if not environ.get(name)]
        if missing:
            msg = (
                f"tenant {self.id} ({self.name}): environment variable "
                f"{', '.join(missing)} is not set, in the environment or .env "
                "(tenants.yml, field 'secrets')"
            )
            raise TenantsFileError(msg)
        return {setting: environ[name] for setting, name in self.secrets.items()}


def load_tenants(path: Path) -> tuple[Tenant, ...]:
    """The tenants of a tenants.yml, validated."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{path}: no tenants file (see tenants.example.yml)"
        raise TenantsFileError(msg) from None
    except yaml.YAMLError as error:
        msg = f"{path}: not valid YAML ({error})"
        raise TenantsFileError(msg) from None
    return parse_tenants(document, str(path))


def parse_tenants(document: object, source: str = "tenants.yml") -> tuple[Tenant, ...]:
    """The tenants of a parsed tenants.yml document, validated."""
    entries = document.get("tenants") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        msg = f"{source}: expected a non-empty list under 'tenants:'"
        raise TenantsFileError(msg)
    tenants = tuple(
        _tenant(entry, f"{source}: tenant #{n}", source) for n, entry in enumerate(entries, 1)
    )
    _check_unique(tenants, source)
    return tenants


def _tenant(entry: object, where: str, source: str) -> Tenant:
    if not isinstance(entry, dict):
        msg = f"{where}: expected a mapping with the fields {', '.join(FIELDS[:4])}"
        raise TenantsFileError(msg)
    tenant_id = _tenant_id(entry.get("id"), where)
    where = f"{source}: tenant {tenant_id}"
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        msg = f"{where}: unknown field '{unknown[0]}' (fields: {', '.join(FIELDS)})"
        raise TenantsFileError(msg)
    return Tenant(
        id=tenant_id,
        name=_text(entry, "name", where),
        environment=_choice(entry, "environment", ENVIRONMENTS, where, default=None),
        secrets=_secrets(entry.get("secrets"), where),
        schedule=_choice(entry, "schedule", SCHEDULES, where, default="hourly"),
        timezone=_timezone(entry, where),
        api_url=_url(entry, "api_url", where),
        auth_url=_url(entry, "auth_url", where),
    )


def _tenant_id(value: object, where: str) -> int:
    text = str(value).strip() if isinstance(value, (int, str)) and value is not True else ""
    if not text.isdigit() or int(text) == 0 or len(text) > MAX_TENANT_ID_DIGITS:
        msg = f"{where}: field 'id' must be the numeric ServiceTitan tenant id, got {value!r}"
        raise TenantsFileError(msg)
    return int(text)


def _text(entry: dict, field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        msg = f"{where}: field '{field}' must be a non-empty text, got {value!r}"
        raise TenantsFileError(msg)
    return value.strip()


def _choice(
    entry: dict, field: str, choices: tuple[str, ...], where: str, *, default: str | None
) -> str:
    value = entry.get(field, default)
    if value not in choices:
        msg = f"{where}: field '{field}' must be one of {', '.join(choices)}, got {value!r}"
        raise TenantsFileError(msg)
    return value


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names zoneinfo knows (``localtime`` is this machine's, not a name)."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def _timezone(entry: dict, where: str) -> str:
    value = entry.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(value, str) or value not in time_zone_names():
        msg = (
            f"{where}: field 'timezone' must be an IANA time zone name "
            f"(America/Chicago, Europe/London, UTC), got {value!r}"
        )
        raise TenantsFileError(msg)
    return value


def _url(entry: dict, field: str, where: str) -> str | None:
    value = entry.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        msg = f"{where}: field '{field}' must be an http(s) URL, got {value!r}"
        raise TenantsFileError(msg)
    return value


def _secrets(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        msg = (
            f"{where}: field 'secrets' must map {', '.join(SECRET_SETTINGS)} "
            "to the names of the environment variables holding them"
        )
        raise TenantsFileError(msg)
    missing = [setting for setting in SECRET_SETTINGS if setting not in value]
    unknown = sorted(set(value) - set(SECRET_SETTINGS))
    if missing or unknown:
        problem = f"'{missing[0]}' is missing" if missing else f"'{unknown[0]}' is not a secret"
        msg = f"{where}: field 'secrets': {problem} (expected {', '.join(SECRET_SETTINGS)})"
        raise TenantsFileError(msg)
    for setting in SECRET_SETTINGS:
        name = value[setting]
        if not isinstance(name, str) or not ENV_NAME.match(name):
            # never echo the value: it may be the secret itself, written by mistake
            msg = (
                f"{where}: field 'secrets.{setting}' must be the NAME of an environment "
                "variable (letters, digits, _), not the secret itself"
            )
            raise TenantsFileError(msg)
    return {setting: value[setting] for setting in SECRET_SETTINGS}


def _check_unique(tenants: tuple[Tenant, ...], source: str) -> None:
    seen: set[int] = set()
    for tenant in tenants:
        if tenant.id in seen:
            msg = f"{source}: tenant {tenant.id}: field 'id' appears twice"
            raise TenantsFileError(msg)
        seen.add(tenant.id)
