"""Fixtures of the fault tests: the app, a server database (SQLite; PostgreSQL for the tests
that ask for `pg_or_sqlite`), a `nanoflow serve` process and a proxy in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from faults.proxy import Proxy
from faults.support import Served, load_app, prepare_server, write_app
from server_support import server_url

from nanoflow.compiler import App


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def app_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_app(tmp_path_factory.mktemp("app"))


@pytest.fixture(scope="session")
def app(app_path: Path) -> App:
    return load_app(app_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def pg_or_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with server_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def server(app: App, app_path: Path, db_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    """A prepared database (users alice and bob) and its `serve` process, not started yet."""
    await prepare_server(app, db_url, tmp_path)
    served = Served(app_path, db_url, tmp_path / "serve.log")
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
async def proxy(server: Served) -> AsyncIterator[Proxy]:
    async with Proxy(server.address) as started:
        yield started


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
