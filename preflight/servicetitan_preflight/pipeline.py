"""The pipeline's settings, resolved by Meltano exactly as ``meltano run`` resolves them.

A Meltano utility sees only its own settings, so the check asks Meltano itself
(in process, with the project's own Meltano version) for the extractor's and
the loader's configuration in the active environment: environment variables,
``.env``, ``meltano.yml`` (plugin and environment level) and defaults, in
Meltano's order of precedence. The loader is resolved as in an extract-load
block, with the extractor's variables in its environment, so
``default_target_schema: $MELTANO_EXTRACT__LOAD_SCHEMA`` becomes the raw schema
it will really write to. The selected streams come from the extractor's
``select`` / ``metadata`` rules, applied by Meltano's own catalog rules.

Settings stored in the system database (``meltano config set --store=db``)
are not read: that would need a database session before the state backend
itself is checked.
"""

from __future__ import annotations

import json
import logging
import os
import typing as t
import warnings
from dataclasses import dataclass
from pathlib import Path

import structlog

from servicetitan_preflight.errors import PreflightError

if t.TYPE_CHECKING:
    from meltano.core.plugin.project_plugin import ProjectPlugin
    from meltano.core.plugin.settings_service import PluginSettingsService
    from meltano.core.project import Project

#: The loader settings the database checks use.
CONNECTION_SETTINGS = ("host", "port", "user", "password", "database", "sqlalchemy_url")


@dataclass(frozen=True)
class Setting:
    """A resolved setting and the environment variable that sets it."""

    value: t.Any
    env: str


@dataclass(frozen=True)
class PluginSetting:
    """A setting of another plugin (``<plugin>:<setting>``), and where its value came from."""

    plugin: str
    name: str
    value: t.Any
    env: str
    #: Meltano's store of the value: ``env``, ``dotenv``, ``meltano_environment``,
    #: ``meltano_yml``, ``default`` ...
    source: str

    def __str__(self) -> str:
        return f"{self.plugin} {self.name}"


@dataclass(frozen=True)
class InstalledPlugin:
    """Where a plugin's executable should be after ``meltano install``."""

    name: str
    executable: Path


@dataclass(frozen=True)
class Pipeline:
    """Everything the checks need, as the pipeline's plugins will see it."""

    root: Path
    environment: str | None
    extractor: str
    tap_config: dict[str, t.Any]
    selected_streams: tuple[str, ...]
    loader: str
    connection: dict[str, Setting]
    raw_schema: Setting
    st_schema: Setting | None
    #: the tenant's IANA time zone, as the transforms will read it
    timezone: PluginSetting | None
    plugins: tuple[InstalledPlugin, ...]
    state_backend_uri: str
    database_uri: str


def resolve(
    *,
    extractor: str,
    loader: str,
    st_schema_from: str,
    streams: list[str],
    timezone_from: str = "dbt-postgres:timezone",
) -> Pipeline:
    """Resolve the pipeline's settings in the project Meltano runs in.

    Args:
        extractor: the extractor's plugin name (``tap-servicetitan``).
        loader: the loader's plugin name (``target-postgres``).
        st_schema_from: ``<utility>:<setting>`` naming the st_* tables' schema.
        streams: every stream the tap can extract (the catalog's streams).
        timezone_from: ``<utility>:<setting>`` naming the tenant's time zone.

    Raises:
        PreflightError: no Meltano project, or a plugin named above is missing.
    """
    _quiet_meltano_logging()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _resolve(
            extractor=extractor,
            loader=loader,
            st_schema_from=st_schema_from,
            streams=streams,
            timezone_from=timezone_from,
        )


def _resolve(
    *, extractor: str, loader: str, st_schema_from: str, streams: list[str], timezone_from: str
) -> Pipeline:
    from meltano.core.plugin import PluginType
    from meltano.core.plugin.settings_service import PluginSettingsService

    project = _project()
    tap_plugin = _plugin(
        project, extractor, PluginType.EXTRACTORS, "SERVICETITAN_PREFLIGHT_EXTRACTOR"
    )
    tap_settings = PluginSettingsService(project, tap_plugin)
    tap_config = tap_settings.as_dict(extras=False, process=True)
    extras = tap_settings.as_dict(extras=True, process=True)

    # An extract-load block gives the loader the extractor's variables.
    extractor_env = {**tap_plugin.info_env, **tap_settings.as_env()}
    loader_plugin = _plugin(project, loader, PluginType.LOADERS, "SERVICETITAN_PREFLIGHT_LOADER")
    loader_settings = PluginSettingsService(project, loader_plugin, env_override=extractor_env)
    loader_config = loader_settings.as_dict(extras=False, process=True)
    connection = {
        name: _setting(loader_settings, loader_config, name) for name in CONNECTION_SETTINGS
    }
    raw_schema = _setting(loader_settings, loader_config, "default_target_schema")
    if not raw_schema.value:  # the loader's own default: the extractor's load schema
        raw_schema = Setting(extras.get("_load_schema"), raw_schema.env)

    return Pipeline(
        root=project.root,
        environment=project.environment.name if project.environment else None,
        extractor=extractor,
        tap_config=tap_config,
        selected_streams=selected_streams(project, extras, streams),
        loader=loader,
        connection=connection,
        raw_schema=raw_schema,
        st_schema=_st_schema(project, st_schema_from),
        timezone=_plugin_setting(project, timezone_from, "SERVICETITAN_PREFLIGHT_TIMEZONE_FROM"),
        plugins=_installable_plugins(project),
        state_backend_uri=str(project.settings.get("state_backend.uri")),
        database_uri=str(project.settings.get("database_uri")),
    )


def _quiet_meltano_logging() -> None:
    """Meltano's library logs through structlog; the check prints its own lines only."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
        cache_logger_on_first_use=False,
    )


def _project() -> Project:
    from meltano.core.error import EmptyMeltanoFileException
    from meltano.core.project import Project, ProjectNotFound

    try:
        project = Project.find()
    except (ProjectNotFound, EmptyMeltanoFileException):
        msg = "no Meltano project here: run the check from the project (where meltano.yml is) or through meltano"
        raise PreflightError(msg) from None
    # As `meltano` picks it: the shell's MELTANO_ENVIRONMENT, else the one in .env,
    # else meltano.yml's default_environment ("null": none).
    name = os.environ.get("MELTANO_ENVIRONMENT") or project.dotenv_env.get("MELTANO_ENVIRONMENT")
    if name and name.lower() == "null":
        return project
    name = name or project.settings.get("default_environment")
    if name:
        try:
            project.activate_environment(name)
        except Exception:  # Meltano raises its own EnvironmentNameNotFoundError
            msg = f"meltano.yml has no environment {name!r}; check MELTANO_ENVIRONMENT or --environment"
            raise PreflightError(msg) from None
    return project


def _plugin(project: Project, name: str, plugin_type: t.Any, env: str) -> ProjectPlugin:
    from meltano.core.plugin.error import PluginNotFoundError

    try:
        return project.plugins.find_plugin(name, plugin_type=plugin_type)
    except PluginNotFoundError:
        kind = str(plugin_type)[:-1]  # "extractors" -> "extractor"
        msg = f"meltano.yml has no {kind} {name!r}; check the setting {env}"
        raise PreflightError(msg) from None


def _setting(service: PluginSettingsService, config: dict, name: str) -> Setting:
    definition = service.find_setting(name)
    env = service.setting_env(definition) if definition else name.upper()
    return Setting(config.get(name), env)


def _st_schema(project: Project, st_schema_from: str) -> Setting | None:
    """The st_* tables' schema, read from the transforms plugin's own setting."""
    found = _plugin_setting(project, st_schema_from, "SERVICETITAN_PREFLIGHT_ST_SCHEMA_FROM")
    return Setting(found.value, found.env) if found else None


def _plugin_setting(project: Project, spec: str, option_env: str) -> PluginSetting | None:
    """The setting ``<plugin>:<setting>`` of another plugin, as Meltano resolves it for that plugin.

    None when ``spec`` is empty (the check is turned off).
    """
    from meltano.core.plugin.error import PluginNotFoundError
    from meltano.core.plugin.settings_service import PluginSettingsService

    if not spec:
        return None
    plugin_name, _, setting_name = spec.partition(":")
    try:
        plugin = project.plugins.find_plugin(plugin_name)
    except PluginNotFoundError:
        msg = f"meltano.yml has no plugin {plugin_name!r}; check the setting {option_env}"
        raise PreflightError(msg) from None
    settings = PluginSettingsService(project, plugin)
    config = settings.as_dict(extras=False, process=True)
    setting = _setting(settings, config, setting_name)
    source = ""
    if settings.find_setting(setting_name) is not None:
        _value, store = settings.get_with_source(setting_name)
        source = str(getattr(store, "value", store))
    return PluginSetting(plugin_name, setting_name, setting.value, setting.env, source)


def selected_streams(project: Project, extras: dict, streams: list[str]) -> tuple[str, ...]:
    """The streams a run will extract, by Meltano's own select rules.

    A custom catalog (``catalog`` extra) is used as given; otherwise every
    stream starts deselected and the ``select``, ``metadata`` and
    ``select_filter`` rules apply, as ``meltano run`` applies them.
    """
    from meltano.core.plugin.singer.catalog import (
        ListSelectedExecutor,
        MetadataExecutor,
        select_filter_metadata_rules,
        select_metadata_rules,
    )
    from meltano.core.plugin.singer.tap import config_metadata_rules

    if extras.get("_catalog"):
        catalog_path = project.root / str(extras["_catalog"])
        catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
        rules = select_filter_metadata_rules(extras.get("_select_filter") or [])
    else:
        catalog = {"streams": [_bare_stream(name) for name in streams]}
        rules = [
            *select_metadata_rules(["!*.*"]),
            *select_metadata_rules(extras.get("_select") or []),
            *config_metadata_rules(extras.get("_metadata") or {}),
            *select_filter_metadata_rules(extras.get("_select_filter") or []),
        ]
    MetadataExecutor(rules).visit(catalog)
    listing = ListSelectedExecutor()
    listing.visit(catalog)
    return tuple(sorted(stream for stream, selected in listing.streams if selected))


def _bare_stream(name: str) -> dict:
    """A catalog entry with just enough for stream-level selection."""
    return {
        "tap_stream_id": name,
        "stream": name,
        "schema": {"type": "object", "properties": {}},
        "metadata": [{"breadcrumb": [], "metadata": {"inclusion": "available"}}],
    }


def _installable_plugins(project: Project) -> tuple[InstalledPlugin, ...]:
    """Each plugin ``meltano install`` installs, with its executable's expected path."""
    from meltano.core.venv_service import VirtualEnv

    found = []
    for plugin in project.plugins.plugins():
        if not plugin.pip_url:
            continue
        venv = VirtualEnv(
            project.dirs.venvs(plugin.type, plugin.plugin_dir_name, make_dirs=False),
            python=plugin.python,
        )
        found.append(InstalledPlugin(plugin.name, Path(venv.exec_path(plugin.executable))))
    return tuple(found)
