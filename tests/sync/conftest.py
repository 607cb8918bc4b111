"""Fixtures of the synchronization tests: each runs against a server on SQLite and on
PostgreSQL (see tests/server/conftest.py for the databases)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from server_support import pg_admin_url

from nanoflow.server.urls import DatabaseTarget, resolve


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    if request.param == "sqlite":
        yield resolve(f"sqlite:///{tmp_path / 'server.sqlite'}", tmp_path)
        return
    import asyncpg

    url = pg_admin_url()
    schema = f"nf_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield resolve(f"{url}?schema={schema}", tmp_path)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
