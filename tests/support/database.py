"""Throwaway PostgreSQL databases for tests (created and dropped per test)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


#: The slots of this process's databases that exist now (see database_name).
_slots_in_use: set[int] = set()


@contextmanager
def database_name() -> Iterator[str]:
    """A new empty database's name, the database dropped afterwards.

    The name is this process's and the lowest slot free at the moment
    (``st_test_<pid>_<slot>``), not a random one: consecutive tests reuse the
    same names, so dbt's partial parsing (whose cache any change of the
    profile's database discards, a full parse of the project, several seconds)
    carries over from one test to the next. The database itself is new each
    time: dropped (a leftover of a killed process included) and created.
    """
    slot = next(i for i in itertools.count() if i not in _slots_in_use)
    _slots_in_use.add(slot)
    name = f"st_test_{os.getpid()}_{slot}"
    try:
        with admin_connection() as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')
            admin.execute(f'create database "{name}"')
        try:
            yield name
        finally:
            with admin_connection() as admin:
                admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        _slots_in_use.discard(slot)


@contextmanager
def throwaway_database() -> Iterator[dict]:
    """A new empty database, dropped afterwards; yields psycopg connection settings."""
    with database_name() as name:
        yield {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": name}


@contextmanager
def password_server(user: str, password: str) -> Iterator[dict]:
    """A private PostgreSQL (pgserver) where ``user`` must log in with ``password``.

    The shared server trusts every local connection, so a wrong password can
    only be refused by a server of our own: its pg_hba.conf asks every role but
    ``postgres`` for a SCRAM password on the unix socket. Yields psycopg
    settings (without the password) for ``user`` and a database of the same
    name it owns; the server stops and its files go afterwards.
    """
    import pgserver  # a dev dependency; imported here so other tests do not need it

    data_dir = Path(tempfile.mkdtemp(prefix="st-pgserver-"))
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    try:
        admin = {"host": str(data_dir), "user": "postgres", "dbname": "postgres"}
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(user), sql.Literal(password)
                )
            )
            conn.execute(
                sql.SQL("create database {} owner {}").format(
                    sql.Identifier(user), sql.Identifier(user)
                )
            )
            hba = Path(conn.execute("show hba_file").fetchone()[0])
            hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
            conn.execute("select pg_reload_conf()")
        _wait_until_password_required(data_dir, user)
        yield {"host": str(data_dir), "port": 5432, "user": user, "dbname": user}
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_until_password_required(data_dir: Path, user: str) -> None:
    """pg_reload_conf() only signals the server: wait until it refuses a password-less login."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            psycopg.connect(host=str(data_dir), user=user, dbname="postgres").close()
        except psycopg.OperationalError:
            return
        time.sleep(0.05)
    raise RuntimeError("the private PostgreSQL still accepts logins without a password")
