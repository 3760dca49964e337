"""Throwaway PostgreSQL databases for tests (created and dropped per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

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
