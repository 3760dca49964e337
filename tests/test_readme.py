"""The README and the documentation site (docs/) cannot drift from the code.

Every command in the shell code blocks of README.md and of every page of docs/
is either run here (RUN_HERE) or mapped to the test or CI step that runs it
(ELSEWHERE). A command in neither fails ``test_every_readme_command_is_exercised``
with a message saying where to add it. The settings and streams tables
(docs/settings.md, docs/streams.md, docs/child-streams.md) must name every
setting and stream of the tap; the st_* data dictionary is the dbt project's yml
(tests/test_transforms_project.py checks it is complete). tests/test_docs.py
builds the site.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from servicetitan_sandbox import SandboxServer
from tap_servicetitan.config import CONFIG_SCHEMA
from tap_servicetitan.streams import ALL_STREAMS, TAP_STREAMS
from tests.support import isolation

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
STATE_ID = "sandbox:tap-servicetitan-to-target-postgres"
JOB = "servicetitan-sync"  # meltano.yml's job: preflight check, extract-load, transforms

# Commands this module runs (normalized: no ".venv/bin/" prefix) -> the test that runs them.
RUN_HERE = {
    "servicetitan-demo --help": "test_cheap_command",
    "cp .env.example .env": "test_cheap_command",
    "servicetitan-sandbox --help": "test_cheap_command",
    "tap-servicetitan --about": "test_cheap_command",
    "meltano --environment prod config list tap-servicetitan": "test_config_list_commands",
    "meltano config list tap-servicetitan": "test_config_list_commands",
    "meltano state list": "test_state_commands",
    f"meltano state get {STATE_ID}": "test_state_commands",
    f"meltano state clear --force {STATE_ID}": "test_state_commands",
    "tap-servicetitan --config config.json --test": "test_singer_commands",
    "tap-servicetitan --config config.json --discover > catalog.json": "test_singer_commands",
    "tap-servicetitan --config config.json --catalog catalog.json --state state.json "
    "> messages.jsonl": "test_singer_commands",
    "tap-servicetitan --config config.json --catalog catalog.json | target-postgres "
    "--config target.json > new-state.json": "test_singer_commands",
    "servicetitan-sandbox --port 8765 --customers 5000": "test_sandbox_commands",
    "servicetitan-sandbox --port 8765 --customers 5000 --rate-limit 20 --error-rate 0.05 "
    "--latency 0.05": "test_sandbox_commands",
    "curl -s http://127.0.0.1:8765/_sandbox/health": "test_sandbox_commands",
    "curl -s -X POST http://127.0.0.1:8765/_sandbox/mutate -d "
    '\'{"fraction": 0.01, "seed": 1}\'': "test_sandbox_commands",
    "curl -s http://127.0.0.1:8765/_sandbox/stats": "test_sandbox_commands",
    "meltano run servicetitan-preflight--acme:check tap-servicetitan--acme "
    "target-postgres--acme dbt-postgres--acme:run": "test_multi_tenant_command",
    "python bench/bench_transforms.py --customers 2000": "test_bench_command",
    "cp tenants.example.yml tenants.yml": "test_tenants_commands",
    "servicetitan-tenants check": "test_tenants_commands",
    "dagster definitions validate -m servicetitan_orchestration.definitions": (
        "test_tenants_commands"
    ),
}

# Commands run elsewhere -> (file that runs them, text in that file that shows it).
# `make ...` commands are also dry-run here (make -n) so their targets exist.
ELSEWHERE = {
    "make demo": ("tests/test_demo.py", "servicetitan-demo"),
    'make demo DEMO_ARGS="--customers 20000 --database servicetitan_big"': (
        "tests/test_demo.py",
        '"--customers"',
    ),
    "meltano invoke dbt-postgres:run-full-refresh": (
        "tests/test_demo.py",
        "dbt-postgres:run-full-refresh",
    ),
    "meltano invoke dbt-postgres:run": ("tests/test_transforms_project.py", '"dbt-postgres:run"'),
    "meltano invoke dbt-postgres:test": ("tests/test_meltano_e2e.py", '"dbt-postgres:test"'),
    "meltano invoke dbt-postgres:freshness": (
        "tests/test_meltano_e2e.py",
        '"dbt-postgres:freshness"',
    ),
    # the demo runs it after its pipeline (DOCS_COMMAND) and tests/test_demo.py reads the page
    "meltano invoke dbt-postgres:docs-generate": (
        "tools/servicetitan_devtools/demo.py",
        'DOCS_COMMAND = "dbt-postgres:docs-generate"',
    ),
    "make test": (".ci/run", "make test"),
    ".ci/run": (".ci/run", "make test"),  # the CI entry point itself
    f"meltano run {JOB}": ("tests/support/meltano_project.py", f'("run", "{JOB}")'),
    f"meltano --environment prod run {JOB}": (
        "tests/support/meltano_project.py",
        f'("run", "{JOB}")',
    ),
    f"meltano run --full-refresh {JOB}": (
        "tests/test_meltano_e2e.py",
        'project.run("--full-refresh")',
    ),
    f"meltano run --force {JOB}": ("tests/test_meltano_e2e.py", 'project.run("--force")'),
    "meltano run servicetitan-preflight:check": (
        "tests/test_preflight.py",
        '"run", "servicetitan-preflight:check"',
    ),
    "make lint": ("Makefile", "$(BIN)/ruff check ."),  # the same ruff run make test does
    'pytest -m "not e2e"': ("Makefile", "$(BIN)/pytest"),  # subsets of make test
    "pytest tests/test_transforms_rules.py": ("Makefile", "$(BIN)/pytest"),
    # benchmarks take minutes and assert nothing: only the target is checked (make -n)
    "make bench": ("Makefile", "bench/bench_tap.py"),
    "meltano invoke dbt-postgres:adopt-tenant --args '{tenant_id: 1234567}'": (
        "tests/test_transforms_project.py",
        '"dbt-postgres:adopt-tenant"',
    ),
    "meltano upgrade database": (
        "orchestration/servicetitan_orchestration/meltano.py",
        '"upgrade", "database"',
    ),
    "servicetitan-tenants sync": ("tests/test_tenants.py", '"servicetitan-tenants"), "sync"'),
    # the UI: its code location is loaded by `dagster definitions validate` here
    "dagster dev -m servicetitan_orchestration.definitions": (
        "tests/test_readme.py",
        "dagster definitions validate -m servicetitan_orchestration.definitions",
    ),
    'make demo DEMO_ARGS="--tenants 3"': ("tests/test_demo.py", '"--tenants"'),
    "make docs": ("tests/test_docs.py", '"build", "--strict"'),
    "servicetitan-generate": ("tests/test_generated.py", "written = generate(tmp_path)"),
    "servicetitan-generate --check": ("tests/test_generated.py", 'generate(ROOT, "--check")'),
}
# docs/reports.md's "Finding a report's category and id", run against the sandbox
REPORT_LOOKUP = ("tests/test_reports_streams.py", "test_the_docs_find_a_reports_category_and_id")
ELSEWHERE |= dict.fromkeys(
    (
        'TOKEN=$(curl -s "$TAP_SERVICETITAN_AUTH_URL" -d grant_type=client_credentials -d '
        'client_id="$TAP_SERVICETITAN_CLIENT_ID" -d client_secret="$TAP_SERVICETITAN_CLIENT_SECRET" '
        "| jq -r .access_token)",
        'ST="$TAP_SERVICETITAN_API_URL/reporting/v2/tenant/$TAP_SERVICETITAN_TENANT_ID"',
        'H=(-H "Authorization: Bearer $TOKEN" -H "ST-App-Key: $TAP_SERVICETITAN_ST_APP_KEY")',
        """curl -s "${H[@]}" "$ST/report-categories?pageSize=200" | jq -c '.data[] | {id, name}'""",
        """curl -s "${H[@]}" "$ST/report-category/operations/reports?pageSize=500" """
        """| jq -c '.data[] | {id, name}'""",
        """curl -s "${H[@]}" "$ST/report-category/operations/reports/1001" """
        """| jq -c '{parameters, fields}'""",
    ),
    REPORT_LOOKUP,
)


# ---------------------------------------------------------------- README and docs parsing


def documents() -> list[Path]:
    """README.md and every page of the documentation site."""
    return [README, *sorted(DOCS.glob("*.md"))]


def code_blocks(languages: set[str]) -> list[str]:
    bodies = []
    for path in documents():
        text = path.read_text(encoding="utf-8")
        blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
        bodies += [body for language, body in blocks if language in languages]
    return bodies


def normalize(command: str) -> str:
    command = " ".join(command.split())
    return command.removeprefix(".venv/bin/")


def readme_commands() -> list[str]:
    commands = []
    for block in code_blocks(SHELL_LANGUAGES):
        pending = ""
        for raw in block.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            commands.append(normalize(pending + line))
            pending = ""
    return commands


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment without the caller's project settings, with a private Meltano database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAP_", "TARGET_", "MELTANO_", "SERVICETITAN_", "DBT_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(isolation.env())  # Meltano's and dbt's files in the test's scratch folder
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{tmp_path / 'meltano.db'}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.update(extra)
    return env


def shell(
    command: str, *, cwd: Path, env: dict, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run a README command line as written (with the venv's bin first on PATH)."""
    if command.startswith("python "):
        command = f"{sys.executable} {command[len('python ') :]}"
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def commands_for(test_name: str) -> list[str]:
    return [command for command, runner in RUN_HERE.items() if runner == test_name]


# ---------------------------------------------------------------- coverage


def test_every_readme_command_is_exercised() -> None:
    commands = readme_commands()
    assert len(commands) > 20, "no shell commands found in README.md and docs/"
    unknown = [c for c in commands if c not in RUN_HERE and c not in ELSEWHERE]
    assert not unknown, (
        "README and docs commands that no test runs: "
        + "; ".join(f"`{c}`" for c in unknown)
        + ". Run each in tests/test_readme.py (add it to RUN_HERE and a test) or map it in "
        "ELSEWHERE to the test or CI step that runs it."
    )


def test_mappings_are_current() -> None:
    commands = set(readme_commands())
    stale = sorted(set(RUN_HERE) - commands) + sorted(set(ELSEWHERE) - commands)
    assert not stale, f"tests/test_readme.py maps commands README and docs no longer have: {stale}"
    for command, (path, needle) in ELSEWHERE.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        assert needle in text, f"`{command}` is mapped to {path}, which no longer has {needle!r}"
    module = Path(__file__).read_text(encoding="utf-8")
    for runner in set(RUN_HERE.values()):
        assert f"def {runner}(" in module, runner


def test_make_targets_exist() -> None:
    make_commands = [c for c in readme_commands() if c.startswith("make ")]
    assert "make demo" in make_commands
    assert "make test" in make_commands
    for command in make_commands:
        result = subprocess.run(
            ["bash", "-c", command.replace("make ", "make -n ", 1)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"
        if "DEMO_ARGS" in command:
            demo_args = command.split('DEMO_ARGS="', 1)[1].split('"', 1)[0]
            assert f"servicetitan-demo {demo_args}" in result.stdout
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().endswith("make test")


# ---------------------------------------------------------------- commands run here


@pytest.mark.parametrize("command", commands_for("test_cheap_command"))
def test_cheap_command(command, tmp_path) -> None:
    if command.startswith("cp "):
        shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
        result = shell(command, cwd=tmp_path, env=clean_env(tmp_path))
        assert result.returncode == 0, result.stderr
        assert "TAP_SERVICETITAN_CLIENT_ID=" in (tmp_path / ".env").read_text(encoding="utf-8")
        return
    result = shell(command, cwd=ROOT, env=clean_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout
    if command == "tap-servicetitan --about":
        assert "tap-servicetitan" in output
        for setting in CONFIG_SCHEMA["properties"]:
            assert setting in output
    else:
        assert output.startswith("usage:"), output[:200]


def test_tenants_commands(tmp_path) -> None:
    """The tenants list from the example, checked, and the Dagster code location loading it."""
    secrets = ("ACME", "ACME_PLUMBING")
    env = clean_env(
        tmp_path,
        SERVICETITAN_TENANTS_FILE=str(tmp_path / "tenants.yml"),
        **{f"{name}_{kind}": "x" for name in secrets for kind in ("CLIENT_ID", "CLIENT_SECRET")},
        **{f"{name}_APP_KEY": "x" for name in secrets},
    )
    shutil.copy(ROOT / "tenants.example.yml", tmp_path / "tenants.example.yml")
    for command in commands_for("test_tenants_commands"):
        cwd = tmp_path if command.startswith("cp ") else ROOT
        result = shell(command, cwd=cwd, env=env, timeout=300)
        assert result.returncode == 0, f"{command}: {(result.stdout + result.stderr)[-3000:]}"
        if command == "servicetitan-tenants check":
            assert "1234567  Acme Heating & Air  [prod, hourly]" in result.stdout
            assert "secrets set" in result.stdout


def test_config_list_commands(tmp_path) -> None:
    secret = "readme-test-secret-value"
    env = clean_env(tmp_path, TAP_SERVICETITAN_CLIENT_SECRET=secret)
    for command in commands_for("test_config_list_commands"):
        result = shell(command, cwd=ROOT, env=env, timeout=120)
        assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
        output = result.stdout + result.stderr
        assert "client_id" in output and "TAP_SERVICETITAN_CLIENT_SECRET" in output
        assert secret not in output, f"{command} printed a secret"
        if "--environment prod" in command:
            assert "https://api.servicetitan.io" in output


def test_state_commands(tmp_path) -> None:
    env = clean_env(tmp_path)
    state = {"singer_state": {"bookmarks": {"customers": {"continue_from": "readme-token"}}}}
    seeded = subprocess.run(
        [str(BIN / "meltano"), "state", "set", "--force", STATE_ID, json.dumps(state)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    listed, got, cleared = (
        shell(command, cwd=ROOT, env=env, timeout=120)
        for command in (
            "meltano state list",
            f"meltano state get {STATE_ID}",
            f"meltano state clear --force {STATE_ID}",
        )
    )
    assert listed.returncode == 0 and STATE_ID in listed.stdout, listed.stderr[-2000:]
    assert got.returncode == 0 and "readme-token" in got.stdout, got.stderr[-2000:]
    assert cleared.returncode == 0, cleared.stderr[-2000:]
    after = shell(f"meltano state get {STATE_ID}", cwd=ROOT, env=env, timeout=120)
    assert "readme-token" not in after.stdout


@pytest.fixture(scope="module")
def readme_sandbox():
    with SandboxServer(customers=60, seed=11) as server:
        yield server


def test_singer_commands(readme_sandbox, database, tmp_path) -> None:
    """The Singer section, run as written, with the README's own config.json."""
    (config_block,) = [b for b in code_blocks({"json"}) if '"client_id"' in b]
    config = json.loads(config_block)
    sandbox_config = readme_sandbox.tap_config()
    config.update({k: v for k, v in sandbox_config.items() if k in config or k.endswith("_url")})
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "state.json").write_text("{}", encoding="utf-8")
    (target_block,) = [b for b in code_blocks({"json"}) if '"default_target_schema"' in b]
    target = json.loads(target_block)
    target.update(
        {
            "host": database["host"],
            "port": database["port"],
            "user": database["user"],
            "database": database["dbname"],
            "default_target_schema": "readme_raw",
        }
    )
    (tmp_path / "target.json").write_text(json.dumps(target), encoding="utf-8")
    env = clean_env(tmp_path)
    for command in commands_for("test_singer_commands"):
        result = shell(command, cwd=tmp_path, env=env)
        assert result.returncode == 0, f"{command}: {result.stderr[-3000:]}"

    catalog = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    assert {s["tap_stream_id"] for s in catalog["streams"]} == {s.name for s in TAP_STREAMS} | {
        "record_counts"
    }
    messages = [json.loads(line) for line in (tmp_path / "messages.jsonl").open()]
    records = [m for m in messages if m["type"] == "RECORD"]
    # the catalog as discovered: every stream but the opt-in reports (windows.py)
    by_default = {s.name for s in ALL_STREAMS if s.selected_by_default}
    assert {m["stream"] for m in records} == by_default - {"technicians"}
    emails = [
        m["record"]["value"]
        for m in records
        if m["stream"] == "customer_contacts" and m["record"]["type"] == "Email"
    ]
    assert emails and all(re.fullmatch(r"[0-9a-f]{32}", e) for e in emails)  # the stream map
    assert any(m["type"] == "STATE" for m in messages)
    new_state = (tmp_path / "new-state.json").read_text(encoding="utf-8").strip().splitlines()
    assert new_state and "continue_from" in new_state[-1]
    with psycopg.connect(**database) as conn:
        loaded = conn.execute("select count(*) from readme_raw.customers").fetchone()[0]
    assert loaded == len(readme_sandbox.dataset.ids("customers"))


def test_sandbox_commands(tmp_path) -> None:
    env = clean_env(tmp_path)
    servers = [c for c in commands_for("test_sandbox_commands") if c.startswith("servicetitan-")]
    curls = [c for c in commands_for("test_sandbox_commands") if c.startswith("curl ")]
    for index, command in enumerate(servers):
        argv = command.replace("--port 8765", "--port 0").split()
        process = subprocess.Popen(
            [str(BIN / argv[0]), *argv[1:]],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline()
            port = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            assert port, f"{command}: {line or process.stderr.read()}"
            if index:
                continue
            outputs = {}
            for curl in curls:
                result = shell(
                    curl.replace(":8765", f":{port[1]}"), cwd=tmp_path, env=env, timeout=120
                )
                assert result.returncode == 0, f"{curl}: {result.stderr}"
                outputs[curl.split("/_sandbox/")[1].split()[0]] = json.loads(result.stdout)
            assert outputs["health"]["status"] == "ok"
            assert outputs["mutate"]  # counts of created/updated records
            assert "requests" in outputs["stats"]
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()
            process.stderr.close()


@pytest.mark.e2e
def test_multi_tenant_command(sandbox, database, tmp_path) -> None:
    """The README's inherit_from plugins, merged into a copy of the project, run for real."""
    (plugins_block,) = [b for b in code_blocks({"yaml"}) if "inherit_from" in b]
    project = tmp_path / "project"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)
    manifest = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    for kind, plugins in yaml.safe_load(plugins_block)["plugins"].items():
        manifest["plugins"][kind].extend(plugins)
    (project / "meltano.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), "utf-8")

    env = clean_env(
        tmp_path,
        TAP_SERVICETITAN__ACME_API_URL=sandbox.url,
        TAP_SERVICETITAN__ACME_AUTH_URL=sandbox.auth_url,
        TAP_SERVICETITAN__ACME_CLIENT_ID=sandbox.client_id,
        TAP_SERVICETITAN__ACME_CLIENT_SECRET=sandbox.client_secret,
        TAP_SERVICETITAN__ACME_ST_APP_KEY=sandbox.app_key,
        TARGET_POSTGRES_HOST=database["host"],
        TARGET_POSTGRES_PORT=str(database["port"]),
        TARGET_POSTGRES_USER=database["user"],
        TARGET_POSTGRES_DATABASE=database["dbname"],
    )
    for scratch in ("MELTANO_SYS_DIR_ROOT", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        del env[scratch]  # the copy's own: its .meltano (its plugins), its transforms/target
    installed = shell("meltano install", cwd=project, env=env, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    (command,) = commands_for("test_multi_tenant_command")
    result = shell(command, cwd=project, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    listed = shell("meltano state list", cwd=project, env=env, timeout=120)
    assert "sandbox:tap-servicetitan--acme-to-target-postgres--acme" in listed.stdout
    # the tenant's time zone: checked by its preflight utility, given to its dbt
    (checked,) = [
        line for line in result.stderr.splitlines() if "dbt-postgres--acme timezone" in line
    ]
    assert checked.rstrip().endswith("ok (America/Chicago)"), checked
    zone = shell(
        "meltano invoke --print-var DBT_POSTGRES_TIMEZONE dbt-postgres--acme --version",
        cwd=project,
        env=env,
        timeout=120,
    )
    assert "DBT_POSTGRES_TIMEZONE=America/Chicago" in zone.stdout.splitlines(), zone.stderr
    with psycopg.connect(**database) as conn:
        raw = conn.execute("select count(*) from tap_servicetitan_acme.customers").fetchone()[0]
        st = conn.execute(
            "select count(*) from public.st_customers where tenant_id = %s", (sandbox.tenant_id,)
        ).fetchone()[0]
    assert raw == st == len(sandbox.dataset.ids("customers"))


def test_bench_command(tmp_path) -> None:
    (command,) = commands_for("test_bench_command")
    result = shell(command, cwd=ROOT, env=clean_env(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "full build" in result.stdout


# ---------------------------------------------------------------- tables vs code


def table_rows(page: str, heading: str) -> list[str]:
    """The table lines under ``heading`` in ``docs/<page>`` (up to the next heading)."""
    text = "\n" + (DOCS / page).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n#{1,4} ", text[start + len(heading) + 2 :])
    end = start + len(heading) + 2 + following.start() if following else len(text)
    return [line for line in text[start:end].splitlines() if line.startswith("|")]


def first_cell_names(rows: list[str]) -> set[str]:
    names: set[str] = set()
    for row in rows:
        first = row.split("|")[1]
        names.update(re.findall(r"`([a-z_0-9]+)`", first))
    return names


def test_dbt_settings_table_names_every_setting_of_the_utility() -> None:
    manifest = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (utility,) = [u for u in manifest["plugins"]["utilities"] if u["name"] == "dbt-postgres"]
    rows = table_rows("settings.md", "## dbt-postgres (the dbt project in `transforms/`)")
    for setting in utility["settings"]:
        row = next((r for r in rows if f"`{setting['name']}`" in r.split("|")[1]), None)
        assert row, f"dbt-postgres setting {setting['name']} missing from docs/settings.md"
        assert f"`{setting['env']}`" in row, setting["name"]
        if "value" in setting:
            assert f"`{setting['value']}`" in row, setting["name"]
