"""Fixtures of the server tests: each database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `NANOFLOW_TEST_PG_URL`; each test gets a fresh schema (the server's
`schema=` URL parameter sets its search_path), dropped afterwards. Without the variable the
PostgreSQL half skips, except under CI (`CI=true`), where an unset or unreachable PostgreSQL
fails the run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from server_support import SALES, pg_admin_url

from nanoflow.compiler import App, load
from nanoflow.server.urls import DatabaseTarget, resolve


@pytest.fixture(scope="session")
def sales_app() -> App:
    return load(SALES)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A `--db` value for an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite'}"
        return
    import asyncpg

    url = pg_admin_url()
    schema = f"nf_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL at NANOFLOW_TEST_PG_URL={url} is unreachable: {error}")
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield f"{url}?schema={schema}"
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> DatabaseTarget:
    return resolve(db_url, tmp_path)
