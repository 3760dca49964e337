"""Settings of the transforms: connection, schemas, tenant.

Precedence, highest first: command-line flags, ``SERVICETITAN_TRANSFORMS_<NAME>``
environment variables, the loader's ``TARGET_POSTGRES_<NAME>`` variables (so one
configuration serves target-postgres and the transforms),
``TAP_SERVICETITAN_TENANT_ID`` for the tenant, then defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

if TYPE_CHECKING:
    from collections.abc import Mapping

OWN_PREFIX = "SERVICETITAN_TRANSFORMS_"
LOADER_PREFIX = "TARGET_POSTGRES_"
TAP_TENANT_VARIABLE = "TAP_SERVICETITAN_TENANT_ID"

CONNECTION_NAMES = ("host", "port", "user", "password", "database")
DEFAULTS = {"host": "localhost", "port": "5432", "user": "postgres", "database": "postgres"}
DEFAULT_TARGET_SCHEMA = "public"
DEFAULT_RAW_SCHEMA = "tap_servicetitan"

# our names -> libpq keywords
LIBPQ_KEYWORDS = {
    "host": "host",
    "port": "port",
    "user": "user",
    "password": "password",
    "database": "dbname",
}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one transform run."""

    conninfo: str = field(repr=False)
    tenant_id: int
    target_schema: str = DEFAULT_TARGET_SCHEMA
    raw_schema: str = DEFAULT_RAW_SCHEMA

    def describe_connection(self) -> str:
        """Return the connection as user@host:port/dbname, without the password."""
        params = conninfo_to_dict(self.conninfo)
        host = params.get("host") or "localhost"
        port = params.get("port") or "5432"
        return f"{params.get('user', '')}@{host}:{port}/{params.get('dbname', '')}"


def sqlalchemy_url_to_conninfo(url: str) -> str:
    """Turn an SQLAlchemy URL (``postgresql+psycopg://...``) into a libpq URI.

    Query parameters such as ``?host=/socket/dir`` are kept: libpq reads them.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise SettingsError(f"sqlalchemy_url must be a postgresql:// URL, got scheme {scheme!r}")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def resolve_settings(
    cli: Mapping[str, str | int | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings from CLI values, the environment and defaults.

    Args:
        cli: values given on the command line (host, port, user, password,
            database, sqlalchemy_url, target_schema, raw_schema, tenant_id);
            None means "not given".
        environ: the environment (os.environ by default).

    Returns:
        The resolved settings.

    Raises:
        SettingsError: tenant id missing or not numeric, or a bad URL.
    """
    cli = {k: _clean(None if v is None else str(v)) for k, v in (cli or {}).items()}
    env = os.environ if environ is None else environ

    def own(name: str) -> str | None:
        return _clean(env.get(OWN_PREFIX + name.upper()))

    def loader(name: str) -> str | None:
        return _clean(env.get(LOADER_PREFIX + name.upper()))

    # connection: levels from highest to lowest precedence
    levels = [
        {name: cli.get(name) for name in (*CONNECTION_NAMES, "sqlalchemy_url")},
        {name: own(name) for name in (*CONNECTION_NAMES, "sqlalchemy_url")},
        {name: loader(name) for name in (*CONNECTION_NAMES, "sqlalchemy_url")},
    ]
    url_level = next((index for index, level in enumerate(levels) if level["sqlalchemy_url"]), None)
    overrides: dict[str, str] = {}
    if url_level is None:
        # discrete settings only: first level that sets a name wins, then defaults
        for name in CONNECTION_NAMES:
            value = next((level[name] for level in levels if level[name]), DEFAULTS.get(name))
            if value is not None:
                overrides[LIBPQ_KEYWORDS[name]] = value
        conninfo = make_conninfo("", **overrides)
    else:
        # the URL is the base; discrete settings given at a higher level override it
        for name in CONNECTION_NAMES:
            value = next((level[name] for level in levels[:url_level] if level[name]), None)
            if value is not None:
                overrides[LIBPQ_KEYWORDS[name]] = value
        base = sqlalchemy_url_to_conninfo(levels[url_level]["sqlalchemy_url"] or "")
        conninfo = make_conninfo(base, **overrides)

    target_schema = cli.get("target_schema") or own("target_schema") or DEFAULT_TARGET_SCHEMA
    raw_schema = cli.get("raw_schema") or own("raw_schema") or DEFAULT_RAW_SCHEMA

    tenant_raw = cli.get("tenant_id") or own("tenant_id") or _clean(env.get(TAP_TENANT_VARIABLE))
    if tenant_raw is None:
        raise SettingsError(
            "tenant id is required: pass --tenant-id or set SERVICETITAN_TRANSFORMS_TENANT_ID "
            "(or TAP_SERVICETITAN_TENANT_ID)"
        )
    if not tenant_raw.isdigit() or int(tenant_raw) <= 0 or int(tenant_raw) >= 2**63:
        raise SettingsError(
            f"tenant id must be a positive integer (--tenant-id / "
            f"SERVICETITAN_TRANSFORMS_TENANT_ID), got {tenant_raw!r}"
        )
    return Settings(
        conninfo=conninfo,
        tenant_id=int(tenant_raw),
        target_schema=target_schema,
        raw_schema=raw_schema,
    )
