"""The API checks: settings valid, token obtained, tenant reachable, scopes granted.

The tap's own code decides what it can: its settings checks
(:func:`tap_servicetitan.config.validate_settings`) and its authenticator
(bad client id/secret, bad app key) give the same one-line messages a run
would. On top of that:

- Scopes: every selected stream's scope must be granted. When the token
  names its scopes (OAuth ``scope``), they are compared without any request.
- Tenant: at most one cheap request per API module with selected streams: a
  list endpoint asking for one record (``pageSize=1``), never an export feed.
  The endpoint needs one of that module's selected scopes
  (``probe_endpoints.json``, generated from the API reference), so a 200
  also proves that scope. A 403 there means a missing scope, or the tenant
  when the token says the scope is granted (or when every module says 403).
"""

from __future__ import annotations

import json
import random
import time
import typing as t
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

import requests

from servicetitan_preflight.report import Outcome, failed, passed, skipped
from tap_servicetitan.auth import ServiceTitanAuthenticator, TokenEndpointUnavailableError
from tap_servicetitan.config import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.errors import AuthenticationError, ConfigurationError
from tap_servicetitan.responses import error_title, retry_after_seconds
from tap_servicetitan.streams import TAP_STREAMS

if t.TYPE_CHECKING:
    from servicetitan_preflight.pipeline import Pipeline

AREA = "api"
TIMEOUT = (5.0, 15.0)  # connect, read: a check should answer quickly
TOKEN_TRIES = 3
PROBE_TRIES = 4
MAX_WAIT_SECONDS = 10.0


@cache
def probe_endpoints() -> dict[str, str]:
    """Scope -> URL template of the cheapest list endpoint that needs it."""
    text = resources.files(__package__).joinpath("probe_endpoints.json").read_text()
    return json.loads(text)


def tap_config(pipeline: Pipeline) -> dict[str, t.Any]:
    """The tap's settings with its own defaults under what Meltano resolved."""
    defaults = {
        name: spec["default"]
        for name, spec in CONFIG_SCHEMA["properties"].items()
        if "default" in spec
    }
    return {**defaults, **pipeline.tap_config}


def scopes_needed(selected: t.Iterable[str]) -> dict[str, list[str]]:
    """Scope -> the selected streams that need it."""
    wanted = set(selected)
    needed: dict[str, list[str]] = defaultdict(list)
    for stream in TAP_STREAMS:
        if stream.name in wanted and stream.scope:
            needed[stream.scope].append(stream.name)
    return dict(needed)


def check(pipeline: Pipeline) -> list[Outcome]:
    """Settings, token, then one probe per module; one outcome per check."""
    config = tap_config(pipeline)
    tenant = str(config.get("tenant_id") or "")
    needed = scopes_needed(pipeline.selected_streams)
    try:
        validate_settings(config)
    except ConfigurationError as exc:
        return [
            failed(AREA, "settings", pipeline.extractor, str(exc)),
            skipped(AREA, "token", _host(config.get("auth_url")), "settings invalid"),
            skipped(AREA, "tenant", tenant, "settings invalid"),
        ]
    outcomes = [passed(AREA, "settings", pipeline.extractor, f"{len(needed)} scopes needed")]
    if not needed:
        line = (
            f"no stream of {pipeline.extractor} is selected, so a run would extract nothing; "
            f"check the select rules (meltano select {pipeline.extractor} --list --all)"
        )
        return [*outcomes, failed(AREA, "streams", pipeline.extractor, line)]

    auth = ServiceTitanAuthenticator(
        auth_endpoint=config["auth_url"],
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        app_key=config["st_app_key"],
        timeout=TIMEOUT[1],
        max_tries=TOKEN_TRIES,
    )
    token = token_outcome(auth, config)
    outcomes.append(token)
    if token.failed:
        outcomes.append(skipped(AREA, "tenant", tenant, "no token"))
        return outcomes
    try:
        return outcomes + access_outcomes(auth, config, needed)
    except AuthenticationError as exc:  # a fresh token refused too: the app key
        return [*outcomes, failed(AREA, "tenant", tenant, str(exc))]


def token_outcome(auth: ServiceTitanAuthenticator, config: dict) -> Outcome:
    subject = _host(config["auth_url"])
    try:
        auth.update_access_token()
    except AuthenticationError as exc:
        return failed(AREA, "token", subject, str(exc))
    except TokenEndpointUnavailableError as exc:
        return failed(AREA, "token", subject, f"the {exc}; try again later")
    except requests.RequestException as exc:
        url = _safe_url(config["auth_url"])
        line = f"cannot reach the token endpoint {url} ({_reason(exc)}); " + _unreachable_fix(
            "auth_url", str(config["auth_url"])
        )
        return failed(AREA, "token", subject, line)
    granted = auth.granted_scopes
    note = f"expires in {auth.expires_in} s" if auth.expires_in else "obtained"
    if granted is not None:
        note += f", {len(granted)} scopes granted"
    return passed(AREA, "token", subject, note)


@dataclass(frozen=True)
class Probe:
    """One cheap request: which module and scope it stands for, and the answer."""

    module: str
    scope: str
    endpoint: str  # module/resource, for messages
    status: int | None = None  # None: no answer (connection failed)
    title: str = ""


def plan_probes(needed: dict[str, list[str]], granted: frozenset[str] | None) -> list[Probe]:
    """At most one probe per API module, for a scope the token does not deny."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for scope in sorted(needed):
        template = probe_endpoints().get(scope)
        if template is None or (granted is not None and scope not in granted):
            continue
        by_module[template.split("/")[1]].append(scope)
    probes = []
    for module, scopes in sorted(by_module.items()):
        scope = scopes[0]
        resource = probe_endpoints()[scope].split("/tenant/{tenant}/", 1)[1]
        probes.append(Probe(module, scope, f"{module}/{resource}"))
    return probes


def access_outcomes(
    auth: ServiceTitanAuthenticator, config: dict, needed: dict[str, list[str]]
) -> list[Outcome]:
    """Run the probes (concurrently) and turn them and the token's scopes into outcomes."""
    granted = auth.granted_scopes
    planned = plan_probes(needed, granted)
    session = requests.Session()
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(planned)))) as pool:
        probes = list(pool.map(lambda p: run_probe(session, auth, config, p), planned))
    return judge(config, needed, granted, probes)


def run_probe(
    session: requests.Session, auth: ServiceTitanAuthenticator, config: dict, probe: Probe
) -> Probe:
    """GET the probe's endpoint for one record; retry what a run would retry.

    Raises:
        AuthenticationError: a fresh token was refused too (the app key).
    """
    api_url = str(config["api_url"]).rstrip("/")
    path = probe_endpoints()[probe.scope].format(tenant=config["tenant_id"])
    answer: Probe = probe
    for attempt in range(PROBE_TRIES):
        try:
            response = session.get(
                f"{api_url}{path}", params={"pageSize": 1}, auth=auth, timeout=TIMEOUT
            )
        except AuthenticationError:
            raise
        except requests.RequestException as exc:
            answer = Probe(probe.module, probe.scope, probe.endpoint, None, _reason(exc))
            _wait(attempt, None)
            continue
        title = "" if response.ok else error_title(response)
        answer = Probe(probe.module, probe.scope, probe.endpoint, response.status_code, title)
        if response.status_code == 401:
            auth.refresh_after_unauthorized(probe.endpoint, title)
            continue
        if response.status_code == 429 or response.status_code >= 500:
            _wait(attempt, retry_after_seconds(response))
            continue
        if response.ok:
            auth.request_succeeded()
        return answer
    return answer


def _wait(attempt: int, asked: float | None) -> None:
    if attempt + 1 >= PROBE_TRIES:
        return
    wait = asked if asked is not None else 0.25 * 2**attempt * (1 + random.random())
    time.sleep(min(wait, MAX_WAIT_SECONDS))


def judge(
    config: dict,
    needed: dict[str, list[str]],
    granted: frozenset[str] | None,
    probes: list[Probe],
) -> list[Outcome]:
    """Outcomes for the tenant and the scopes, from the token's scopes and the probes."""
    tenant = str(config["tenant_id"])
    outcomes: list[Outcome] = []
    answered = [p for p in probes if p.status is not None and p.status < 400]
    forbidden = [p for p in probes if p.status == 403]
    tenant_denied = bool(forbidden) and (granted is not None or len(forbidden) == len(probes))
    problems = _probe_problems(config, [p for p in probes if p not in answered + forbidden])
    if tenant_denied:
        line = (
            f"ServiceTitan denied tenant {tenant} (403 on {forbidden[0].endpoint}: "
            f"{forbidden[0].title}); check the setting 'tenant_id' (an admin of that tenant "
            "must connect this app under Settings > Integrations > API Application Access)"
        )
        outcomes.append(failed(AREA, "tenant", tenant, line))
    elif problems:
        outcomes += [failed(AREA, "tenant", tenant, line) for line in problems]
    elif answered:
        modules = ", ".join(p.module for p in answered)
        outcomes.append(passed(AREA, "tenant", tenant, f"{modules} answered"))
    else:
        outcomes.append(skipped(AREA, "tenant", tenant, "no scope to probe"))

    proven = {p.scope for p in answered}
    denied = set() if tenant_denied else {p.scope for p in forbidden}
    unverified = []
    for scope, streams in sorted(needed.items()):
        missing = scope in denied or (granted is not None and scope not in granted)
        if missing:
            outcomes.append(failed(AREA, "scope", scope, _missing_scope(scope, streams)))
        elif granted is None and scope not in proven:
            unverified.append(scope)
    ok = len(needed) - len(unverified) - sum(o.failed for o in outcomes if o.check == "scope")
    if ok and not tenant_denied:
        outcomes.append(passed(AREA, "scopes", f"{ok} of {len(needed)}", "granted"))
    if unverified:
        outcomes.append(
            skipped(
                AREA,
                "scopes",
                ", ".join(unverified),
                "not verified: the token names no scopes and one request per module is the limit",
            )
        )
    return outcomes


def _missing_scope(scope: str, streams: list[str]) -> str:
    names = ", ".join(streams)
    excludes = " ".join(f"--exclude {s}" for s in streams)
    return (
        f"the app lacks the scope {scope}, needed by the selected stream(s) {names}; add it to "
        "the app in the ServiceTitan developer portal (and reconnect the app), or deselect "
        f"them (meltano select tap-servicetitan {excludes})"
    )


def _probe_problems(config: dict, probes: list[Probe]) -> list[str]:
    """One line per distinct problem among probes that got no usable answer."""
    lines: list[str] = []
    api_url = _safe_url(config["api_url"])
    for probe in probes:
        if probe.status is None:
            line = f"cannot reach the API at {api_url} ({probe.title}); " + _unreachable_fix(
                "api_url", str(config["api_url"])
            )
        elif probe.status == 404:
            line = (
                f"the API at {api_url} has no {probe.endpoint} (404: {probe.title}); "
                "check the setting 'api_url'"
            )
        elif probe.status == 429 or probe.status >= 500:
            line = (
                f"ServiceTitan answered {probe.status} for {probe.endpoint} "
                f"{PROBE_TRIES} times ({probe.title}); try again later"
            )
        else:
            line = (
                f"ServiceTitan answered {probe.status} for {probe.endpoint} ({probe.title}); "
                "check the settings 'api_url' and 'tenant_id'"
            )
        if line not in lines:
            lines.append(line)
    return lines


def _host(url: object) -> str:
    return urlsplit(str(url or "")).netloc.rsplit("@", 1)[-1] or str(url or "")


def _safe_url(url: object) -> str:
    """The URL without any user:password part."""
    parts = urlsplit(str(url))
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


#: ServiceTitan's own hosts (production and integration): a value no one needs to fix.
SERVICETITAN_HOSTS = (".servicetitan.io",)


def _unreachable_fix(setting: str, url: str) -> str:
    """What to check when ``url`` did not answer: the setting, unless it is ServiceTitan's own."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(SERVICETITAN_HOSTS):
        return (
            f"{setting} is ServiceTitan's own address, so check this machine's network: "
            "DNS, a firewall, or a proxy (HTTPS_PROXY)"
        )
    return f"check the setting '{setting}'"


def _reason(exc: BaseException) -> str:
    """A short cause for a connection failure, without URLs or headers."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out"):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(exc).__name__
