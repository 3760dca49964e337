"""meltano.yml's generated blocks, from the catalog.

Two blocks between ``# servicetitan-generate:begin`` and ``:end`` comments;
the rest of the file is written by hand:

- tap-servicetitan's ``settings_group_validation`` (the required settings), ``select``
  (the default selection, ``servicetitan_catalog.streams``) and ``settings``
  (``servicetitan_catalog.settings``);
- the ``environments``: each ServiceTitan environment's hosts
  (``servicetitan_catalog.environments``), the sandbox's with the sandbox
  tenant's fixed credentials (``servicetitan_sandbox.credentials``).
"""

from __future__ import annotations

import typing as t

import yaml

from servicetitan_catalog import settings
from servicetitan_catalog.environments import ENVIRONMENTS, SANDBOX, Environment
from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.doc_sections import Section
from servicetitan_sandbox import credentials

TAP_BLOCK = Section(
    "meltano.yml",
    "    # servicetitan-generate:begin select, settings (servicetitan_catalog)",
    "    # servicetitan-generate:end select, settings",
)
ENVIRONMENTS_BLOCK = Section(
    "meltano.yml",
    "# servicetitan-generate:begin environments (servicetitan_catalog)",
    "# servicetitan-generate:end environments",
)

#: Meltano's kinds of the catalog's. A number is an integer: Meltano 4.4.1 turns a
#: ``decimal`` setting read from the environment into a Decimal it then cannot write
#: to the tap's config (the tap itself takes fractions, e.g. in its config file).
KINDS = {
    settings.STRING: "string",
    settings.INTEGER: "integer",
    settings.NUMBER: "integer",
    settings.DATE_TIME: "date_iso8601",
    settings.ARRAY: "array",
    settings.OBJECT: "object",
}


def indented(data: object, spaces: int, *, flow_leaves: bool = False) -> str:
    """``data`` as block YAML (``flow_leaves``: innermost lists as ``[a, b]``), every line
    indented by ``spaces``."""
    text = yaml.safe_dump(
        data,
        sort_keys=False,
        width=10**6,
        allow_unicode=True,
        default_flow_style=None if flow_leaves else False,
    )
    return "".join(" " * spaces + line for line in text.splitlines(keepends=True))


def meltano_setting(row: settings.Setting) -> dict[str, t.Any]:
    """A setting as meltano.yml declares it."""
    entry: dict[str, t.Any] = {"name": row.name, "kind": KINDS[row.kind]}
    if row.secret:
        entry["sensitive"] = True
    if row.label:
        entry["label"] = row.label
    if row.default is not None:
        entry["value"] = row.default
    entry["description"] = row.description
    return entry


def tap_block() -> str:
    """tap-servicetitan's required settings, ``select`` and ``settings``."""
    required = [row.name for row in settings.SETTINGS if row.required]
    return indented({"settings_group_validation": [required]}, 4, flow_leaves=True) + indented(
        {
            "select": [f"{name}.*" for name in DEFAULT_SELECTION],
            "settings": [meltano_setting(row) for row in settings.SETTINGS],
        },
        4,
    )


def environment_config(environment: Environment) -> dict[str, t.Any]:
    """What an environment sets of tap-servicetitan: its hosts (and the sandbox's credentials)."""
    config: dict[str, t.Any] = {"api_url": environment.api_url, "auth_url": environment.auth_url}
    if environment == SANDBOX:
        config |= {
            "client_id": credentials.CLIENT_ID,
            "client_secret": credentials.CLIENT_SECRET,
            "st_app_key": credentials.APP_KEY,
            "tenant_id": str(credentials.TENANT_ID),
        }
    return config


def environments_block() -> str:
    """The ``environments`` of the project."""
    entries = [
        {
            "name": environment.name,
            "config": {
                "plugins": {
                    "extractors": [
                        {"name": "tap-servicetitan", "config": environment_config(environment)}
                    ]
                }
            },
        }
        for environment in ENVIRONMENTS
    ]
    return indented({"environments": entries}, 0)


def rendered(text: str) -> str:
    """meltano.yml's ``text`` with both blocks as generated."""
    text = TAP_BLOCK.replaced(text, tap_block())
    return ENVIRONMENTS_BLOCK.replaced(text, environments_block())
