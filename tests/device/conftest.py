"""Fixtures of the device's server connection tests: the app and its servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from device_support import APP, Server, running_server
from server_support import write_app

from nanoflow.compiler import App, load


@pytest.fixture(scope="session")
def field_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test app's directory."""
    return write_app(tmp_path_factory.mktemp("field"), APP)


@pytest.fixture(scope="session")
def field_app(field_dir: Path) -> App:
    return load(field_dir)


@pytest.fixture
async def server(field_app: App, tmp_path: Path) -> AsyncIterator[Server]:
    """The app's sync server on a fresh SQLite database."""
    async for made in running_server(field_app, tmp_path / "server.sqlite"):
        yield made


@pytest.fixture
async def other_server(field_app: App, tmp_path: Path) -> AsyncIterator[Server]:
    """A second, unrelated server of the same app."""
    async for made in running_server(field_app, tmp_path / "other.sqlite"):
        yield made


