"""The repository's shape: what each distribution ships, and that Meltano runs the parts as declared."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_preflight.cli import OPTIONS
from tests.support import isolation

ROOT = Path(__file__).resolve().parents[1]
MELTANO = Path(sys.executable).parent / "meltano"
EXTRACTOR_VENV = ROOT / ".meltano" / "extractors" / "tap-servicetitan" / "venv"
PYTHON_FOLDERS = (
    "catalog",
    "tap-servicetitan",
    "sandbox",
    "transforms",
    "tools",
    "tests",
    "bench",
    "preflight",
)


def meltano_manifest() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def test_numeric_settings_from_the_environment_reach_the_tap() -> None:
    """TAP_SERVICETITAN_* numbers set in the environment, as docs/settings.md shows, pass through Meltano."""
    env = {
        **os.environ,
        "TAP_SERVICETITAN_REQUESTS_PER_SECOND": "20",
        "TAP_SERVICETITAN_REQUEST_TIMEOUT": "30",
    }
    meltano = Path(sys.executable).parent / "meltano"
    dump = subprocess.run(
        [str(meltano), "invoke", "--dump=config", "tap-servicetitan"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert dump.returncode == 0, dump.stderr[-2000:]
    config = json.loads(dump.stdout)
    assert (config["requests_per_second"], config["request_timeout"]) == (20, 30)


def test_extractor_venv_has_only_the_tap() -> None:
    site_packages = list(EXTRACTOR_VENV.glob("lib/python*/site-packages"))
    assert site_packages, f"{EXTRACTOR_VENV} is missing: run `make plugins`"
    installed = {path.name.lower() for path in site_packages[0].iterdir()}
    assert any(name.startswith("tap_servicetitan") for name in installed)
    unwanted = (
        "psycopg",
        "servicetitan_sandbox",
        "servicetitan_devtools",
        "servicetitan_preflight",
    )
    assert not [name for name in installed if name.startswith(unwanted)]


def module_name(path: Path) -> str:
    """Dotted module name of a source file, from its package root."""
    package_root = path.parent
    while (package_root / "__init__.py").exists():
        package_root = package_root.parent
    relative = path.with_suffix("").relative_to(package_root).parts
    return ".".join(relative[:-1] if relative[-1] == "__init__" else relative)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in the file, typing-only imports too)."""
    files = [p for folder in PYTHON_FOLDERS for p in (ROOT / folder).rglob("*.py")
             if ".venv" not in p.parts]  # fmt: skip
    modules = {module_name(path): path for path in files}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    prefix = package.split(".")
                    prefix = prefix[: len(prefix) - node.level + 1]
                    base = ".".join([*prefix, base] if base else prefix)
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                # `from . import x` needs the submodule x, not the package's __init__
                targets = submodules if node.module is None else [base, *submodules]
            graph[name] |= {target for target in targets if target in modules and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_find_cycle_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_python_files_import_without_cycles() -> None:
    graph = import_graph()
    assert "tap_servicetitan.client" in graph
    assert "tap_servicetitan.api" in graph["tap_servicetitan.tap"]
    assert find_cycle(graph) == []


def test_preflight_utility_declares_the_check_and_its_defaults() -> None:
    (utility,) = [
        plugin
        for plugin in meltano_manifest()["plugins"]["utilities"]
        if plugin["name"] == "servicetitan-preflight"
    ]
    declared = {setting["name"]: setting.get("value") for setting in utility["settings"]}
    assert declared == {option: default for option, (_env, default) in OPTIONS.items()}
    for option, (env, _default) in OPTIONS.items():
        assert env == f"SERVICETITAN_PREFLIGHT_{option.upper()}"
    assert utility["commands"]["check"]["args"] == "check"
    # the tap is installed beside the check, and the tap never depends on it
    assert "./tap-servicetitan" in utility["pip_url"] and "./preflight" in utility["pip_url"]
    tap_project = (ROOT / "tap-servicetitan" / "pyproject.toml").read_text(encoding="utf-8")
    assert "preflight" not in tap_project


def test_the_job_checks_before_it_extracts() -> None:
    (job,) = [job for job in meltano_manifest()["jobs"] if job["name"] == "servicetitan-sync"]
    assert job["tasks"][0] == "servicetitan-preflight:check"
    assert job["tasks"][1] == "tap-servicetitan target-postgres"


def project_meltano(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """meltano in the project, none of the caller's plugin settings, a private system database."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_", "SERVICETITAN_"))
    }
    clean |= {
        **isolation.env(),
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    return subprocess.run(
        [str(MELTANO), *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_meltano_selects_the_default_selection(tmp_path) -> None:
    """meltano.yml's select rules, as Meltano applies them to the tap's catalog."""
    listed = project_meltano(tmp_path, "select", "tap-servicetitan", "--list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    properties = listed.stdout.split("Selected properties:", 1)[1].splitlines()
    selected = {
        line.split("]", 1)[1].strip().split(".", 1)[0]
        for line in properties
        if line.strip().startswith(("[selected", "[automatic"))
    }
    assert selected == set(DEFAULT_SELECTION)
    for stream in ("job_splits", "gl_accounts", "costs", "membership_status_changes"):
        assert stream in selected, stream


def test_dbt_postgres_declares_the_tenant_time_zone() -> None:
    (utility,) = [
        plugin
        for plugin in meltano_manifest()["plugins"]["utilities"]
        if plugin["name"] == "dbt-postgres"
    ]
    (setting,) = [setting for setting in utility["settings"] if setting["name"] == "timezone"]
    assert setting == {
        "name": "timezone",
        "kind": "string",
        "env": "DBT_POSTGRES_TIMEZONE",
        "value": "UTC",
        "label": "Time zone",
        "description": "IANA time zone of the tenant; KPI dates are local dates in it",
    }


@pytest.mark.parametrize(
    ("env", "seen"),
    [({}, "UTC"), ({"DBT_POSTGRES_TIMEZONE": "America/Chicago"}, "America/Chicago")],
    ids=["default", "from-the-environment"],
)
def test_dbt_runs_with_the_time_zone_meltano_resolves(tmp_path, env, seen) -> None:
    """What dbt itself gets from `meltano invoke dbt-postgres ...` (and `dbt-postgres:run`)."""
    printed = project_meltano(
        tmp_path, "invoke", "--print-var", "DBT_POSTGRES_TIMEZONE", "dbt-postgres", "--version",
        **env,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert f"DBT_POSTGRES_TIMEZONE={seen}" in printed.stdout.splitlines()
