"""The connection of `nanoflow run` to the embedded sync server: the server's FastAPI app served
in-process through httpx's ASGI transport (no socket), as a `ServerLink` for the runtime.

The server's database is opened on the first request (so a run that waits for its store, or
fails before logging in, never opens it) and closed with the link's client.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from nanoflow.compiler import App
from nanoflow.runtime.sync.login import ServerLink

if TYPE_CHECKING:
    from nanoflow.server.database import ServerDatabase

EMBEDDED_BASE_URL = "http://embedded.nanoflow"


class EmbeddedServer(httpx.AsyncBaseTransport):
    """An httpx transport to the app's embedded server, opened on first use."""

    def __init__(self, app: App, store_path: Path) -> None:
        self.app = app
        self.store_path = store_path
        self._db: ServerDatabase | None = None
        self._asgi: httpx.ASGITransport | None = None
        self._opening = asyncio.Lock()

    async def _started(self) -> tuple[ServerDatabase, httpx.ASGITransport]:
        async with self._opening:
            if self._db is None or self._asgi is None:
                from nanoflow.server.embedded import open_embedded

                db, api = await open_embedded(self.app, self.store_path)
                self._db, self._asgi = db, httpx.ASGITransport(app=api)
            return self._db, self._asgi

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _db, asgi = await self._started()
        return await asgi.handle_async_request(request)

    async def provision(self, user: str, password: str) -> None:
        """Create the user (or reset its password and roles) with every role of the app."""
        from nanoflow.server.embedded import provision_user

        db, _asgi = await self._started()
        await provision_user(db, user, password)

    async def aclose(self) -> None:
        db, self._db, self._asgi = self._db, None, None
        if db is not None:
            await db.close()


def embedded_link(app: App, store_path: Path) -> ServerLink:
    """A link to the embedded server beside the device store at `store_path`; closing it
    closes the server's database. Requests raise `nanoflow.server.ServerError` when that
    database cannot be used."""
    from nanoflow.server.embedded import embedded_database

    server = EmbeddedServer(app, store_path)
    client = httpx.AsyncClient(transport=server, base_url=EMBEDDED_BASE_URL)
    label = f"{embedded_database(store_path)} (embedded)"
    return ServerLink(client, label, provision=server.provision)
