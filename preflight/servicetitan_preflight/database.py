"""The database checks: reachable, credentials accepted, database exists, schemas writable.

The connection is the loader's (``TARGET_POSTGRES_*`` or its
``sqlalchemy_url``). The schemas are the raw schema target-postgres writes to
and the schema of the st_* tables. "Writable" is tried, not inferred: in one
transaction that is rolled back, the check creates each schema if missing and
a table in it, and it checks that tables already there accept inserts and
updates. Nothing is left behind.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from servicetitan_preflight.report import Outcome, failed, passed, skipped

if t.TYPE_CHECKING:
    from servicetitan_preflight.pipeline import Pipeline, Setting

AREA = "database"
CONNECT_TIMEOUT_SECONDS = 5
PROBE_TABLE = "_servicetitan_preflight"


@dataclass(frozen=True)
class Target:
    """Where the loader connects, and the variable that names each part."""

    conninfo: dict[str, t.Any]
    env: dict[str, str]  # host/port/user/password/database -> variable to fix it
    via_url: bool

    @property
    def host(self) -> str:
        return str(self.conninfo.get("host") or "localhost")

    @property
    def port(self) -> str:
        return str(self.conninfo.get("port") or 5432)

    @property
    def user(self) -> str:
        return str(self.conninfo.get("user") or "")

    @property
    def dbname(self) -> str:
        return str(self.conninfo.get("dbname") or "")

    @property
    def where(self) -> str:
        """``host:port`` (or the socket directory), for messages."""
        return self.host if self.host.startswith("/") else f"{self.host}:{self.port}"

    def name(self, part: str) -> str:
        return self.env[part]


def target(connection: dict[str, Setting]) -> Target:
    """The loader's connection as psycopg settings; ``sqlalchemy_url`` wins as it does there."""
    url = connection["sqlalchemy_url"]
    if url.value:
        libpq_url = "postgresql" + str(url.value)[str(url.value).index(":") :]
        conninfo = conninfo_to_dict(libpq_url)
        return Target(conninfo, dict.fromkeys(_PARTS, url.env), via_url=True)
    conninfo = {
        "host": connection["host"].value,
        "port": connection["port"].value,
        "user": connection["user"].value,
        "password": connection["password"].value or None,
        "dbname": connection["database"].value,
    }
    env = {part: connection[part].env for part in _PARTS}
    return Target({k: v for k, v in conninfo.items() if v not in (None, "")}, env, via_url=False)


_PARTS = ("host", "port", "user", "password", "database")


def check(pipeline: Pipeline) -> list[Outcome]:
    """Connect, then try each schema; one outcome per check."""
    db = target(pipeline.connection)
    subject = f"{db.where}/{db.dbname} as {db.user}"
    schemas = [s for s in (pipeline.raw_schema, pipeline.st_schema) if s is not None and s.value]
    try:
        conn = psycopg.connect(
            **db.conninfo,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="servicetitan-preflight",
        )
    except psycopg.OperationalError as exc:
        outcomes = [failed(AREA, "connection", subject, connection_failure(db, str(exc)))]
        outcomes += [
            skipped(AREA, "schema", str(s.value), "no connection") for s in _unique(schemas)
        ]
        return outcomes
    with conn:
        conn.add_notice_handler(lambda _notice: None)
        version = (conn.info.parameter_status("server_version") or "?").split()[0]
        outcomes = [passed(AREA, "connection", subject, f"PostgreSQL {version}")]
        outcomes += [schema_outcome(conn, db, schema) for schema in _unique(schemas)]
        if pipeline.raw_schema.value:
            outcomes.append(tenant_outcome(conn, pipeline))
    return outcomes


def _unique(schemas: list[Setting]) -> list[Setting]:
    seen: dict[str, Setting] = {}
    for schema in schemas:
        seen.setdefault(str(schema.value), schema)
    return list(seen.values())


def connection_failure(db: Target, message: str) -> str:
    """One line for a failed connection, naming the variable to fix.

    libpq's own words decide (PostgreSQL answers connection failures before a
    session exists, so there is no SQLSTATE to go by).
    """
    text = message.lower()
    where = db.where
    if "could not translate host name" in text or "failed to resolve host" in text:
        return f"cannot resolve the database host {db.host!r}; check {db.name('host')}"
    if "connection refused" in text or "no such file or directory" in text:
        return (
            f"nothing accepts connections at {where} (connection refused); "
            f"check {db.name('port')} and {db.name('host')}, or start PostgreSQL"
        )
    if "timeout expired" in text or "timed out" in text:
        return (
            f"no answer from {where} within {CONNECT_TIMEOUT_SECONDS} s; "
            f"check {db.name('host')} and {db.name('port')} (or a firewall)"
        )
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"PostgreSQL at {where} rejected the password of user {db.user!r}; "
            f"check {db.name('password')} (and {db.name('user')})"
        )
    if "role" in text and "does not exist" in text:
        return f"PostgreSQL at {where} has no user {db.user!r}; check {db.name('user')}"
    if "database" in text and "does not exist" in text:
        return (
            f"database {db.dbname!r} does not exist at {where}; check {db.name('database')} "
            f"or create it (createdb -h {db.host} -p {db.port} -U {db.user} {db.dbname})"
        )
    if "pg_hba.conf" in text:
        return (
            f"PostgreSQL at {where} does not accept user {db.user!r} for database "
            f"{db.dbname!r} from this machine (pg_hba.conf); ask its administrator, or check "
            f"{db.name('user')} and {db.name('database')}"
        )
    first = _last_line(message)
    return (
        f"cannot connect to PostgreSQL at {where} as {db.user!r}: {first}; check the "
        f"{'sqlalchemy_url' if db.via_url else 'connection'} settings ({db.name('host')} ...)"
    )


def _last_line(message: str) -> str:
    """libpq's most specific line, without its 'connection to server ... failed:' prefix."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    line = lines[0] if lines else message
    return line.rsplit("failed:", 1)[-1].strip() or line


def schema_outcome(conn: psycopg.Connection, db: Target, schema: Setting) -> Outcome:
    """Try to create the schema (if missing) and a table in it; roll everything back."""
    name = str(schema.value)
    existed = True
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("set local lock_timeout = '3s'")
            existed = conn.execute(
                "select exists (select from pg_namespace where nspname = %s)", (name,)
            ).fetchone()[0]
            if not existed:
                conn.execute(sql.SQL("create schema {}").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("create table {}.{} (id bigint)").format(
                    sql.Identifier(name), sql.Identifier(PROBE_TABLE)
                )
            )
            locked = _unwritable_tables(conn, name)
    except psycopg.errors.InsufficientPrivilege:
        return failed(AREA, "schema", name, _privilege_failure(db, schema, existed))
    except psycopg.Error as exc:
        line = _last_line(str(exc))
        return failed(
            AREA,
            "schema",
            name,
            f"cannot create a table in schema {name!r}: {line}; check {schema.env}",
        )
    if locked:
        shown = ", ".join(locked[:3]) + (" ..." if len(locked) > 3 else "")
        return failed(
            AREA,
            "schema",
            name,
            f"user {db.user!r} may not insert into or update {len(locked)} table(s) of schema "
            f"{name!r} ({shown}); grant it (GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
            f"{name} TO {db.user}) or check {schema.env}",
        )
    return passed(AREA, "schema", name, "can create tables" if existed else "can be created")


def tenant_outcome(conn: psycopg.Connection, pipeline: Pipeline) -> Outcome:
    """Whether the raw schema holds another tenant's rows, before the loader writes into it.

    target-postgres upserts by id: tenant B loaded into tenant A's raw schema
    overwrites A's rows wherever the ids coincide. One row of each raw table of
    the selected streams is read (a schema holds one tenant's rows, unless such
    a load already happened): cheap at any size.
    """
    schema = pipeline.raw_schema
    name = str(schema.value)
    tenant = str(pipeline.tap_config.get("tenant_id") or "").strip()
    subject = f"{name} (tenant {tenant or '?'})"
    if not tenant.isdigit():
        return skipped(AREA, "tenant", subject, "no tenant_id to compare")
    tables = conn.execute(
        """
        select c.table_name
        from information_schema.columns c
        where c.table_schema = %s and c.column_name = 'tenant_id' and c.table_name = any(%s)
        order by c.table_name
        """,
        (name, list(pipeline.selected_streams)),
    ).fetchall()
    if not tables:
        return passed(AREA, "tenant", subject, "no rows of any tenant yet")
    reads = sql.SQL(" union all ").join(
        sql.SQL("(select {}::text, tenant_id::text from {}.{} limit 1)").format(
            sql.Literal(table), sql.Identifier(name), sql.Identifier(table)
        )
        for (table,) in tables
    )
    with conn.transaction():
        conn.execute("set local statement_timeout = '10s'")
        found = conn.execute(reads).fetchall()
    others: dict[str, list[str]] = {}
    for table, other in found:
        if other is not None and other.strip() != tenant:
            others.setdefault(other.strip(), []).append(table)
    if not others:
        return passed(AREA, "tenant", subject, "no other tenant's rows")
    other, where = sorted(others.items())[0]
    shown = ", ".join(where[:3]) + (" ..." if len(where) > 3 else "")
    return failed(
        AREA,
        "tenant",
        subject,
        f"raw schema {name!r} holds tenant {other}'s rows ({shown}), and this pipeline "
        f"loads tenant {tenant}: loading would overwrite them; give tenant {tenant} its own "
        f"raw schema ({schema.env}, the loader's default_target_schema)",
    )


def _privilege_failure(db: Target, schema: Setting, existed: bool) -> str:
    name = str(schema.value)
    if existed:
        return (
            f"user {db.user!r} may not create tables in schema {name!r} of database "
            f"{db.dbname!r}; grant it (GRANT USAGE, CREATE ON SCHEMA {name} TO {db.user}) "
            f"or choose another schema ({schema.env})"
        )
    return (
        f"user {db.user!r} may not create schema {name!r} in database {db.dbname!r}; "
        f"create it for that user (CREATE SCHEMA {name} AUTHORIZATION {db.user}) or grant "
        f"CREATE ON DATABASE {db.dbname} TO {db.user}, or choose another schema ({schema.env})"
    )


def _unwritable_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        """
        select c.relname
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p') and c.relname <> %s
          and not (has_table_privilege(c.oid, 'INSERT') and has_table_privilege(c.oid, 'UPDATE'))
        order by c.relname
        """,
        (schema, PROBE_TABLE),
    ).fetchall()
    return [row[0] for row in rows]
