"""Stores for the store contract tests: each backend opened for an app, driven through a
session and the store interface only (never a store's private connection)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

from nanoflow.compiler import App
from nanoflow.runtime.query import Query
from nanoflow.runtime.session import Session
from nanoflow.runtime.storage import Store
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.store.codec import sql_fold
from nanoflow.runtime.values import MxObject

BACKENDS = ["device", "server-sqlite", "server-postgresql"]
"""The store implementations every contract test runs against."""


class Harness:
    """A store opened for the tests, with a session over it."""

    def __init__(self, store: Store, app: App, path: Path | None) -> None:
        self.store = store
        self.app = app
        self.path = path
        self.session = Session(app, store=store)

    async def commit(self, objects: Iterable[MxObject]) -> None:
        await self.session.commit(list(objects), "the objects")

    async def rollback(self, obj: MxObject) -> None:
        await self.session.rollback(obj, "the object")

    async def delete(self, objects: Iterable[MxObject]) -> None:
        await self.session.delete(list(objects), "the objects")

    async def get(self, entity: str | None, obj_id: str) -> dict[str, Any] | None:
        """The committed values of one object, with `$id` and `$entity`."""
        if entity is None:
            hit = await self.store.find(obj_id)  # type: ignore[attr-defined]
            if hit is None:
                return None
            entity, fetched = hit
        else:
            fetched = await self.store.get_many(entity, [obj_id])
        if not fetched.rows:
            return None
        row = fetched.rows[0]
        exact = row[1] or entity
        values = self.store.decoder(exact)(row)
        values.update((fetched.refsets or {}).get(obj_id, {}))
        return {"$id": obj_id, "$entity": exact, **values}

    async def retrieve(
        self,
        entity: str,
        sort: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[MxObject]:
        query = Query.of(entity, (), tuple(sort), entity.split(".")[0])
        found: list[MxObject] = await self.session.retrieve_query(query, (), limit, offset, False)
        return found

    async def count(self, entity: str) -> int:
        return len(await self.retrieve(entity))

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run SQL on the device store's file through a connection of the test's own (one
        parameter may be a dict of named parameters)."""
        assert self.path is not None, "SQL is for the device store's own tests"
        bound: Any = params[0] if len(params) == 1 and isinstance(params[0], dict) else params
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            db.create_function("nf_lower", 1, sql_fold, deterministic=True)
            rows = [tuple(r) for r in db.execute(query, bound)]
            db.commit()
        return rows

    def mark_synced(self, table: str = "o:Shop.Customer") -> None:
        """What a download does to objects: they now come from the server, nothing pending."""
        self.sql(f"UPDATE \"{table}\" SET _state = 'synced', _origin = 'server', _changed = '[]'")


class CommittingServerStore:
    """The server store with one transaction per call (what a request does), for the tests."""

    def __init__(self, db: Any) -> None:
        from nanoflow.server.store import codecs_of

        self.db = db
        self.codecs = codecs_of(db)
        self.schema = self.codecs.schema
        self.dialect = self.codecs.dialect

    def decoder(self, entity: str) -> Any:
        return self.codecs.decoder(entity)

    def __getattr__(self, name: str) -> Any:
        from nanoflow.server.store import ServerStore

        async def call(*args: Any, **kwargs: Any) -> Any:
            async with self.db.write() as conn:
                return await getattr(ServerStore(self.db, conn), name)(*args, **kwargs)

        return call


@contextlib.asynccontextmanager
async def open_store(backend: str, app: App, tmp_path: Path) -> AsyncIterator[Harness]:
    """A fresh store of `backend` for `app`."""
    if backend == "device":
        path = tmp_path / "device.db"
        store = await DeviceStore.open(path, app)
        try:
            yield Harness(store, app, path)
        finally:
            await store.close()
        return
    from nanoflow.server.database import ServerDatabase
    from nanoflow.server.urls import resolve

    if backend == "server-sqlite":
        db = await ServerDatabase.open(app, resolve(f"sqlite:///{tmp_path / 's.db'}", tmp_path))
        try:
            yield Harness(CommittingServerStore(db), app, None)  # type: ignore[arg-type]
        finally:
            await db.close()
        return
    if backend == "server-postgresql":
        from server_support import fresh_schema

        async with fresh_schema() as url:
            db = await ServerDatabase.open(app, resolve(url, tmp_path))
            try:
                yield Harness(CommittingServerStore(db), app, None)  # type: ignore[arg-type]
            finally:
                await db.close()
        return
    raise ValueError(f"unknown store backend {backend}")
