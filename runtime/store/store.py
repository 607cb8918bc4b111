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
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite

from nanoflow import ir
from nanoflow.gc_pause import gc_paused
from nanoflow.runtime.store import codec
from nanoflow.runtime.store.changes import (
    ALL_MEMBERS,
    CONTENTS,
    IDS,
    changed_members,
    clear_links,
    delete_rows,
    union_members,
)
from nanoflow.runtime.store.errors import StoreError
from nanoflow.runtime.store.fingerprint import describe
from nanoflow.runtime.store.lock import StoreLock
from nanoflow.runtime.store.migrate import prepare, read_meta, write_meta
from nanoflow.runtime.store.rows import (
    Adopter,
    Builder,
    Decoder,
    make_adopter,
    make_builder,
    make_decoder,
    upsert_sql,
)
from nanoflow.runtime.store.schema import EntityLayout, Schema, TableLayout, quote
from nanoflow.runtime.store.xpath_sql import Resolver, XPathSql
from nanoflow.runtime.values import MendixError, MxObject

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


@dataclass(slots=True)
class _Plan:
    """How one commit writes the objects of one entity."""

    layout: EntityLayout
    build: Builder
    members: frozenset[str]
    rows: list[tuple[Any, ...]]
    new_members: dict[tuple[str, ...] | frozenset[str], str]


class DeviceStore:
    """The offline store of one device: objects, change tracking, files, storage items."""

    def __init__(self, path: Path, app: App, conn: aiosqlite.Connection, lock: StoreLock):
        self.path = path
        self.app = app
        self.schema = Schema(app.names)
        self._conn: aiosqlite.Connection | None = conn
        self._file_lock = lock
        self._lock = asyncio.Lock()
        self._builders: dict[str, Builder] = {}
        self._decoders: dict[str, Decoder] = {}
        self._adopters: dict[str, Adopter] = {}
        self._upserts: dict[str, str] = {}

    # ---- opening and closing ---------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, app: App) -> DeviceStore:
        """Open (or create) the store at `path` for `app`: takes the file lock (`StoreInUse`),
        creates or migrates the schema, or refuses an incompatible one (`IncompatibleStore`)."""
        path = Path(path)
        lock = StoreLock(path)
        lock.acquire()
        try:
            pending = aiosqlite.connect(str(path), isolation_level=None)
            worker = getattr(pending, "_thread", None)
            if isinstance(worker, threading.Thread):
                worker.daemon = True  # a store left open must not keep the process alive
            conn = await pending
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
            except BaseException:
                await conn.close()
                raise
        except BaseException:
            lock.release()
            raise
        return store

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

    # ---- per-entity helpers ----------------------------------------------------------------

    def _builder(self, layout: EntityLayout) -> Builder:
        found = self._builders.get(layout.qname)
        if found is None:
            enums = {q: frozenset(e.values) for q, e in self.app.names.enums.items()}
            found = self._builders[layout.qname] = make_builder(layout, enums)
        return found

    def _decoder(self, entity: str) -> Decoder:
        found = self._decoders.get(entity)
        if found is None:
            found = self._decoders[entity] = make_decoder(self.schema.layout(entity))
        return found

    def _adopt_rows(
        self, table: TableLayout, rows: Sequence[Sequence[Any]], refs: dict[str, Any]
    ) -> list[MxObject]:
        """Objects of rows selected with `TableLayout.select_list`, through an identity map."""
        adopters = self._adopters
        layouts = self.schema.entities

        def adopter(entity: str) -> Adopter:
            found = adopters.get(entity)
            if found is None:
                found = adopters[entity] = make_adopter(layouts[entity])
            return found

        if len(table.entities) == 1:
            return adopter(table.entities[0])(rows, refs)
        result = []
        for row in rows:
            result.extend(adopter(row[1])((row,), refs))
        return result

    def _decode_rows(
        self, table: TableLayout, rows: Iterable[Sequence[Any]]
    ) -> list[dict[str, Any]]:
        """Member dicts of rows selected with `TableLayout.select_list`."""
        if len(table.entities) == 1:
            decode = self._decoder(table.entities[0])
            return [decode(row) for row in rows]
        decoders = self._decoders
        return [(decoders.get(row[1]) or self._decoder(row[1]))(row) for row in rows]

    def _upsert(self, table: TableLayout) -> str:
        found = self._upserts.get(table.name)
        if found is None:
            found = self._upserts[table.name] = upsert_sql(table)
        return found

    # ---- commit, rollback, delete ----------------------------------------------------------

    async def commit(self, objects: Sequence[MxObject]) -> None:
        """Validate every object, then write them all in one transaction with change tracking;
        on success each object's `committed` is its values as written."""
        rows: dict[str, list[tuple[Any, ...]]] = {}
        unlink: dict[str, list[tuple[str]]] = {}
        link: dict[str, list[tuple[str, str]]] = {}
        written: list[tuple[MxObject, dict[str, Any] | None]] = []
        plans: dict[str, _Plan] = {}
        try:
            with gc_paused():  # many small acyclic objects; the loop never awaits
                self._prepare(objects, plans, rows, unlink, link, written)
            if not written:
                return
            async with self._transaction() as db:
                for root, batch in rows.items():
                    await db.executemany(self._upsert(self.schema.tables[root]), batch)
                for table, owners in unlink.items():
                    await db.executemany(f"DELETE FROM {table} WHERE owner_id = ?", owners)
                for table, pairs in link.items():
                    await db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", pairs)
        except BaseException:
            for obj, before in written:  # nothing was written: the old snapshots stand
                obj._committed = before
            raise
        for obj, _before in written:
            obj.new = False
            obj.touched = None

    def _prepare(
        self,
        objects: Iterable[MxObject],
        plans: dict[str, _Plan],
        rows: dict[str, list[tuple[Any, ...]]],
        unlink: dict[str, list[tuple[str]]],
        link: dict[str, list[tuple[str, str]]],
        written: list[tuple[MxObject, dict[str, Any] | None]],
    ) -> None:
        """Validate and encode every object (raising before anything is written). Each object's
        values become its committed snapshot at once, shared with the live values until the
        next change copies them (`MxObject.__setitem__`), so a change made while the write is
        under way is not taken for committed; `written` keeps the old snapshots."""
        entity: str | None = None
        for obj in objects:
            if obj.entity != entity:
                entity = obj.entity
                found = plans.get(entity)
                if found is None:
                    found = plans[entity] = self._plan(entity, rows)
                plan = found
                build, append, known = plan.build, plan.rows.append, plan.new_members
                refsets = plan.layout.refsets
            values = obj._values  # slots, not the properties: this loop runs per object
            if values is None:
                values = obj._decode()
            committed = obj._committed
            if committed is None:
                touched = obj.touched
                key: tuple[str, ...] | frozenset[str] = (
                    tuple(values) if touched is None else frozenset(touched)
                )
                changed = known.get(key)
                if changed is None:
                    members = sorted(k for k in key if k in plan.members)
                    every = len(members) == len(plan.members)
                    changed = known[key] = ALL_MEMBERS if every else json.dumps(members)
            else:
                changed = json.dumps(self._changed(plan, values, committed))
            append(build(obj.id, values, changed))
            if refsets:
                self._link(plan.layout, obj.id, values, committed, unlink, link)
            written.append((obj, committed))
            obj._committed = values

    @staticmethod
    def _changed(plan: _Plan, values: dict[str, Any], committed: dict[str, Any]) -> list[str]:
        """Members whose value differs from the committed one (reference sets as sets)."""
        refsets = plan.layout.refsets
        entity = plan.layout.qname
        changed = []
        for name, value in values.items():
            before = committed.get(name)
            if before == value or name not in plan.members:
                continue
            if name in refsets and set(codec.reference_set_ids(entity, name, value)) == set(
                codec.reference_set_ids(entity, name, before)
            ):
                continue
            changed.append(name)
        return sorted(changed)

    def _plan(self, entity: str, rows: dict[str, list[tuple[Any, ...]]]) -> _Plan:
        layout = self.schema.layout(entity)
        members = {*layout.attributes, *layout.references, *layout.refsets}
        batch = rows.setdefault(layout.table.root, [])
        return _Plan(layout, self._builder(layout), frozenset(members), batch, {})

    def _link(
        self,
        layout: EntityLayout,
        obj_id: str,
        values: dict[str, Any],
        committed: dict[str, Any] | None,
        unlink: dict[str, list[tuple[str]]],
        link: dict[str, list[tuple[str, str]]],
    ) -> None:
        """Queue the reference-set rows of one object (rewritten only when changed)."""
        for name in layout.refsets:
            ids = codec.reference_set_ids(layout.qname, name, values.get(name))
            table = self.schema.refset(name).sql
            if committed is not None:
                before = codec.reference_set_ids(layout.qname, name, committed.get(name))
                if set(before) == set(ids):
                    continue
                unlink.setdefault(table, []).append((obj_id,))
            if ids:
                link.setdefault(table, []).extend((obj_id, target) for target in ids)

    async def rollback(self, obj: MxObject) -> None:
        """Restore `obj.values` (in place) to the stored state; a never-committed object is
        left alone (the caller discards it)."""
        row = await self.get(obj.entity, obj.id)
        if row is not None:
            values = {k: v for k, v in row.items() if not k.startswith("$")}
            obj.committed = dict(values)
        elif obj.committed is not None:
            values = dict(obj.committed)
        else:
            return
        obj.values = dict(values)

    async def delete(self, objects: Iterable[MxObject]) -> None:
        """Delete in one transaction: objects known to the server become pending deletes
        (moved to `nf_deleted`, hidden from retrieves), never-uploaded ones are removed;
        references and reference-set entries pointing to them are cleared."""
        by_table: dict[str, list[str]] = {}
        for obj in objects:
            layout = self.schema.layout(obj.entity)
            by_table.setdefault(layout.table.root, []).append(obj.id)
        if not by_table:
            return
        async with self._transaction() as db:
            gone: list[str] = []
            for root, ids in by_table.items():
                gone += await delete_rows(db, self.schema, self.schema.tables[root], ids)
            if gone:
                await clear_links(db, self.schema, gone)

    # ---- reading ---------------------------------------------------------------------------

    async def retrieve(
        self,
        entity: str,
        constraints: tuple[ir.XPathConstraint, ...],
        sort: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int | None,
        resolve: Resolver,
        module: str,
        first: bool = False,
    ) -> list[dict[str, Any]]:
        """Committed objects of `entity` and its specializations that satisfy the constraints,
        sorted (strings case-insensitively, empty first), then by id."""
        layout, query, conds = self._filter(entity, constraints, resolve, module)
        if first:
            limit = 1 if limit is None else min(limit, 1)
        return await self._select(layout, query, conds, sort, limit, offset)

    def _filter(
        self,
        entity: str,
        constraints: tuple[ir.XPathConstraint, ...],
        resolve: Resolver,
        module: str,
    ) -> tuple[EntityLayout, XPathSql, list[str]]:
        """The layout, the query (with its parameters) and the conditions of a retrieve."""
        layout = self.schema.layout(entity)
        query = XPathSql(self.schema, module, resolve)
        conds = query.family_filter(layout, "t") + query.where(constraints, layout.qname, "t")
        return layout, query, conds

    async def retrieve_objects(
        self,
        refs: dict[str, Any],
        entity: str,
        constraints: tuple[ir.XPathConstraint, ...],
        sort: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int | None,
        resolve: Resolver,
        module: str,
    ) -> list[MxObject] | None:
        """`retrieve`, giving objects straight from the rows through an identity map of weak
        references (`refs`); None when the entity's family has reference sets (use
        `retrieve`, which fills them in)."""
        layouts = self.schema.entities
        if any(layouts[e].refsets for e in self.schema.layout(entity).table.entities):
            return None
        layout, query, conds = self._filter(entity, constraints, resolve, module)
        sql = self._select_sql(layout, query, conds, sort, limit, offset)
        async with self._lock, self._db().execute(sql, query.params) as cursor:
            found = await cursor.fetchall()
        with gc_paused():  # many new acyclic objects; the loop never awaits
            return self._adopt_rows(layout.table, list(found), refs)

    async def retrieve_by_association(
        self,
        obj_id: str,
        association: str,
        side: Literal["source", "target"],
        constraints: tuple[ir.XPathConstraint, ...],
        resolve: Resolver,
        module: str,
    ) -> list[dict[str, Any]]:
        """The objects associated with `obj_id`, which is on the `side` end of `association`
        (`source`: the owner; its targets are returned)."""
        assoc = self.schema.association(association, module)
        query = XPathSql(self.schema, module, resolve)
        me = query.bind(obj_id)
        if side == "source":
            layout = self.schema.layout(assoc.target)
            if assoc.many:
                refset = self.schema.refset(assoc.qname).sql
                cond = f"t.id IN (SELECT target_id FROM {refset} WHERE owner_id = {me})"
            else:
                owner = self.schema.layout(assoc.source).table.sql
                column = quote(assoc.qname)
                cond = f"t.id = (SELECT {column} FROM {owner} WHERE id = {me})"
        else:
            layout = self.schema.layout(assoc.source)
            if assoc.many:
                refset = self.schema.refset(assoc.qname).sql
                cond = f"t.id IN (SELECT owner_id FROM {refset} WHERE target_id = {me})"
            else:
                cond = f"t.{quote(assoc.qname)} = {me}"
        conds = [cond, *query.family_filter(layout, "t")]
        conds += query.where(constraints, layout.qname, "t")
        return await self._select(layout, query, conds, (), None, None)

    def _order_by(self, layout: EntityLayout, sort: Sequence[tuple[str, bool]], paged: bool) -> str:
        terms = []
        for name, descending in sort:
            column = layout.attributes.get(name) or layout.attributes.get(name.rsplit(".", 1)[-1])
            if column is None:
                raise MendixError(f"cannot sort {layout.qname} by `{name}`: no such attribute")
            expr = f"t.{column.sql}"
            if column.kind in codec.STRING_KINDS:
                expr = f"nf_lower({expr})"
            terms.append(f"{expr} DESC NULLS LAST" if descending else f"{expr} ASC NULLS FIRST")
        if not terms and not paged:
            return ""  # no order asked for: the order the query plan gives
        # `+t.id` sorts the matching rows; plain `t.id` lets a limited retrieve walk the key
        terms.append("t.id" if paged and not terms else "+t.id")
        return " ORDER BY " + ", ".join(terms)

    async def _select(
        self,
        layout: EntityLayout,
        query: XPathSql,
        conds: list[str],
        sort: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int | None,
    ) -> list[dict[str, Any]]:
        table = layout.table
        sql = self._select_sql(layout, query, conds, sort, limit, offset)
        async with self._lock:
            db = self._db()
            async with db.execute(sql, query.params) as cursor:
                found = await cursor.fetchall()
            result = self._decode_rows(table, found)
            await self._fill_refsets(db, result, layout.family)
        return result

    def _select_sql(
        self,
        layout: EntityLayout,
        query: XPathSql,
        conds: list[str],
        sort: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int | None,
    ) -> str:
        table = layout.table
        sql = f"SELECT {table.select_list('t')} FROM {table.sql} t"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        paged = limit is not None or bool(offset)
        sql += self._order_by(layout, sort, paged)
        if paged:
            if (limit is not None and limit < 0) or (offset is not None and offset < 0):
                raise MendixError("limit and offset of a retrieve cannot be negative")
            sql += f" LIMIT {query.bind(-1 if limit is None else limit)}"
            sql += f" OFFSET {query.bind(offset or 0)}"
        return sql

    async def _fill_refsets(
        self, db: aiosqlite.Connection, rows: list[dict[str, Any]], entities: Sequence[str]
    ) -> None:
        """Put the reference-set members (sorted ids) into decoded rows of these entities."""
        layouts = self.schema.entities
        if not rows or not any(layouts[e].refsets for e in entities):
            return
        owned: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            for name in layouts[row["$entity"]].refsets:
                owned.setdefault(name, []).append(row)
        for name, owners in owned.items():
            table = self.schema.refset(name).sql
            targets: dict[str, list[str]] = {}
            ids = json.dumps([r["$id"] for r in owners])
            async with db.execute(
                f"SELECT owner_id, target_id FROM {table} WHERE owner_id IN ({IDS}) "
                "ORDER BY owner_id, target_id",
                (ids,),
            ) as cursor:
                for owner, target in await cursor.fetchall():
                    targets.setdefault(owner, []).append(target)
            for row in owners:
                row[name] = tuple(targets.get(row["$id"], ()))

    async def get(self, entity: str | None, obj_id: str) -> dict[str, Any] | None:
        """One committed object by id (of `entity` or a specialization, or of any entity)."""
        if entity is not None:
            layouts = [self.schema.layout(entity)]
        else:
            layouts = [self.schema.layout(t.entities[0]) for t in self.schema.tables.values()]
        async with self._lock:
            db = self._db()
            for layout in layouts:
                table = layout.table
                params: list[Any] = [obj_id]
                sql = f"SELECT {table.select_list('t')} FROM {table.sql} t WHERE t.id = ?"
                if entity is not None and layout.filtered:
                    sql += f" AND t.entity IN ({', '.join('?' * len(layout.family))})"
                    params += layout.family
                async with db.execute(sql, params) as cursor:
                    row = await cursor.fetchone()
                if row is not None:
                    result = self._decode_rows(table, [row])
                    await self._fill_refsets(db, result, table.entities)
                    return result[0]
        return None

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
            for table in self.schema.tables.values():
                if any(self.schema.layout(e).is_file for e in table.entities):
                    await db.execute(
                        f"UPDATE {table.sql} SET _changed = nf_union(_changed, ?), "
                        "_state = CASE WHEN _state = 'synced' THEN 'changed' ELSE _state END "
                        "WHERE id = ?",
                        (marker, obj_id),
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

    # ---- change tracking -------------------------------------------------------------------

    async def summary(self) -> dict[str, dict[str, int]]:
        """Per stored entity: `objects` on the device, of which `new` (never uploaded) and
        `changed` (changed since the last sync), and pending `deleted` ones."""
        counts: dict[str, dict[str, int]] = {
            entity: {"objects": 0, "new": 0, "changed": 0, "deleted": 0}
            for entity in self.schema.entities
        }
        async with self._lock:
            db = self._db()
            for table in self.schema.tables.values():
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
            for table in self.schema.tables.values():
                sql = (
                    f"SELECT {table.select_list('t')}, t._state, t._origin, t._changed, "
                    f"t._version FROM {table.sql} t WHERE t._state IN ('new', 'changed') "
                    "ORDER BY t.id"
                )
                async with db.execute(sql) as cursor:
                    found = await cursor.fetchall()
                decoded = self._decode_rows(table, found)
                await self._fill_refsets(db, decoded, table.entities)
                for row, values in zip(found, decoded, strict=True):
                    state, origin, changed, version = row[-4:]
                    entity = values.pop("$entity")
                    result.append(
                        {
                            "$id": values.pop("$id"),
                            "$entity": entity,
                            "state": state,
                            "origin": origin,
                            "changed": changed_members(changed, self.schema.layout(entity)),
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
