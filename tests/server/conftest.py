"""Fixtures of the server tests: each database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `NANOFLOW_TEST_PG_URL`; each test gets a fresh schema (the server's
`schema=` URL parameter sets its search_path), dropped afterwards. Without the variable the
PostgreSQL half skips, except under CI (`CI=true`), where an unset or unreachable PostgreSQL
fails the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from server_support import SALES, server_url

from nanoflow.compiler import App, load
from nanoflow.server.urls import DatabaseTarget, resolve


@pytest.fixture(scope="session")
def sales_app() -> App:
    return load(SALES)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A `--db` value for an empty database."""
    async with server_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> DatabaseTarget:
    return resolve(db_url, tmp_path)
