"""Shared fixtures: a fresh sandbox per module and throwaway databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servicetitan_sandbox import SandboxServer
from tests.support.database import throwaway_database


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


@pytest.fixture
def database() -> Iterator[dict]:
    """A new empty database, dropped after the test; yields connection settings."""
    with throwaway_database() as settings:
        yield settings
