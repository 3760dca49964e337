"""The five-minute demo: ``servicetitan-demo`` (``make demo``).

It starts the bundled ServiceTitan sandbox on a free port, finds a PostgreSQL
to load into (the server at localhost or the ``PG*`` variables when it answers,
otherwise an embedded one from the ``pgserver`` package), runs the job users
schedule (preflight check, extract-load, transforms)

    meltano run servicetitan-sync

with one progress line for the check, per stream and per st_* table, prints a
summary queried from the ``st_*`` tables, and generates the dbt docs (data
dictionary and lineage) with ``meltano invoke dbt-postgres:docs-generate``.
It stops the sandbox (and an embedded PostgreSQL) on
the way out, also after errors and Ctrl-C.

Running it again is an incremental run. The sandbox regenerates the same tenant
for the same seed, and the demo replays the changes a live tenant would have
made between the runs (one sandbox mutation per earlier run), so the second
run asks ServiceTitan's export feeds only for what changed since the first.
The run count lives in ``.meltano/demo/runs.json`` (``--state-dir`` or
``SERVICETITAN_DEMO_DIR`` move it); Meltano keeps the demo's state under the
state id ``sandbox:tap-servicetitan-to-target-postgres:demo``, apart from the
state of your own ``meltano run``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import typing as t
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from servicetitan_devtools.kpi_summary import summary_lines
from servicetitan_devtools.reconciliation_summary import reconciliation_lines
from servicetitan_orchestration.project import (
    PROJECT_DIR_VARIABLE,
    ProjectDirError,
    meltano_dir,
    project_dir,
)
from servicetitan_sandbox.process import SandboxProcess, SandboxStartError
from tap_servicetitan.streams import TAP_STREAMS

#: The job of meltano.yml: servicetitan-preflight:check, tap-servicetitan target-postgres,
#: dbt-postgres:run.
PIPELINE = ("servicetitan-sync",)
PREFLIGHT = "servicetitan-preflight"
DOCS_COMMAND = "dbt-postgres:docs-generate"
#: Where dbt docs generate --static writes the data dictionary and lineage.
#: In the dbt target folder (transforms/target, or $DBT_TARGET_PATH; docs_page).
DOCS_PAGE = "static_index.html"
ENVIRONMENT = "sandbox"
STATE_ID_SUFFIX = "demo"
STATE_ID = f"{ENVIRONMENT}:tap-servicetitan-to-target-postgres:{STATE_ID_SUFFIX}"
DEFAULT_CUSTOMERS = 3000
DEFAULT_DATABASE = "servicetitan_demo"
SANDBOX_SEED = 42
#: Share of the tenant's customers the sandbox changes between two demo runs.
MUTATION_FRACTION = 0.01
RAW_SCHEMA = "tap_servicetitan"
TARGET_SCHEMA = "public"
#: The sandbox company's time zone (a US contractor), unless DBT_POSTGRES_TIMEZONE says otherwise.
DEMO_TIMEZONE = "America/Chicago"
DEMO_DIR_VARIABLE = "SERVICETITAN_DEMO_DIR"
LOG_LINE = re.compile(r"^\S+\s+\[(?P<level>\w+)\s*\]\s+(?P<source>\S+)\s+(?P<message>.*)$")
#: dbt's line for a finished model: "... 3 of 8 OK created sql st_incremental model public.st_jobs ..."
DBT_MODEL_LINE = re.compile(
    r"\d+ of \d+ (?P<outcome>OK created|ERROR creating|SKIP relation)\b.*? model "
    r"(?:\S+\.)?(?P<model>st_\w+)"
)
ERROR_LEVELS = {"error", "critical"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class DemoError(Exception):
    """A failure explained in one line; printed without a traceback."""


def say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- project


def find_project(start: Path | None = None) -> Path:
    """The project: ``$SERVICETITAN_PROJECT_DIR``, else the folder of the meltano.yml at or above cwd."""
    if start is None and os.environ.get(PROJECT_DIR_VARIABLE):
        try:
            return project_dir()
        except ProjectDirError as error:
            raise DemoError(str(error)) from None
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        manifest = directory / "meltano.yml"
        if manifest.is_file() and "tap-servicetitan" in manifest.read_text(encoding="utf-8"):
            return directory
    raise DemoError(
        f"no tap-servicetitan meltano.yml in {here} or above: run the demo from the project "
        f"folder or set {PROJECT_DIR_VARIABLE}"
    )


def demo_directory(option: Path | None, project: Path) -> Path:
    """``--state-dir``, else ``$SERVICETITAN_DEMO_DIR``, else ``.meltano/demo``.

    ``.meltano`` is ``$MELTANO_SYS_DIR_ROOT`` when that is set, as for Meltano.
    """
    if option is not None:
        return option.resolve()
    from_env = os.environ.get(DEMO_DIR_VARIABLE, "").strip()
    if from_env:
        return Path(from_env).resolve()
    return meltano_dir(project) / "demo"


def docs_serve_command(meltano: str, project: Path) -> str:
    """``dbt docs serve`` through Meltano, as a fresh shell runs it (no venv activated)."""
    return (
        f"cd {shlex.quote(str(project))} && {shlex.quote(meltano)} invoke dbt-postgres:docs-serve"
    )


def meltano_executable() -> str:
    beside = Path(sys.executable).parent / "meltano"
    if beside.exists():
        return str(beside)
    found = shutil.which("meltano")
    if found:
        return found
    raise DemoError(
        "meltano is not installed in this environment; run `make demo` (make venv installs it)"
    )


def plugins_installed(project: Path) -> bool:
    plugins = meltano_dir(project)
    return all(
        (plugins / kind / name / "venv").is_dir()
        for kind, name in (
            ("extractors", "tap-servicetitan"),
            ("loaders", "target-postgres"),
            ("utilities", "dbt-postgres"),
            ("utilities", PREFLIGHT),
        )
    )


# ---------------------------------------------------------------- run count


@dataclass
class RunBook:
    """What the earlier demo runs did (``runs.json`` in the demo directory)."""

    path: Path
    runs: int = 0
    customers: int | None = None
    database: str | None = None
    postgres: str | None = None

    @classmethod
    def load(cls, path: Path) -> RunBook:
        book = cls(path)
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            book.runs = int(data.get("runs", 0))
            book.customers = data.get("customers")
            book.database = data.get("database")
            book.postgres = data.get("postgres")
        return book

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "runs": self.runs,
            "customers": self.customers,
            "database": self.database,
            "postgres": self.postgres,
        }
        self.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- sandbox


# ---------------------------------------------------------------- PostgreSQL


@dataclass
class Database:
    """Where the demo loads: connection for psycopg, Meltano's variables, how to connect."""

    kind: str  # "local" or "embedded"
    name: str
    connect_kwargs: dict[str, t.Any]
    sqlalchemy_url: str
    created: bool = False
    server: t.Any = None  # pgserver's handle when embedded

    def meltano_env(self) -> dict[str, str]:
        kwargs = self.connect_kwargs
        return {
            "TARGET_POSTGRES_SQLALCHEMY_URL": self.sqlalchemy_url,
            "TARGET_POSTGRES_HOST": str(kwargs["host"]),
            "TARGET_POSTGRES_PORT": str(kwargs.get("port") or 5432),
            "TARGET_POSTGRES_USER": str(kwargs["user"]),
            "TARGET_POSTGRES_PASSWORD": str(kwargs.get("password") or ""),
            "TARGET_POSTGRES_DATABASE": self.name,
        }

    def connect(self) -> t.Any:
        import psycopg

        return psycopg.connect(**self.connect_kwargs, dbname=self.name, autocommit=True)

    def describe(self) -> str:
        kwargs = self.connect_kwargs
        if self.kind == "embedded":
            return f"embedded PostgreSQL (pgserver), data directory {kwargs['host']}"
        return f"PostgreSQL at {kwargs['host']}:{kwargs.get('port') or 5432}"

    def psql_command(self) -> str:
        kwargs = self.connect_kwargs
        if self.kind == "embedded":
            return f"psql -h {kwargs['host']} -U {kwargs['user']} {self.name}"
        return f"psql -h {kwargs['host']} -p {kwargs.get('port') or 5432} -U {kwargs['user']} {self.name}"

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            with contextlib.suppress(Exception):
                server.cleanup()


def local_server_settings() -> dict[str, t.Any]:
    settings: dict[str, t.Any] = {
        "host": os.environ.get("PGHOST") or "localhost",
        "port": int(os.environ.get("PGPORT") or 5432),
        "user": os.environ.get("PGUSER") or "postgres",
    }
    if os.environ.get("PGPASSWORD"):
        settings["password"] = os.environ["PGPASSWORD"]
    return settings


def create_database(connect_kwargs: dict[str, t.Any], name: str) -> bool:
    """Create ``name`` unless it exists; True when it was created now."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**connect_kwargs, dbname="postgres", autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return True


def open_local(name: str) -> Database | str:
    """The local server's database, or the reason the server cannot be used."""
    import psycopg

    kwargs = local_server_settings()
    try:
        created = create_database({**kwargs, "connect_timeout": 5}, name)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return f"{kwargs['host']}:{kwargs['port']} not usable ({reason})"
    password = quote(str(kwargs.get("password", "")), safe="")
    auth = (
        f"{quote(kwargs['user'], safe='')}:{password}"
        if password
        else quote(kwargs["user"], safe="")
    )
    url = f"postgresql+psycopg://{auth}@{kwargs['host']}:{kwargs['port']}/{name}"
    return Database("local", name, kwargs, url, created=created)


def open_embedded(name: str, data_dir: Path) -> Database:
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise DemoError(
            "no PostgreSQL server is reachable and the embedded fallback is not installed: "
            "start PostgreSQL (or point PGHOST/PGPORT/PGUSER/PGPASSWORD at one), "
            "or `.venv/bin/pip install pgserver` and run the demo again"
        ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"Starting an embedded PostgreSQL (pgserver) in {data_dir} ...")
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    kwargs = {"host": str(data_dir), "user": "postgres"}
    try:
        created = create_database(kwargs, name)
    except Exception:
        with contextlib.suppress(Exception):
            server.cleanup()
        raise
    url = f"postgresql+psycopg://postgres@/{name}?host={quote(str(data_dir), safe='/')}"
    return Database("embedded", name, kwargs, url, created=created, server=server)


def open_database(mode: str, name: str, data_dir: Path) -> Database:
    if mode in ("auto", "local"):
        local = open_local(name)
        if isinstance(local, Database):
            return local
        if mode == "local":
            raise DemoError(f"no PostgreSQL to load into: {local}")
        say(f"No local PostgreSQL: {local}")
    return open_embedded(name, data_dir)


# ---------------------------------------------------------------- meltano


#: Column widths of the progress lines: the longest stream name, the longest dbt model name.
STREAM_WIDTH = max(len(stream.name) for stream in TAP_STREAMS)
MODEL_WIDTH = 44


def plural(count: int, noun: str) -> str:
    """``1 record``, ``2 records`` (counts with thousands separators)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


@dataclass
class Progress:
    """Condenses Meltano's log into one line per stream and st_* table."""

    extracted: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    state_saved: bool = False

    def feed(self, line: str) -> str | None:
        """Return what to print for one line of Meltano's output, if anything."""
        match = LOG_LINE.match(line.rstrip())
        if not match:
            return None
        level, source, message = match["level"], match["source"], match["message"]
        if source == "tap-servicetitan" and message.startswith("METRIC: "):
            return self._metric(message[len("METRIC: ") :])
        if source == PREFLIGHT and message.startswith(f"{PREFLIGHT}: "):
            outcome = message[len(PREFLIGHT) + 2 :]
            if outcome.startswith("error: "):
                self.errors.append(f"{PREFLIGHT}: {outcome}")
                return f"  ERROR     {PREFLIGHT}: {outcome}"
            return f"  check     {outcome}"
        if source == "dbt-postgres":
            return self._model(ANSI_ESCAPE.sub("", message))
        if source == "meltano" and message.startswith("Incremental state has been updated"):
            self.state_saved = True
            return "  state     saved (each stream's resume point)"
        if level in ERROR_LEVELS:
            self.errors.append(f"{source}: {message}")
            return f"  ERROR     {source}: {message}"
        return None

    def _metric(self, payload: str) -> str | None:
        try:
            metric = json.loads(payload)
        except ValueError:
            return None
        if metric.get("metric") != "record_count":
            return None
        stream = metric.get("tags", {}).get("stream", "?")
        self.extracted[stream] = self.extracted.get(stream, 0) + int(metric.get("value", 0))
        count = plural(self.extracted[stream], "record")
        return f"  extract   {stream:<{STREAM_WIDTH}} {count:>17}"

    def _model(self, message: str) -> str | None:
        """One line per st_* model dbt finished: built, failed or skipped."""
        match = DBT_MODEL_LINE.search(message)
        if not match:
            return None
        outcome = {"OK created": "built", "ERROR creating": "FAILED", "SKIP relation": "skipped"}
        self.models[match["model"]] = outcome[match["outcome"]]
        return f"  dbt       {match['model']:<{MODEL_WIDTH}} {outcome[match['outcome']]}"


def meltano_env(sandbox: SandboxProcess, database: Database) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "TAP_SERVICETITAN_",
                "TARGET_POSTGRES_",
                "DBT_POSTGRES_",
                "SERVICETITAN_PREFLIGHT_",
            )
        )
    }
    cfg = sandbox.tap_config()
    env.update(
        {
            "MELTANO_ENVIRONMENT": ENVIRONMENT,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **{f"TAP_SERVICETITAN_{name.upper()}": value for name, value in cfg.items()},
            "DBT_POSTGRES_RAW_SCHEMA": RAW_SCHEMA,
            "DBT_POSTGRES_TARGET_SCHEMA": TARGET_SCHEMA,
            "DBT_POSTGRES_TIMEZONE": demo_timezone(),
            **database.meltano_env(),
        }
    )
    return env


def demo_timezone() -> str:
    """The tenant's time zone for the KPI dates: DBT_POSTGRES_TIMEZONE, else the demo's."""
    return os.environ.get("DBT_POSTGRES_TIMEZONE", "").strip() or DEMO_TIMEZONE


def saved_state_exists(meltano: str, project: Path, env: dict[str, str]) -> bool:
    result = subprocess.run(
        [meltano, "--environment", ENVIRONMENT, "state", "list"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise DemoError(f"`meltano state list` failed: {last_line(result.stderr)}")
    return any(line.strip() == STATE_ID for line in result.stdout.splitlines())


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def run_pipeline(
    meltano: str,
    project: Path,
    env: dict[str, str],
    *,
    full_refresh: bool,
    log_path: Path,
    verbose: bool,
) -> Progress:
    command = [
        meltano,
        "--environment",
        ENVIRONMENT,
        "run",
        "--force",
        "--state-id-suffix",
        STATE_ID_SUFFIX,
    ]
    if full_refresh:
        command.append("--full-refresh")
    command.extend(PIPELINE)
    say("$ meltano run " + " ".join(PIPELINE) + ("  (--full-refresh)" if full_refresh else ""))
    progress = Progress()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                log.write(line)
                shown = line.rstrip() if verbose else progress.feed(line)
                if verbose:
                    progress.feed(line)
                if shown:
                    say(shown)
            code = process.wait()
        except KeyboardInterrupt:
            stop_process(process)
            raise
    if code != 0:
        reason = progress.errors[-1] if progress.errors else last_line(log_path.read_text("utf-8"))
        raise DemoError(f"meltano run failed (exit {code}): {reason}\n  full log: {log_path}")
    return progress


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


# ---------------------------------------------------------------- summary


def generate_docs(meltano: str, project: Path, env: dict[str, str], log_path: Path) -> Path:
    """``meltano invoke dbt-postgres:docs-generate``; return the page it wrote."""
    say(f"$ meltano invoke {DOCS_COMMAND}")
    with log_path.open("w", encoding="utf-8") as log:
        result = subprocess.run(
            [meltano, "--environment", ENVIRONMENT, "invoke", DOCS_COMMAND],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=600,
        )
    page = docs_page(project)
    if result.returncode != 0 or not page.is_file():
        reason = last_line(ANSI_ESCAPE.sub("", log_path.read_text("utf-8")))
        raise DemoError(f"dbt docs generate failed: {reason}\n  full log: {log_path}")
    return page


def docs_page(project: Path) -> Path:
    """Where dbt docs generate writes the page: the dbt target folder (``$DBT_TARGET_PATH``)."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or "target")
    return project / "transforms" / target / DOCS_PAGE


def summarize(
    database: Database,
    progress: Progress,
    run_number: int,
    full: bool,
    docs_page: Path,
    docs_serve: str,
) -> None:
    from psycopg import sql

    with database.connect() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = %s and table_name like 'st\\_%%' order by table_name",
                (TARGET_SCHEMA,),
            )
        ]
        counts = {
            table: conn.execute(
                sql.SQL("select count(*) from {}.{}").format(
                    sql.Identifier(TARGET_SCHEMA), sql.Identifier(table)
                )
            ).fetchone()[0]
            for table in tables
        }
        top = conn.execute(
            f"select name, coalesce(city, ''), coalesce(state, ''), completed_jobs, total_jobs, "
            f"lifetime_value, last_job_date from {TARGET_SCHEMA}.st_customers "
            "order by lifetime_value desc, st_id limit 5"
        ).fetchall()
        active = conn.execute(
            f"select count(*) filter (where active), count(*) from {TARGET_SCHEMA}.st_customers"
        ).fetchone()
        # what this run did to each st_* table: its latest st_sync_log row
        runs = conn.execute(
            "select distinct on (module) module, sync_type, status, records_fetched, "
            f"records_created, records_updated, duration_ms from {TARGET_SCHEMA}.st_sync_log "
            "order by module, st_id desc"
        ).fetchall()
        kpis = summary_lines(conn, TARGET_SCHEMA, RAW_SCHEMA, demo_timezone())
        reconciled = reconciliation_lines(conn, TARGET_SCHEMA)

    extracted = sum(progress.extracted.values())
    say()
    say("=" * 72)
    if full:
        say(f"First run (full): {plural(extracted, 'record')} extracted and loaded.")
    else:
        say(
            f"Incremental run #{run_number}: only what changed since the last run: "
            f"{plural(extracted, 'record')} extracted and upserted."
        )
    say()
    say(f"{'table':<22}{'rows':>10}")
    for table in tables:
        say(f"{table:<22}{counts[table]:>10,}")
    say()
    say("What dbt did to each table (st_sync_log):")
    for module, sync_type, status, fetched, created, updated, duration_ms in runs:
        say(
            f"{module:<22} {sync_type:<11} {status:<9} fetched {fetched:>8,}  "
            f"created {created:>8,}  updated {updated:>8,}  {duration_ms:>7,} ms"
        )
    say()
    say(f"Customers: {active[1]:,} ({active[0]:,} active). Top customers by lifetime value:")
    say(f"  {'name':<32}{'city':<22}{'jobs done':>10}{'lifetime value':>16}  last job")
    for name, city, state, completed, total, value, last_job in top:
        place = f"{city}, {state}".strip(", ")
        when = last_job.date().isoformat() if last_job else "-"
        say(f"  {name[:31]:<32}{place[:21]:<22}{f'{completed}/{total}':>10}{value:>16,.2f}  {when}")
    say()
    for line in kpis:
        say(line)
    say()
    for line in reconciled:
        say(line)
    if reconciled:
        say()
    say(f"Where the data is: {database.describe()}, database {database.name}")
    say(f"  st_* tables in schema {TARGET_SCHEMA}, raw streams in schema {RAW_SCHEMA}")
    if database.kind == "embedded":
        say(f"  connect (while a demo runs): {database.psql_command()}")
        say(f"  (SQLAlchemy URL {database.sqlalchemy_url})")
        say("  the embedded server stops with the demo; its data stays there for the next run")
    else:
        say(f"  connect: {database.psql_command()}")
    say(f"  e.g. select * from {TARGET_SCHEMA}.st_customers order by lifetime_value desc limit 10;")
    say(f"Data dictionary and lineage (dbt docs): {docs_page}")
    say(f"  open it in a browser, or serve it: {docs_serve}")
    say("Run the demo again for an incremental run.")


def run_tenants(
    args: argparse.Namespace, database: Database, state_dir: Path, project: Path
) -> None:
    """``--tenants N``: N sandbox tenants synced side by side by Dagster (demo_tenants.py)."""
    from servicetitan_devtools.demo_tenants import TenantsDemoError, run_tenants_demo

    meltano_database = f"{database.name}_meltano"
    create_database(database.connect_kwargs, meltano_database)
    try:
        run_tenants_demo(
            args.tenants, args.customers, SANDBOX_SEED, database, meltano_database, state_dir,
            project,
        )  # fmt: skip
    except TenantsDemoError as error:
        raise DemoError(str(error)) from None


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicetitan-demo",
        description="Sandbox tenant -> tap-servicetitan -> target-postgres -> st_* tables, "
        "with a summary. Run it again for an incremental run.",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=DEFAULT_CUSTOMERS,
        help=f"customers in the sandbox tenant (default {DEFAULT_CUSTOMERS})",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"database to create and load into (default {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--postgres",
        choices=("auto", "local", "embedded"),
        default="auto",
        help="auto: the local server (PG* variables) if reachable, else an "
        "embedded one (pgserver); local or embedded force one",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"run count, logs and embedded data (default .meltano/demo, or ${DEMO_DIR_VARIABLE})",
    )
    parser.add_argument("--verbose", action="store_true", help="show Meltano's full log")
    parser.add_argument(
        "--tenants",
        type=int,
        default=1,
        help="more than 1: that many sandbox tenants synced side by side by Dagster "
        "(in-process), with a summary per tenant",
    )
    return parser


def main(argv: t.Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.customers < 1:
        print("demo: error: --customers must be at least 1", file=sys.stderr)
        return 2
    if args.tenants < 1:
        print("demo: error: --tenants must be at least 1", file=sys.stderr)
        return 2
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", args.database):
        print(
            "demo: error: --database must be a plain identifier (letters, digits, _)",
            file=sys.stderr,
        )
        return 2
    sandbox: SandboxProcess | None = None
    database: Database | None = None
    try:
        project = find_project()
        state_dir = demo_directory(args.state_dir, project)
        meltano = meltano_executable()
        if not plugins_installed(project):
            say("Installing the Meltano plugins (meltano install) ...")
            subprocess.run([meltano, "install"], cwd=project, check=True)

        database = open_database(args.postgres, args.database, state_dir / "pgdata")
        say(
            f"Loading into {database.describe()}, database {database.name}"
            + (" (created now)" if database.created else "")
        )

        if args.tenants > 1:
            run_tenants(args, database, state_dir, project)
            return 0

        say(f"Starting the ServiceTitan sandbox ({args.customers:,} customers) ...")
        sandbox = SandboxProcess(
            args.customers, seed=SANDBOX_SEED, log_path=state_dir / "sandbox.log"
        )
        try:
            sandbox.start()
        except SandboxStartError as exc:
            raise DemoError(str(exc)) from None
        say(f"  sandbox listening on {sandbox.url}")

        env = meltano_env(sandbox, database)
        book = RunBook.load(state_dir / "runs.json")
        has_state = saved_state_exists(meltano, project, env)
        same_setup = (
            book.customers == args.customers
            and book.database == args.database
            and book.postgres == database.kind
        )
        resumable = has_state and same_setup and not database.created
        incremental = resumable and book.runs > 0
        if incremental:
            run_number = book.runs + 1
            say(f"Incremental run #{run_number}: only what changed since the last run.")
            say(
                f"  replaying {book.runs} round(s) of changes on the sandbox tenant "
                f"(about {MUTATION_FRACTION:.0%} of customers each), as a live tenant would"
            )
            for seed in range(1, book.runs + 1):
                sandbox.mutate(MUTATION_FRACTION, seed)
        elif resumable:
            run_number = 1
            say("First run (full), resuming the interrupted one from its saved state.")
        else:
            run_number = 1
            book.runs = 0
            say("First run (full): every record of the tenant is extracted.")
        full_refresh = has_state and not resumable
        book.customers = args.customers
        book.database = args.database
        book.postgres = database.kind
        book.save()

        started = time.monotonic()
        progress = run_pipeline(
            meltano,
            project,
            env,
            full_refresh=full_refresh,
            log_path=state_dir / "last-run.log",
            verbose=args.verbose,
        )
        elapsed = time.monotonic() - started
        book.runs = run_number
        book.save()
        docs_page = generate_docs(meltano, project, env, state_dir / "docs-generate.log")
        summarize(
            database,
            progress,
            run_number,
            full=not incremental,
            docs_page=docs_page,
            docs_serve=docs_serve_command(meltano, project),
        )
        say(f"Pipeline took {elapsed:.1f} s; Meltano state id {STATE_ID}.")
    except KeyboardInterrupt:
        print(
            "\ndemo: interrupted; the next run resumes from the last saved state", file=sys.stderr
        )
        return 130
    except DemoError as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(
            f"demo: error: {' '.join(map(str, error.cmd))} failed (exit {error.returncode})",
            file=sys.stderr,
        )
        return 1
    except Exception as error:
        print(f"demo: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        if sandbox is not None:
            sandbox.stop()
            say("Sandbox stopped.")
        if database is not None and database.kind == "embedded":
            database.stop()
            say("Embedded PostgreSQL stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
