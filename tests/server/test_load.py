"""Two `nanoflow serve` processes on one PostgreSQL database, devices syncing through both at
once: no error and no lost change (the small version of the benchmark's `load` run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from load_support import LOAD_APP, add_users, load_app, run_load, serve_processes
from server_support import fresh_schema, write_app


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema (skipped without NANOFLOW_TEST_PG_URL, failing under CI)."""
    async with fresh_schema("nf_load") as url:
        yield url


async def test_devices_on_two_server_processes_lose_no_change(pg_url: str, tmp_path: Path) -> None:
    app = load_app()
    app_dir = write_app(tmp_path / "app", LOAD_APP)
    await add_users(app, pg_url, app_dir, ["u0", "u1", "u2"])
    with serve_processes(app_dir, pg_url, 2, tmp_path) as urls:
        result = await run_load(
            app, pg_url, urls, tmp_path, devices=8, users=3, rounds=3, per_sync=2
        )
    assert result.errors == []
    assert result.lost == []
    assert result.syncs == 8 * 3
