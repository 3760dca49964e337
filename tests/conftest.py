"""Shared fixtures: a fresh sandbox per module and throwaway databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servicetitan_sandbox import SandboxServer
from tests.support import isolation
from tests.support.database import throwaway_database


@pytest.fixture(scope="session", autouse=True)
def _writes_in_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Meltano's, dbt's and the tools' files go to this test process's scratch folder.

    One folder per process (per pytest-xdist worker), for the whole session:
    tests/support/isolation.py. Helpers that build a clean environment for a
    subprocess add ``isolation.env()`` back.
    """
    isolation.use_scratch(tmp_path_factory.mktemp("scratch", numbered=False))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in isolation.env().items():
            patch.setenv(name, value)
        yield


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
