"""The preflight check against a real PostgreSQL and the sandbox over HTTP.

Every misconfiguration gives exit status 1 and its one line naming the setting
or the action, no traceback, no secret, and no export (data) request; a healthy
setup passes with a table of what was checked.
"""

from __future__ import annotations

import socket
import subprocess
import uuid

import psycopg
import pytest
import requests
from psycopg import sql

from servicetitan_preflight.api import Probe, judge, plan_probes, probe_endpoints, scopes_needed
from servicetitan_preflight.local import timezone_outcome
from servicetitan_preflight.pipeline import PluginSetting
from servicetitan_sandbox import SandboxServer, credentials
from servicetitan_sandbox.routes import ALL_SCOPES
from tap_servicetitan.streams import CORE_STREAMS
from tests.support.database import admin_connection, password_server
from tests.support.meltano_project import MeltanoProject

SECRETS = (credentials.CLIENT_ID, credentials.CLIENT_SECRET, credentials.APP_KEY)
MODULES = {stream.module for stream in CORE_STREAMS}


@pytest.fixture
def project(fresh_sandbox, database, tmp_path) -> MeltanoProject:
    return MeltanoProject(fresh_sandbox, database, tmp_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def error_lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


def assert_one_line_failure(
    run: subprocess.CompletedProcess, sandbox: SandboxServer, *needles: str
) -> str:
    """Exit 1, one line on stderr holding every needle, no traceback, no secret, no export."""
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    lines = error_lines(run)
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("servicetitan-preflight: error: ")
    for needle in needles:
        assert needle in line, (needle, line)
    output = run.stdout + run.stderr
    assert "Traceback" not in output
    assert not [secret for secret in SECRETS if secret in output]
    assert_no_data_request(sandbox)
    return line


def assert_no_data_request(sandbox: SandboxServer) -> None:
    """Nothing was extracted: no export feed was asked, at most one request per module."""
    counters = sandbox.counters
    assert not [endpoint for endpoint in counters["by_endpoint"] if "/export/" in endpoint]
    assert counters["requests"] <= len(MODULES) + 1  # +1: a 401 is retried with a new token


def test_healthy_setup_passes_with_a_table(project) -> None:
    run = project.preflight()
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    header, *rows = run.stdout.splitlines()
    assert header.startswith("servicetitan-preflight: ") and "checks passed" in header
    checks = {tuple(row.split()[:2]) for row in rows[1:]}
    assert {
        ("database", "connection"),
        ("database", "schema"),
        ("api", "token"),
        ("api", "tenant"),
        ("api", "scopes"),
        ("local", "plugins"),
        ("local", "state"),
        ("local", "time"),
    } <= checks
    (zone,) = [row for row in rows if row.split()[:2] == ["local", "time"]]
    assert "dbt-postgres timezone" in zone and "ok (UTC)" in zone  # meltano.yml's default
    assert "FAILED" not in run.stdout
    assert not [secret for secret in SECRETS if secret in run.stdout]
    counters = project.sandbox.counters
    assert counters["token"] == 1
    # one cheap list request per API module, no export feed
    assert sorted(e.split("/")[0] for e in counters["by_endpoint"]) == sorted(MODULES)
    assert_no_data_request(project.sandbox)
    with project.connect() as conn:  # trying the raw schema left nothing behind
        assert conn.execute("select to_regnamespace('tap_servicetitan')").fetchone()[0] is None


@pytest.mark.parametrize(
    ("env", "needles"),
    [
        pytest.param(
            {"TARGET_POSTGRES_PORT": "free"},
            ["TARGET_POSTGRES_PORT", "refused"],
            id="database-down",
        ),
        pytest.param(
            {"TARGET_POSTGRES_DATABASE": "st_no_such_database"},
            ["TARGET_POSTGRES_DATABASE", "'st_no_such_database' does not exist", "createdb"],
            id="unknown-database",
        ),
        pytest.param(
            {"TARGET_POSTGRES_USER": "st_no_such_role"}, ["TARGET_POSTGRES_USER"], id="unknown-user"
        ),
        pytest.param(
            {"TARGET_POSTGRES_HOST": "db.invalid"}, ["TARGET_POSTGRES_HOST"], id="unknown-host"
        ),
        pytest.param(
            {"TAP_SERVICETITAN_CLIENT_SECRET": "wrong-secret"},
            ["'client_id' and 'client_secret'"],
            id="bad-client-secret",
        ),
        pytest.param(
            {"TAP_SERVICETITAN_ST_APP_KEY": "wrong-key"}, ["'st_app_key'"], id="bad-app-key"
        ),
        pytest.param(
            {"TAP_SERVICETITAN_TENANT_ID": "7654321"},
            ["'tenant_id'", "7654321"],
            id="unknown-tenant",
        ),
        pytest.param(
            {"TAP_SERVICETITAN_TENANT_ID": "acme"},
            ["'tenant_id'", "numeric"],
            id="malformed-tenant",
        ),
        pytest.param(
            {"TAP_SERVICETITAN_API_URL": "http://127.0.0.1:free"},
            ["'api_url'"],
            id="api-unreachable",
        ),
        pytest.param(
            {"TAP_SERVICETITAN__SELECT": "[]"}, ["no stream", "select"], id="nothing-selected"
        ),
        pytest.param(
            {"DBT_POSTGRES_TIMEZONE": "Mars/Olympus"},
            [
                "dbt-postgres timezone 'Mars/Olympus' is not an IANA time zone name",
                "DBT_POSTGRES_TIMEZONE=America/Chicago",
            ],
            id="unknown-time-zone",
        ),
    ],
)
def test_misconfiguration_is_one_line(project, env, needles) -> None:
    port = str(free_port())
    env = {name: value.replace("free", port) for name, value in env.items()}
    run = project.preflight(**env)
    assert_one_line_failure(run, project.sandbox, *needles)


@pytest.mark.parametrize("zone", ["America/Chicago", "Asia/Kolkata", "UTC"])
def test_a_known_time_zone_passes(project, zone) -> None:
    run = project.preflight(DBT_POSTGRES_TIMEZONE=zone)
    assert run.returncode == 0, run.stderr
    (row,) = [line for line in run.stdout.splitlines() if line.split()[:2] == ["local", "time"]]
    assert f"ok ({zone})" in row


def test_the_time_zone_check_follows_its_option(project) -> None:
    """SERVICETITAN_PREFLIGHT_TIMEZONE_FROM names the plugin and setting holding the zone."""
    missing = project.preflight(SERVICETITAN_PREFLIGHT_TIMEZONE_FROM="dbt-nowhere:timezone")
    assert missing.returncode == 2
    assert "'dbt-nowhere'" in missing.stderr and "SERVICETITAN_PREFLIGHT_TIMEZONE_FROM" in (
        missing.stderr
    )


def zone_setting(value: object, source: str) -> PluginSetting:
    return PluginSetting("dbt-postgres", "timezone", value, "DBT_POSTGRES_TIMEZONE", source)


@pytest.mark.parametrize(
    ("source", "environment", "fix"),
    [
        ("meltano_yml", None, "meltano config set dbt-postgres timezone America/Chicago"),
        ("default", "prod", "meltano config set dbt-postgres timezone America/Chicago"),
        (
            "meltano_environment",
            "prod",
            "meltano --environment prod config set dbt-postgres timezone America/Chicago",
        ),
        ("dotenv", None, "set DBT_POSTGRES_TIMEZONE to one in .env"),
        ("env", None, "set DBT_POSTGRES_TIMEZONE to one in the environment"),
    ],
)
def test_an_unknown_time_zone_names_the_fix_where_the_value_is_set(
    source, environment, fix
) -> None:
    outcome = timezone_outcome(zone_setting("Mars/Olympus", source), environment)
    assert outcome.failed
    assert outcome.detail.startswith(
        "dbt-postgres timezone 'Mars/Olympus' is not an IANA time zone name: "
    )
    assert fix in outcome.detail and "\n" not in outcome.detail


def test_time_zone_names_are_iana_names() -> None:
    for zone in ("America/Chicago", "Europe/London", "UTC", "Australia/Lord_Howe"):
        assert not timezone_outcome(zone_setting(zone, "meltano_yml")).failed, zone
    for zone in ("america/chicago", "localtime", "../etc/passwd", "America", "Mars/Olympus"):
        assert timezone_outcome(zone_setting(zone, "env")).failed, zone
    for unset in (None, "", "  "):  # dbt uses UTC
        assert timezone_outcome(zone_setting(unset, "env")).detail == "not set: UTC"
    assert timezone_outcome(zone_setting(" Asia/Tokyo ", "env")).detail == "Asia/Tokyo"


def test_bad_client_secret_stops_before_any_api_request(project) -> None:
    run = project.preflight(TAP_SERVICETITAN_CLIENT_SECRET="wrong-secret")
    assert run.returncode == 1
    assert project.sandbox.counters["requests"] == 0
    assert "wrong-secret" not in run.stderr


def test_missing_scope_is_named_without_a_request_for_it(database, tmp_path) -> None:
    scopes = set(ALL_SCOPES) - {"tn.acc.invoices:r"}
    with SandboxServer(customers=50, seed=3, scopes=scopes) as sandbox:
        run = MeltanoProject(sandbox, database, tmp_path).preflight()
        line = assert_one_line_failure(run, sandbox, "tn.acc.invoices:r", "invoices", "--exclude")
        assert "tenant" not in line
        assert "accounting" not in {e.split("/")[0] for e in sandbox.counters["by_endpoint"]}
        assert sandbox.counters["403"] == 0  # the token named the scopes; nothing was refused


def test_deselected_streams_need_no_scope(database, tmp_path) -> None:
    scopes = set(ALL_SCOPES) - {"tn.acc.invoices:r"}
    with SandboxServer(customers=50, seed=3, scopes=scopes) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path)
        selected = [f"{s.name}.*" for s in CORE_STREAMS if s.name != "invoices"]
        run = project.preflight(TAP_SERVICETITAN__SELECT=str(selected).replace("'", '"'))
        assert run.returncode == 0, run.stderr
        assert "6 of 6" in run.stdout


def test_wrong_password_names_the_password(fresh_sandbox, tmp_path) -> None:
    with password_server("st_loader", "right-password") as db:
        project = MeltanoProject(fresh_sandbox, db, tmp_path)
        ok = project.preflight(TARGET_POSTGRES_PASSWORD="right-password")
        fresh_sandbox.reset_counters()
        run = project.preflight(TARGET_POSTGRES_PASSWORD="wrong-password")
    assert ok.returncode == 0, ok.stderr
    assert "right-password" not in ok.stdout
    line = assert_one_line_failure(run, fresh_sandbox, "TARGET_POSTGRES_PASSWORD", "'st_loader'")
    assert "wrong-password" not in line


@pytest.fixture
def unprivileged_user(database):
    """A login role that may use the database but not create the raw schema's tables."""
    role = f"st_preflight_{uuid.uuid4().hex[:8]}"
    ident = sql.Identifier(role)
    with psycopg.connect(**database, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login").format(ident))
        conn.execute("create schema tap_servicetitan")  # owned by postgres, no grant
        conn.execute(sql.SQL("grant usage, create on schema public to {}").format(ident))
    yield role
    with psycopg.connect(**database, autocommit=True) as conn:
        conn.execute(sql.SQL("drop owned by {}").format(ident))
    with admin_connection() as admin:
        admin.execute(sql.SQL("drop role {}").format(ident))


def test_no_permission_on_the_schema_names_the_grant(project, unprivileged_user) -> None:
    run = project.preflight(TARGET_POSTGRES_USER=unprivileged_user)
    assert_one_line_failure(
        run,
        project.sandbox,
        "schema 'tap_servicetitan'",
        f"GRANT USAGE, CREATE ON SCHEMA tap_servicetitan TO {unprivileged_user}",
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA",
    )


def test_every_independent_failure_gets_its_own_line(project) -> None:
    run = project.preflight(
        TARGET_POSTGRES_PORT=str(free_port()), TAP_SERVICETITAN_CLIENT_SECRET="wrong-secret"
    )
    assert run.returncode == 1
    lines = error_lines(run)
    assert len(lines) == 2, lines
    assert "TARGET_POSTGRES_PORT" in lines[0] and "'client_secret'" in lines[1]


def test_missing_plugin_install_is_named(project, tmp_path) -> None:
    run = project.preflight(MELTANO_SYS_DIR_ROOT=str(tmp_path / "empty-meltano-dir"))
    assert_one_line_failure(run, project.sandbox, "not installed", "meltano install")


def test_unwritable_state_backend_is_named(project, tmp_path) -> None:
    state = tmp_path / "state-is-a-file"
    state.write_text("not a directory")
    run = project.preflight(MELTANO_STATE_BACKEND_URI=f"file://{state}/sub")
    assert_one_line_failure(run, project.sandbox, "MELTANO_STATE_BACKEND_URI")


# ------------------------------------------------------------------ through Meltano


def test_the_check_runs_as_a_meltano_command(project) -> None:
    run = project.meltano("run", "servicetitan-preflight:check", timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "checks passed" in run.stderr  # Meltano logs the utility's output
    assert "FAILED" not in run.stderr
    assert_no_data_request(project.sandbox)


def test_the_job_stops_at_the_check_in_one_line(project) -> None:
    """The issue's case: nothing listens on TARGET_POSTGRES_PORT (it used to print 398 lines)."""
    project.env["TARGET_POSTGRES_PORT"] = str(free_port())
    run = project.meltano("run", "servicetitan-sync", timeout=300)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "servicetitan-preflight: error:" in line]
    assert len(errors) == 1 and "TARGET_POSTGRES_PORT" in errors[0], errors
    assert len(output.splitlines()) <= 8, output  # Meltano's own few lines around it
    assert_no_data_request(project.sandbox)
    assert "tap-servicetitan" not in output  # the extractor never started


# ------------------------------------------------------------------ the scope rules, unit by unit


def test_the_sandbox_serves_the_probe_of_every_scope_the_tap_needs(fresh_sandbox) -> None:
    """A probe is a real list endpoint: one record, the right scope, no export feed."""
    token = fresh_sandbox.issue_token()
    headers = {"Authorization": f"Bearer {token}", "ST-App-Key": fresh_sandbox.app_key}
    scopes = {stream.scope for stream in CORE_STREAMS}
    # a scope without a cheap list endpoint (export-only) is checked against the token only
    templates = {scope: probe_endpoints()[scope] for scope in scopes if scope in probe_endpoints()}
    assert templates
    for scope, template in templates.items():
        assert "/export/" not in template
        url = fresh_sandbox.url + template.format(tenant=fresh_sandbox.tenant_id)
        answer = requests.get(url, params={"pageSize": 1}, headers=headers, timeout=10)
        assert answer.status_code == 200, (scope, answer.text)
        assert len(answer.json()["data"]) <= 1


NEEDED = {"tn.crm.customers:r": ["customers"], "tn.crm.locations:r": ["locations"]}


def test_one_probe_per_module_for_a_scope_the_token_grants() -> None:
    needed = scopes_needed(s.name for s in CORE_STREAMS)
    probes = plan_probes(needed, granted=None)
    assert sorted(p.module for p in probes) == sorted(MODULES)
    denied = frozenset(ALL_SCOPES) - {"tn.crm.customers:r"}
    (crm,) = [p for p in plan_probes(needed, granted=denied) if p.module == "crm"]
    assert crm.scope == "tn.crm.locations:r"


def test_without_token_scopes_a_403_names_the_probed_scope() -> None:
    config = {"tenant_id": "1", "api_url": "https://api.example"}
    probes = [
        Probe("crm", "tn.crm.customers:r", "crm/customers", 403, "missing scope"),
        Probe("jpm", "tn.jpm.jobs:r", "jpm/jobs", 200),
    ]
    outcomes = judge(config, {**NEEDED, "tn.jpm.jobs:r": ["jobs"]}, None, probes)
    failures = [o.detail for o in outcomes if o.failed]
    assert len(failures) == 1 and "tn.crm.customers:r" in failures[0]
    unverified = [o for o in outcomes if o.check == "scopes" and o.status.value == "skipped"]
    assert unverified and "tn.crm.locations:r" in unverified[0].subject


def test_every_module_refusing_means_the_tenant() -> None:
    config = {"tenant_id": "1", "api_url": "https://api.example"}
    probes = [Probe("crm", "tn.crm.customers:r", "crm/customers", 403, "not connected")]
    outcomes = judge(config, NEEDED, None, probes)
    (failure,) = [o.detail for o in outcomes if o.failed]
    assert "'tenant_id'" in failure
