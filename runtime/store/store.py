"""`DeviceStore`: the device's offline store on one SQLite file (aiosqlite, WAL).

One connection serves every task of a runtime: each unit of work holds an `asyncio.Lock`, and
every write is one `BEGIN IMMEDIATE` … `COMMIT` (rolled back on any exception), so a killed
process leaves each commit whole or absent. Retrieves read committed values only; the executor
overlays its in-memory objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from nanoflow.gc_pause import gc_paused
from nanoflow.runtime.query import SQLITE, Dialect, SelectSql
from nanoflow.runtime.storage import Fetched, WriteUnit
from nanoflow.runtime.store import CONTENTS, codec
from nanoflow.runtime.store.changes import (
    ALL_MEMBERS,
    IDS,
    changed_members,
    clear_links,
    delete_rows,
    record_refset_change,
    union_members,
)
from nanoflow.runtime.store.errors import StoreError
from nanoflow.runtime.store.fingerprint import describe, fingerprint
from nanoflow.runtime.store.lock import StoreLock, check_location
from nanoflow.runtime.store.migrate import prepare, read_meta, write_meta
from nanoflow.runtime.store.rows import (
    TICK,
    Builder,
    Decoder,
    make_builder,
    make_decoder,
    upsert_sql,
)
from nanoflow.runtime.store.schema import FORMAT, EntityLayout, Schema, TableLayout
from nanoflow.runtime.values import MendixError

if TYPE_CHECKING:
    from nanoflow.compiler import App

CACHE_KIB = 32 * 1024


async def _configure(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA journal_mode=WAL") as cursor:
        row = await cursor.fetchone()
    if row is None or str(row[0]).lower() != "wal":
        raise StoreError("the offline store needs SQLite's WAL journal mode")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    await conn.create_function("nf_lower", 1, codec.sql_fold, deterministic=True)
    await conn.create_function("nf_union", 2, union_members, deterministic=True)


class DeviceStore:
    """The offline store of one device: objects, change tracking, files, storage items."""

    def __init__(self, path: Path, app: App, conn: aiosqlite.Connection, lock: StoreLock):
        self.path = path
        self.app = app
        self._schema = Schema(app.names)
        self._conn: aiosqlite.Connection | None = conn
        self._file_lock = lock
        self._lock = asyncio.Lock()
        self._builders: dict[str, Builder] = {}
        self._server_builders: dict[str, Builder] = {}
        self._decoders: dict[str, Decoder] = {}
        self._changed_texts: dict[str, dict[frozenset[str], str]] = {}
        self._tick = 0
        self._upserts: dict[str, str] = {}
        self._page_plans: object | None = None
        """Download pages' column plans and converters (`columnar`), made on first use."""

    # ---- opening and closing ---------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, app: App, read_only: bool = False) -> DeviceStore:
        """Open (or create) the store at `path` for `app`: takes the file lock (`StoreInUse`),
        creates or migrates the schema, or refuses an incompatible one (`IncompatibleStore`).
        A path that cannot hold a store raises `StoreError`, leaving no file behind.

        `read_only` opens an existing store for reading beside the runtime that may hold it
        (WAL readers do not block the writer): no lock, no migration, and a store written for
        another model is refused."""
        path = Path(path)
        if read_only:
            return await cls._open_for_reading(path, app)
        existed = check_location(path)
        lock = StoreLock(path)
        lock_existed = lock.path.exists()
        try:
            lock.acquire()
        except OSError as error:
            raise StoreError(f"cannot lock the store {path}: {error.strerror}") from None
        try:
            return await cls._connect(path, app, lock)
        except BaseException as error:
            if not existed:
                for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                    with contextlib.suppress(OSError):
                        leftover.unlink()
            if not lock_existed:
                with contextlib.suppress(OSError):
                    lock.path.unlink()
            lock.release()
            if isinstance(error, sqlite3.Error | OSError):
                raise StoreError(f"cannot open the store {path}: {error}") from None
            raise

    @classmethod
    async def _open_for_reading(cls, path: Path, app: App) -> DeviceStore:
        if not path.is_file():
            raise StoreError(f"no store at {path}")
        check_location(path)
        try:
            conn = await cls._connection(f"{path.absolute().as_uri()}?mode=ro")
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot read the store {path}: {error}") from None
        try:
            await _configure(conn)
            stored = await read_meta(conn, "fingerprint")
            if (
                stored != fingerprint(describe(app.names))
                or await read_meta(conn, "format") != FORMAT
            ):
                raise StoreError(
                    f"store {path} was written for another version of the app's model; "
                    "run a flow of this app on it first (that migrates it)"
                )
        except BaseException as error:
            await conn.close()
            if isinstance(error, sqlite3.Error):
                raise StoreError(f"cannot read the store {path}: {error}") from None
            raise
        return cls(path, app, conn, StoreLock(path))

    @staticmethod
    async def _connection(location: str) -> aiosqlite.Connection:
        pending = aiosqlite.connect(
            location, isolation_level=None, uri=location.startswith("file:")
        )
        worker = getattr(pending, "_thread", None)
        if isinstance(worker, threading.Thread):
            worker.daemon = True  # a store left open must not keep the process alive
        try:
            return await pending
        except BaseException:
            # aiosqlite stops its worker thread without waiting; let it finish while the
            # event loop still runs (else it reports "Event loop is closed")
            for _ in range(1000):
                if not (isinstance(worker, threading.Thread) and worker.is_alive()):
                    break
                await asyncio.sleep(0.001)
            raise

    @classmethod
    async def _connect(cls, path: Path, app: App, lock: StoreLock) -> DeviceStore:
        conn = await cls._connection(str(path))
        try:
            await _configure(conn)
            store = cls(path, app, conn, lock)
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await prepare(conn, store.schema, describe(app.names), str(path))
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
            store._tick = await store._last_tick()
        except BaseException:
            await conn.close()
            raise
        return store

    async def _last_tick(self) -> int:
        """The highest write tick in the store (ticks grow with every local write)."""
        parts = [f"SELECT max(_tick) AS t FROM {t.sql}" for t in self._schema.tables.values()]
        parts.append("SELECT max(tick) AS t FROM nf_deleted")
        sql = f"SELECT max(t) FROM ({' UNION ALL '.join(parts)})"
        async with self._db().execute(sql) as cursor:
            row = await cursor.fetchone()
        return int(row[0] or 0) if row is not None else 0

    def _next_tick(self) -> int:
        """A new write tick (the store has one writer: its runtime holds the file lock)."""
        self._tick += 1
        return self._tick

    async def close(self) -> None:
        """Wait for running work, close the database and release the file lock."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()
            self._file_lock.release()

    async def __aenter__(self) -> DeviceStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with the text of every SQL statement the store runs (None stops)."""
        await self._db().set_trace_callback(callback)  # type: ignore[arg-type]

    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise MendixError(f"the offline store {self.path} is closed")
        return self._conn

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One unit of writing work: lock, `BEGIN IMMEDIATE`, `COMMIT`, or `ROLLBACK` on error."""
        async with self._lock:
            db = self._db()
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await db.execute("ROLLBACK")
                raise

    # ---- the store interface: layout and decoding ------------------------------------------

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def dialect(self) -> Dialect:
        return SQLITE

    def decoder(self, entity: str) -> Decoder:
        """`decode(row) → member dict` (reference sets as `()`) for rows of `entity`."""
        found = self._decoders.get(entity)
        if found is None:
            found = self._decoders[entity] = make_decoder(self._schema.layout(entity))
        return found

    def _builder(self, layout: EntityLayout) -> Builder:
        found = self._builders.get(layout.qname)
        if found is None:
            enums = {q: frozenset(e.values) for q, e in self.app.names.enums.items()}
            found = self._builders[layout.qname] = make_builder(layout, enums)
        return found

    def _server_builder(self, layout: EntityLayout) -> Builder:
        found = self._server_builders.get(layout.qname)
        if found is None:
            enums = {q: frozenset(e.values) for q, e in self.app.names.enums.items()}
            found = make_builder(layout, enums, lenient=True)
            self._server_builders[layout.qname] = found
        return found

    def _upsert(self, layout: EntityLayout) -> str:
        found = self._upserts.get(layout.qname)
        if found is None:
            found = self._upserts[layout.qname] = upsert_sql(layout.table, layout.qname)
        return found

    def _changed_json(self, layout: EntityLayout, changed: frozenset[str]) -> str:
        """The `_changed` text of a set of changed members (cached per entity: commits of many
        objects repeat a few sets)."""
        members = {*layout.attributes, *layout.references, *layout.refsets}
        kept = sorted(members.intersection(changed))
        text = ALL_MEMBERS if len(kept) == len(members) and kept else json.dumps(kept)
        texts = self._changed_texts.setdefault(layout.qname, {})
        if len(texts) < 1024:
            texts[changed] = text
        return text

    # ---- writing -----------------------------------------------------------------------------

    async def write(self, unit: WriteUnit) -> None:
        """Validate and encode every object (raising before anything is written), then write
        them all in one transaction with change tracking."""
        rows: dict[str, tuple[EntityLayout, list[tuple[Any, ...]]]] = {}
        deltas: list[tuple[str, str, str, str]] = []
        unlink: dict[str, list[tuple[str]]] = {}
        link: dict[str, list[tuple[str, str]]] = {}
        with gc_paused():  # many small acyclic objects; the loop never awaits
            for entity, writes in unit.entities.items():
                layout = self._schema.layout(entity)
                build = self._builder(layout)
                texts = self._changed_texts.get(entity)
                if texts is None:
                    texts = self._changed_texts[entity] = {}
                get = texts.get
                batch = rows.setdefault(entity, (layout, []))[1]
                text = self._changed_json
                batch += [build(i, v, get(c) or text(layout, c)) for i, v, c in writes.objects]
                for association, owner, added, removed in writes.deltas:
                    deltas += [(association, owner, t, "add") for t in added]
                    deltas += [(association, owner, t, "remove") for t in removed]
                for association, owner, targets in writes.links:
                    table = self._schema.refset(association).sql
                    unlink.setdefault(table, []).append((owner,))
                    if targets:
                        link.setdefault(table, []).extend((owner, t) for t in targets)
        if not rows and not link and not unlink and not deltas:
            return
        async with self._transaction() as db:
            tick = str(self._next_tick())
            for layout, batch in rows.values():
                await db.executemany(self._upsert(layout).replace(TICK, tick), batch)
            for table, owners in unlink.items():
                await db.executemany(f"DELETE FROM {table} WHERE owner_id = ?", owners)
            for table, pairs in link.items():
                await db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", pairs)
            for association, owner, target, op in deltas:
                await record_refset_change(db, association, owner, target, op, int(tick))

    async def delete(self, ids: dict[str, list[str]]) -> list[str]:
        """Delete in one transaction: objects known to the server become pending deletes
        (moved to `nf_deleted`, hidden from retrieves), never-uploaded ones are removed;
        references and reference-set entries pointing to them are cleared."""
        by_table: dict[str, list[str]] = {}
        for entity, object_ids in ids.items():
            layout = self._schema.layout(entity)
            by_table.setdefault(layout.table.root, []).extend(object_ids)
        if not by_table:
            return []
        gone: list[str] = []
        async with self._transaction() as db:
            for root, object_ids in by_table.items():
                table = self._schema.tables[root]
                gone += await delete_rows(db, self._schema, table, object_ids, self._next_tick())
            if gone:
                await clear_links(db, self._schema, gone)
        return gone

    # ---- reading -----------------------------------------------------------------------------

    async def select(self, query: SelectSql) -> Fetched:
        """The rows of a compiled query, with the reference sets of their objects."""
        async with self._lock:
            db = self._db()
            async with db.execute(query.sql, query.params) as cursor:
                rows = list(await cursor.fetchall())
            refsets = await self._refsets(db, query.table, rows)
        return Fetched(rows, refsets)

    async def get_many(self, entity: str, ids: Sequence[str]) -> Fetched:
        """The committed rows of these ids among `entity` and its specializations."""
        layout = self._schema.layout(entity)
        table = layout.table
        sql = f"SELECT {table.select_list('t')} FROM {table.sql} t WHERE t.id IN ({IDS})"
        params: list[Any] = [json.dumps(list(ids))]
        if layout.filtered:
            sql += f" AND t.entity IN ({', '.join('?' * len(layout.family))})"
            params += layout.family
        async with self._lock:
            db = self._db()
            async with db.execute(sql, params) as cursor:
                rows = list(await cursor.fetchall())
            refsets = await self._refsets(db, table, rows)
        return Fetched(rows, refsets)

    async def find(self, obj_id: str) -> tuple[str, Fetched] | None:
        """An object of any stored entity by id: its entity and row (a slow path: one query
        per table, for callers that do not know the entity)."""
        for table in self._schema.tables.values():
            fetched = await self._get_in_table(table, obj_id)
            if fetched.rows:
                row = fetched.rows[0]
                return (row[1] or table.entities[0]), fetched
        return None

    async def _get_in_table(self, table: TableLayout, obj_id: str) -> Fetched:
        sql = f"SELECT {table.select_list('t')} FROM {table.sql} t WHERE t.id = ?"
        async with self._lock:
            db = self._db()
            async with db.execute(sql, (obj_id,)) as cursor:
                rows = list(await cursor.fetchall())
            refsets = await self._refsets(db, table, rows)
        return Fetched(rows, refsets)

    async def _refsets(
        self, db: aiosqlite.Connection, table: TableLayout, rows: Sequence[Sequence[Any]]
    ) -> dict[str, dict[str, tuple[str, ...]]] | None:
        """Reference-set members (sorted ids) of the objects of these rows, by object id."""
        layouts = self._schema.entities
        names = {n for e in table.entities for n in layouts[e].refsets}
        if not rows or not names:
            return None
        ids = json.dumps([r[0] for r in rows])
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for name in sorted(names):
            refset = self._schema.refset(name).sql
            targets: dict[str, list[str]] = {}
            async with db.execute(
                f"SELECT owner_id, target_id FROM {refset} WHERE owner_id IN ({IDS}) "
                "ORDER BY owner_id, target_id",
                (ids,),
            ) as cursor:
                for owner, target in await cursor.fetchall():
                    targets.setdefault(owner, []).append(target)
            for row in rows:
                entity = row[1] or table.entities[0]
                if name in layouts[entity].refsets:
                    found.setdefault(row[0], {})[name] = tuple(targets.get(row[0], ()))
        return found

    def _decode_rows(
        self, table: TableLayout, rows: Iterable[Sequence[Any]]
    ) -> list[dict[str, Any]]:
        """Member dicts (with `$id` and `$entity`) of rows selected with `select_list`."""
        result = []
        single = table.entities[0] if len(table.entities) == 1 else None
        for row in rows:
            entity = single or row[1]
            values = self.decoder(entity)(row)
            values["$id"] = row[0]
            values["$entity"] = entity
            result.append(values)
        return result

    async def _fill_refsets(
        self,
        db: aiosqlite.Connection,
        table: TableLayout,
        rows: Sequence[Sequence[Any]],
        decoded: list[dict[str, Any]],
    ) -> None:
        refsets = await self._refsets(db, table, rows)
        if refsets:
            for values in decoded:
                values.update(refsets.get(values["$id"], {}))

    # ---- files -----------------------------------------------------------------------------

    async def write_file(self, obj_id: str, data: bytes) -> None:
        """Store the contents of a FileDocument object; marks a synced object as changed."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO nf_files (id, data) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                (obj_id, bytes(data)),
            )
            marker = json.dumps([CONTENTS])
            tick = self._next_tick()
            for table in self._schema.tables.values():
                if any(self._schema.layout(e).is_file for e in table.entities):
                    await db.execute(
                        f"UPDATE {table.sql} SET _changed = nf_union(_changed, ?), "
                        "_state = CASE WHEN _state = 'synced' THEN 'changed' ELSE _state END, "
                        "_tick = ? WHERE id = ?",
                        (marker, tick, obj_id),
                    )

    async def put_downloaded_file(self, obj_id: str, data: bytes) -> None:
        """Store contents that came from the server (nothing becomes pending)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO nf_files (id, data) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                (obj_id, bytes(data)),
            )

    async def read_file(self, obj_id: str) -> bytes | None:
        async with (
            self._lock,
            self._db().execute("SELECT data FROM nf_files WHERE id = ?", (obj_id,)) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else bytes(row[0])

    # ---- storage items and metadata --------------------------------------------------------

    async def get_item(self, key: str) -> str | None:
        async with (
            self._lock,
            self._db().execute("SELECT value FROM nf_items WHERE key = ?", (key,)) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def set_item(self, key: str, value: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO nf_items (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def remove_item(self, key: str) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM nf_items WHERE key = ?", (key,))

    async def get_meta(self, key: str) -> Any:
        """A value of the meta table (JSON): `fingerprint`, `model`, `device_id`,
        `server_id`, `user_id`, `session`, ..."""
        async with self._lock:
            return await read_meta(self._db(), key)

    async def set_meta(self, key: str, value: Any) -> None:
        async with self._transaction() as db:
            await write_meta(db, {key: value})

    async def set_meta_many(self, values: dict[str, Any]) -> None:
        """Set several metadata values in one transaction."""
        async with self._transaction() as db:
            await write_meta(db, values)

    # ---- change tracking -------------------------------------------------------------------

    async def summary(self) -> dict[str, dict[str, int]]:
        """Per stored entity: `objects` on the device, of which `new` (never uploaded) and
        `changed` (changed since the last sync), and pending `deleted` ones."""
        counts: dict[str, dict[str, int]] = {
            entity: {"objects": 0, "new": 0, "changed": 0, "deleted": 0}
            for entity in self._schema.entities
        }
        async with self._lock:
            db = self._db()
            for table in self._schema.tables.values():
                sql = f"SELECT entity, _state, COUNT(*) FROM {table.sql} GROUP BY entity, _state"
                async with db.execute(sql) as cursor:
                    for entity, state, count in await cursor.fetchall():
                        found = counts.setdefault(
                            entity, {"objects": 0, "new": 0, "changed": 0, "deleted": 0}
                        )
                        found["objects"] += count
                        if state in ("new", "changed"):
                            found[state] += count
            sql = "SELECT entity, COUNT(*) FROM nf_deleted GROUP BY entity"
            async with db.execute(sql) as cursor:
                for entity, count in await cursor.fetchall():
                    counts.setdefault(entity, {"objects": 0, "new": 0, "changed": 0, "deleted": 0})[
                        "deleted"
                    ] += count
        return counts

    async def pending_changes(self) -> list[dict[str, Any]]:
        """Every committed change not yet synchronized: `$id`, `$entity`, `state`
        (`new`/`changed`/`deleted`), `origin`, `changed` (member names), `version`, and the
        object's committed `values` (not for deletes)."""
        result: list[dict[str, Any]] = []
        async with self._lock:
            db = self._db()
            for table in self._schema.tables.values():
                sql = (
                    f"SELECT {table.select_list('t')}, t._state, t._origin, t._changed, "
                    f"t._version FROM {table.sql} t WHERE t._state <> 'synced' "
                    "ORDER BY +t.id"  # the pending index finds the rows, then they are sorted
                )
                async with db.execute(sql) as cursor:
                    found = list(await cursor.fetchall())
                decoded = self._decode_rows(table, found)
                await self._fill_refsets(db, table, found, decoded)
                for row, values in zip(found, decoded, strict=True):
                    state, origin, changed, version = row[-4:]
                    entity = values.pop("$entity")
                    result.append(
                        {
                            "$id": values.pop("$id"),
                            "$entity": entity,
                            "state": state,
                            "origin": origin,
                            "changed": changed_members(changed, self._schema.layout(entity)),
                            "version": version,
                            "values": values,
                        }
                    )
            async with db.execute(
                "SELECT id, entity, version FROM nf_deleted ORDER BY id"
            ) as cursor:
                for id_, entity, version in await cursor.fetchall():
                    result.append(
                        {
                            "$id": id_,
                            "$entity": entity,
                            "state": "deleted",
                            "origin": "server",
                            "changed": [],
                            "version": version,
                        }
                    )
        return result
