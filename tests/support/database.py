"""Throwaway PostgreSQL databases for tests (created and dropped per test)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
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


@contextmanager
def throwaway_database(prefix: str = "st_test") -> Iterator[dict]:
    """A new empty database, dropped afterwards; yields psycopg connection settings."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin_connection() as admin:
        admin.execute(f'create database "{name}"')
    try:
        yield {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": name}
    finally:
        with admin_connection() as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


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
