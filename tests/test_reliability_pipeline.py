"""Faults through ``meltano run`` into PostgreSQL: one line, no traceback, nothing lost.

Each case arms the sandbox (a page spoiled on every try, a record the loader
could not store) or fills the batch folder's disk, runs ``meltano run
tap-servicetitan target-postgres``, and checks the exit status, the one line
naming the cause, that no traceback was printed, and that after the fault
is gone a rerun leaves the raw tables equal to the sandbox. Then: two
pipelines of one tenant with different state ids side by side, the first's
loader still reading its batch files after its tap ended; and the loader's
state interval.
"""

from __future__ import annotations

import json
import select
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from servicetitan_sandbox import SandboxServer
from tap_servicetitan.batch_files import in_use
from tests.support.database import throwaway_database
from tests.support.meltano_project import MELTANO, ROOT, MeltanoProject, _tap_process, batch_root
from tests.support.oracle import timestamp

pytestmark = pytest.mark.e2e

STREAMS = ("customers", "locations")
EXTRACT_LOAD = ("run", "tap-servicetitan", "target-postgres")
LOADER_PYTHON = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin" / "python"


@pytest.fixture(scope="module")
def small_sandbox():
    with SandboxServer(customers=150, seed=77, export_page_size=50) as server:
        yield server


def project_for(sandbox: SandboxServer, database: dict, state_dir: Path) -> MeltanoProject:
    project = MeltanoProject(sandbox, database, state_dir, select=STREAMS)
    project.pipeline = EXTRACT_LOAD
    return project


def assert_raw_tables_equal_sandbox(project: MeltanoProject) -> None:
    with project.connect() as conn:
        for stream in STREAMS:
            rows = conn.execute(f'select id, "modifiedOn" from tap_servicetitan.{stream}')
            loaded = dict(rows.fetchall())
            current = {
                r["id"]: timestamp(r["modifiedOn"]).replace(tzinfo=None)
                for r in project.sandbox.dataset.records(stream)
            }
            assert loaded == current, stream


def assert_failed_in_one_line(run: subprocess.CompletedProcess, *expected: str) -> None:
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in output, output[-3000:]
    lines = [line for line in output.splitlines() if "tap-servicetitan: error:" in line]
    assert len(lines) == 1, output[-3000:]
    for text in expected:
        assert text in lines[0], lines[0]


FAULTS = {
    "page-without-data": (
        {"kind": "no-data", "n": 10},
        ("malformed answer (200 with no 'data' list)", "GET crm/export/customers"),
    ),
    "html-page": (
        {"kind": "html", "n": 10},
        ("malformed answer (200 with a body that is not JSON (text/html", "crm/export/customers"),
    ),
    "id-abc": (
        {"kind": "record", "field": "id", "value": "abc"},
        ("stream 'customers', record id 'abc': field 'id'", "not an integer"),
    ),
    "money-12,50": (
        {"kind": "record", "field": "balance", "value": "12,50"},
        ("stream 'customers', record id ", "field 'balance' is the string '12,50', not a number"),
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_the_run_in_one_line_and_the_rerun_loses_nothing(
    small_sandbox, database, tmp_path, fault
) -> None:
    arm, expected = FAULTS[fault]
    small_sandbox.faults.reset()
    small_sandbox.faults.corrupt_next(endpoint="crm/export/customers", after=1, **arm)
    project = project_for(small_sandbox, database, tmp_path)
    project.env["TAP_SERVICETITAN_MAX_RETRIES"] = "1"
    failed = project.meltano(*EXTRACT_LOAD)
    assert_failed_in_one_line(failed, *expected)
    # nothing past the page before the fault was loaded (with BATCH files, that
    # page's file was never announced: nothing at all)
    assert project.count_rows("tap_servicetitan.customers") <= 50
    # and the stored state holds no resume point of it (streams side by side may have
    # stored its bookmark as it began: the signpost, no position)
    bookmark = project.state().get("bookmarks", {}).get("customers", {})
    assert "continue_from" not in bookmark and "replication_key_value" not in bookmark
    small_sandbox.faults.reset()
    project.run()
    assert_raw_tables_equal_sandbox(project)


def test_full_batch_disk_names_the_folder_and_the_setting(small_sandbox, database, tmp_path):
    """The run inside a private mount namespace where the batch folder is a 4 kB tmpfs."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to give the run a small disk of its own")
    probe = subprocess.run(["unshare", "-Urm", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not available here: {probe.stderr.decode()[:200]}")
    small_sandbox.faults.reset()
    project = project_for(small_sandbox, database, tmp_path)
    batches = batch_root()
    batches.mkdir(parents=True, exist_ok=True)
    script = 'mount -t tmpfs -o size=4k tmpfs "$1" && shift && exec "$@"'
    failed = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script, "sh", str(batches), MELTANO, *EXTRACT_LOAD],
        cwd=ROOT,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    folder = f"{batches}/tap-servicetitan-{small_sandbox.tenant_id}/run-"
    assert_failed_in_one_line(failed, "no space left for batch files in", folder)
    assert "'batch_config.storage.root'" in failed.stderr
    project.run()
    assert_raw_tables_equal_sandbox(project)


def test_two_pipelines_of_one_tenant_do_not_remove_each_others_batch_files(tmp_path) -> None:
    """Pipeline A's loader is held on its first table (a lock) while its tap finishes;
    pipeline B (another system database, so another state id) runs from start to end
    meanwhile. A still loads every file; each loader deletes the files it loaded, and
    finished runs' folders go with each pipeline's next run, and only then."""
    with (
        SandboxServer(customers=300, seed=78, export_page_size=50) as sandbox,
        throwaway_database() as db_a,
        throwaway_database() as db_b,
    ):
        a = project_for(sandbox, db_a, tmp_path / "a")
        b = project_for(sandbox, db_b, tmp_path / "b")
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        # a batch folder of the two pipelines' own (other runs on this machine stay out),
        # files of 40 records: a loader with many files left to read
        root = tmp_path / "batches"
        for project in (a, b):
            project.set_batch_config(batch_size=40, storage={"root": root.as_uri()})
        tenant_folder = root / f"tap-servicetitan-{sandbox.tenant_id}"
        with psycopg.connect(**db_a) as hold:
            hold.execute("create schema tap_servicetitan")
            hold.execute("create table tap_servicetitan.customers (id bigint primary key)")
            hold.commit()
            hold.execute("lock table tap_servicetitan.customers in access exclusive mode")
            run_a = subprocess.Popen(
                [MELTANO, *EXTRACT_LOAD],
                cwd=ROOT,
                env=a.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                (folder_a,) = wait_for_finished_tap(run_a, tenant_folder)
                b.run()  # its tap starts while A's loader has every file still to read
                (folder_b,) = folders(tenant_folder) - {folder_a}
                assert list((tenant_folder / folder_a).glob("*.jsonl.gz"))
                hold.rollback()  # A's loader goes on
                output, _ = run_a.communicate(timeout=300)
            finally:
                if run_a.poll() is None:
                    run_a.kill()
                    run_a.wait()
        assert run_a.returncode == 0, output[-3000:]
        assert "FileNotFoundError" not in output
        # each loader deleted the files it loaded (loader/): nothing piles up
        for folder in (folder_a, folder_b):
            assert not list((tenant_folder / folder).glob("*.jsonl.gz"))
        assert_raw_tables_equal_sandbox(a)
        assert_raw_tables_equal_sandbox(b)
        # A's next run removes A's finished folder, never B's (another pipeline's)
        a.run()
        assert folder_a not in folders(tenant_folder)
        assert folder_b in folders(tenant_folder)
        b.run()
        assert folder_b not in folders(tenant_folder)


def folders(tenant_folder: Path) -> set[str]:
    return {p.name for p in tenant_folder.glob("run-*")}


def wait_for_finished_tap(run: subprocess.Popen, tenant_folder: Path) -> set[str]:
    """The run folder(s) in ``tenant_folder`` once the tap of ``run`` has exited."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()[0][-3000:]
        new = folders(tenant_folder)
        if new and tap_gone(run.pid) and not any(in_use(tenant_folder / n) for n in new):
            return new
        time.sleep(0.2)
    raise AssertionError("the tap of the first pipeline never finished")


def tap_gone(meltano_pid: int) -> bool:
    try:
        _tap_process(meltano_pid)
    except AssertionError:
        return True
    return False


def test_loader_writes_its_state_while_messages_keep_coming(database) -> None:
    """The loader (loader/) writes a state once its last one is older than its interval,
    before the input ends; here the interval is 1 s instead of 30 s."""
    program = textwrap.dedent(
        """
        import select
        from servicetitan_loader import ServiceTitanTargetPostgres, STATE_EVERY_SECONDS
        assert STATE_EVERY_SECONDS == 30
        ServiceTitanTargetPostgres._MAX_RECORD_AGE_IN_MINUTES = 1 / 60
        ServiceTitanTargetPostgres.cli()
        """
    )
    config = {
        "host": database["host"],
        "port": database["port"],
        "user": database["user"],
        "password": "",
        "dialect+driver": "postgresql+psycopg",
        "database": database["dbname"],
        "default_target_schema": "raw",
    }
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as config_file:
        json.dump(config, config_file)
        config_file.flush()
        loader = subprocess.Popen(
            [str(LOADER_PYTHON), "-c", program, "--config", config_file.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert loader.stdin is not None and loader.stdout is not None

        def send(message: dict) -> None:
            loader.stdin.write(json.dumps(message) + "\n")
            loader.stdin.flush()

        send({"type": "SCHEMA", "stream": "t", "schema": schema, "key_properties": ["id"]})
        send({"type": "RECORD", "stream": "t", "record": {"id": 1}})
        send({"type": "STATE", "value": {"n": 1}})
        ready = []
        for record_id in range(2, 40):  # a record now and then, for 20 s at most
            time.sleep(0.5)
            send({"type": "RECORD", "stream": "t", "record": {"id": record_id}})
            ready, _, _ = select.select([loader.stdout], [], [], 0)
            if ready:
                break
        assert ready, "no state before the input ended"
        first = loader.stdout.readline()
        loader.stdin.close()
        rest = loader.stdout.read()
        assert loader.wait(timeout=60) == 0
    assert json.loads(first) == {"n": 1}
    assert rest.strip()  # and the last state at the end


def test_a_state_waits_for_its_files_at_most_the_hold_time(tmp_path, monkeypatch) -> None:
    """A slow stream: its open file is announced once a STATE has waited HOLD_STATE_SECONDS,
    so resume points keep reaching the loader (and Meltano) while the file fills."""
    from singer_sdk.singerlib import RecordMessage, StateMessage

    from tap_servicetitan import writer
    from tap_servicetitan.batch_files import BatchRun, BatchSettings

    encode = writer.ServiceTitanWriter().format_message
    lines: list[str] = []
    now = [1000.0]
    monkeypatch.setattr(writer.time, "monotonic", lambda: now[0])
    monkeypatch.setattr("tap_servicetitan.batch_files.time.monotonic", lambda: now[0])
    with BatchRun(BatchSettings(root=tmp_path, batch_size=10_000), "1") as run:
        output = writer.BatchOutput(run, lambda line: lines.append(json.loads(bytes(line))["type"]))
        output.write(RecordMessage(stream="a", record={"id": 1}), encode)
        output.write(StateMessage(value={"n": 1}), encode)
        now[0] += writer.HOLD_STATE_SECONDS - 1
        output.write(RecordMessage(stream="a", record={"id": 2}), encode)
        output.write(StateMessage(value={"n": 2}), encode)
        assert lines == []  # held: the file is younger than the hold time
        now[0] += 1
        output.write(StateMessage(value={"n": 3}), encode)
        assert lines == ["BATCH", "STATE"]
