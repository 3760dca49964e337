"""Every file made from the catalog is current, and servicetitan-generate keeps them so.

The catalog (catalog/servicetitan_catalog) is the one hand-written home of the
API reference, the streams, the hosts, the tap's settings and the raw tables
dbt reads; the tap's schemas, the preflight's probe table, meltano.yml's tap
settings, select and environments, the dbt sources and the docs' reference
tables are generated from it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from servicetitan_devtools.generate import outputs

ROOT = Path(__file__).resolve().parents[1]
GENERATE = Path(sys.executable).parent / "servicetitan-generate"


def generate(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GENERATE), *args],
        cwd=project,
        env={**os.environ, "SERVICETITAN_PROJECT_DIR": str(project)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_generated_file_is_current() -> None:
    checked = generate(ROOT, "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_stale_file_is_named_then_regenerated_and_the_hand_written_rest_kept(tmp_path) -> None:
    for output in outputs():
        (tmp_path / output.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / output.path, tmp_path / output.path)
    meltano_yml = tmp_path / "meltano.yml"
    original = meltano_yml.read_text(encoding="utf-8")
    meltano_yml.write_text(original.replace("    - customers.*\n", ""), encoding="utf-8")
    (tmp_path / "tap-servicetitan/tap_servicetitan/schemas/jobs.json").unlink()

    checked = generate(tmp_path, "--check")
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        "stale: tap-servicetitan/tap_servicetitan/schemas/jobs.json (run servicetitan-generate)",
        "stale: meltano.yml (run servicetitan-generate)",
    ]
    written = generate(tmp_path)
    assert written.returncode == 0, written.stderr
    assert meltano_yml.read_text(encoding="utf-8") == original
    assert generate(tmp_path, "--check").returncode == 0
    tap = yaml.safe_load(original)["plugins"]["extractors"][0]
    assert tap["select"][0] == "customers.*"


def test_a_file_without_its_markers_is_refused_in_one_line(tmp_path) -> None:
    for output in outputs():
        (tmp_path / output.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / output.path, tmp_path / output.path)
    (tmp_path / "docs/settings.md").write_text("# Settings\n", encoding="utf-8")
    checked = generate(tmp_path, "--check")
    assert checked.returncode == 2
    (line,) = checked.stderr.splitlines()
    assert "docs/settings.md has no '<!-- settings-table:begin" in line
