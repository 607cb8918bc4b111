"""`nanoflow.LocalServer`: an app's sync server inside the host's own process, reached without a
socket, for several devices of one machine (a demo, a test harness, a kiosk with many users).

It is the server of `nanoflow serve` (the same FastAPI app, access rules, event handlers and
database), served through httpx's ASGI transport; each `link()` connects one runtime to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from nanoflow.compiler import App
from nanoflow.runtime.sync.login import ServerLink

if TYPE_CHECKING:
    from nanoflow.server.database import ServerDatabase

LOCAL_BASE_URL = "http://local.nanoflow"


class LocalServer:
    """The sync server of `app` in this process, on `database`: an SQLite file (created if
    missing) or a database URL as `nanoflow serve --db` takes (`sqlite:///PATH`,
    `postgresql://...`). Use it as `async with nanoflow.LocalServer(app, path) as server:`;
    `nanoflow serve APP --db PATH` can serve the same database later."""

    def __init__(self, app: App, database: str | Path) -> None:
        self.app = app
        self.database = str(database)
        self._db: ServerDatabase | None = None
        self._api: httpx.ASGITransport | None = None

    async def open(self) -> LocalServer:
        """Open (creating or migrating) the server's database."""
        from nanoflow.server.app import create_app
        from nanoflow.server.database import ServerDatabase
        from nanoflow.server.urls import resolve

        if self._db is None:
            db = await ServerDatabase.open(self.app, resolve(self.database, Path.cwd()))
            self._db, self._api = db, httpx.ASGITransport(app=create_app(self.app, db))
        return self

    async def close(self) -> None:
        """Close the database (close the runtimes linked to it first)."""
        db, self._db, self._api = self._db, None, None
        if db is not None:
            await db.close()

    async def __aenter__(self) -> LocalServer:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def add_user(
        self, name: str, password: str, roles: list[str], time_zone: str | None = None
    ) -> None:
        """Add a user with these qualified roles (`Module.Role`), as `nanoflow users add`
        does; raises `nanoflow.server.UserError` for a taken name or an unknown role."""
        from nanoflow.server.users import Users

        await Users(self._opened()).add(name, password, roles, time_zone)

    def link(self, password: str | None = None) -> ServerLink:
        """A connection for one runtime: `nanoflow.Runtime(app, store=..., user=...,
        link=server.link(password))`. The runtime closes the link, not the server."""
        db = self._opened()
        assert self._api is not None
        client = httpx.AsyncClient(transport=self._api, base_url=LOCAL_BASE_URL)
        return ServerLink(client, f"{db.target.display()} (in this process)", password)

    def _opened(self) -> ServerDatabase:
        if self._db is None:
            raise RuntimeError("the local server is not open: use `async with LocalServer(...)`")
        return self._db
