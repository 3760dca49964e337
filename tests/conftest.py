"""Shared fixtures: a fresh sandbox per module and throwaway databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tap_servicetitan.sandbox import SandboxServer

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PGPORT", "5432"))
PG_USER = os.environ.get("PGUSER", "postgres")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """A small seeded tenant, fresh for each test module."""
    with SandboxServer(customers=300, seed=7, export_page_size=100) as server:
        yield server


@pytest.fixture
def fresh_sandbox(sandbox: SandboxServer) -> SandboxServer:
    """The module's sandbox with faults cleared and counters at zero."""
    sandbox.faults.reset()
    sandbox.reset_counters()
    return sandbox


def tap_config(server: SandboxServer, **overrides: object) -> dict:
    config = server.tap_config()
    config.update(overrides)
    return config


@pytest.fixture
def database() -> Iterator[dict]:
    """A new empty database, dropped after the test; yields connection settings."""
    name = f"st_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )
    with admin:
        admin.execute(f'create database "{name}"')
    try:
        yield {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": name}
    finally:
        admin = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        )
        with admin:
            admin.execute(f'drop database if exists "{name}" with (force)')
