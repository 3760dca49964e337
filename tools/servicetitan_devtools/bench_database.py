"""The benchmarks' scratch warehouse: a database of their own on the local PostgreSQL."""

from __future__ import annotations

import psycopg

#: Where the benchmarks load: the local PostgreSQL, trust authentication.
LOCAL = {"host": "127.0.0.1", "user": "postgres"}


def recreate_database(name: str) -> None:
    """Drop ``name`` (whoever is connected) and create it empty."""
    with psycopg.connect(**LOCAL, dbname="postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
