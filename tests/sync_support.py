"""A sync server and devices for the synchronization tests: the real server app (in-process,
through httpx's ASGI transport), real device stores, sessions wired with the sync engine."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nanoflow.compiler import App
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.sync.engine import DeviceSync
from nanoflow.runtime.sync.http import HttpTransport
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import DatabaseTarget
from nanoflow.server.users import Users


@dataclass
class Device:
    """One device: its store, its session and its synchronization."""

    store: DeviceStore
    session: Session
    sync: DeviceSync

    async def synchronize(self, mode: str = "all", items: list[Any] | None = None) -> None:
        await self.session.run_synchronization(mode, items or [])


@dataclass
class Server:
    app: App
    db: ServerDatabase
    users: Users
    api: Any
    devices: list[Device] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.api), base_url="http://server"
        )

    @contextlib.asynccontextmanager
    async def device(self, path: Path, user: str, password: str) -> AsyncIterator[Device]:
        store = await DeviceStore.open(path, self.app)
        client = self.client()
        try:
            transport = HttpTransport(client, store.schema)
            answer = await transport.login(user, password, None)
            sync = DeviceSync(transport, store, answer.device_id)
            session = Session(
                self.app, store=store, user=answer.user_name, roles=list(answer.roles),
                user_id=answer.user_id, sync=sync, microflows=sync,
            )  # fmt: skip
            await session.open()
            yield Device(store, session, sync)
        finally:
            await client.aclose()
            await store.close()


@contextlib.asynccontextmanager
async def serve(app: App, target: DatabaseTarget) -> AsyncIterator[Server]:
    db = await ServerDatabase.open(app, target)
    try:
        yield Server(app, db, Users(db), create_app(app, db))
    finally:
        await db.close()
