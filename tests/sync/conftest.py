"""Fixtures of the synchronization tests: each runs against a server on SQLite and on
PostgreSQL (see tests/server/conftest.py for the databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from server_support import server_url

from nanoflow.server.urls import DatabaseTarget, resolve


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    async with server_url(request.param, tmp_path) as url:
        yield resolve(url, tmp_path)
