"""Helpers of the server tests (tests/server/)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SALES = ROOT / "samples" / "sales"
PG_ENV = "NANOFLOW_TEST_PG_URL"


def pg_admin_url() -> str:
    """The PostgreSQL URL of the tests; skips without one, fails under CI without one."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{PG_ENV} is not set: under CI the PostgreSQL tests must run")
        pytest.skip(f"{PG_ENV} is not set")
    return url


@contextlib.asynccontextmanager
async def fresh_schema(prefix: str = "nf_test") -> AsyncIterator[str]:
    """The server URL of a new PostgreSQL schema (`?schema=`), dropped afterwards; skipped
    without NANOFLOW_TEST_PG_URL, and failing under CI or when the server does not answer."""
    import asyncpg

    url = pg_admin_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL at {PG_ENV}={url} is unreachable: {error}")
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield f"{url}?schema={schema}"
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@contextlib.asynccontextmanager
async def server_url(kind: str, directory: Path, name: str = "server") -> AsyncIterator[str]:
    """The URL of an empty server database: a SQLite file in `directory` (`kind` "sqlite"),
    or a new PostgreSQL schema (`fresh_schema`)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / name}.sqlite"
        return
    async with fresh_schema() as url:
        yield url


def write_app(directory: Path, text: str) -> Path:
    """An app of one file `app.nf` in a directory; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.nf").write_text(text, encoding="utf-8")
    return directory


def wait_until_serving(url: str, process: subprocess.Popen[Any], log: Callable[[], str]) -> None:
    """Block until `nanoflow serve` at `url` answers `/openapi.json` (60 s at most); fail with
    `log()` when the process ends first."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"nanoflow serve at {url} ended: {log()}"
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"nanoflow serve at {url} did not answer: {log()}"
        time.sleep(0.1)
