"""`ServerStore`: the sync server's side of the store interface (runtime/storage.py), on one
open transaction of the server database (SQLAlchemy Core, SQLite or PostgreSQL).

The same layout (`Schema`) and the same compiled queries serve the device store and this one.
Writes stamp every row they touch with the transaction's change sequence (`_seq`), which the
download cursor follows. A write of an object that exists changes only the members the unit
says changed, so two writers that changed different members of one object both keep theirs.

The database enforces what the server must guarantee whatever the number of writers: a write
that would give two objects the same value of a `unique` attribute fails (a `MendixError`
naming entity and attribute) and writes nothing, leaving the transaction usable (it runs in a
savepoint); new objects get their AutoNumbers from a counter row per column, taken in the
writing transaction (see `nanoflow.server.tables`).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from nanoflow.gc_pause import gc_paused
from nanoflow.runtime.query import POSTGRESQL, SQLITE, Dialect, SelectSql
from nanoflow.runtime.storage import Fetched, WriteUnit
from nanoflow.runtime.store.rows import Builder, Decoder, make_builder, make_decoder
from nanoflow.runtime.store.schema import EntityLayout, Schema, TableLayout
from nanoflow.runtime.values import MendixError
from nanoflow.server.contents import Contents
from nanoflow.server.limits import NUL

if TYPE_CHECKING:
    from nanoflow.server.database import ServerDatabase


class ServerCodecs:
    """Builders, decoders and statements of one server database (shared by its requests)."""

    def __init__(self, db: ServerDatabase) -> None:
        self.schema: Schema = db.schema
        self.native = db.dialect == "postgresql"
        self.dialect: Dialect = POSTGRESQL if self.native else SQLITE
        enums = {q: frozenset(e.values) for q, e in db.app.names.enums.items()}
        self.enums = enums
        """Each enumeration's keys."""
        self._builders: dict[tuple[str, bool], Builder] = {}
        self._decoders: dict[str, Decoder] = {}
        self._statements: dict[Any, str] = {}
        self._updates: dict[tuple[str, frozenset[str], str], tuple[str, list[int]]] = {}
        self.tables = db.tables
        unique_columns = {u.column for u in db.tables.unique.values()}
        self.autonumbers: dict[str, list[tuple[str, str]]] = {}
        """Entity → (attribute, counter) of each of its AutoNumber attributes."""
        self.guarded: frozenset[str] = frozenset()
        """Entities with a unique attribute: their writes run in a savepoint."""
        guarded = set()
        for qname, layout in self.schema.entities.items():
            numbers = [
                (name, column.name)
                for name, column in layout.attributes.items()
                if column.kind == "AutoNumber"
            ]
            if numbers:
                self.autonumbers[qname] = numbers
            if any(column.name in unique_columns for column in layout.attributes.values()):
                guarded.add(qname)
        self.guarded = frozenset(guarded)

    def builder(self, layout: EntityLayout, lenient: bool = False) -> Builder:
        key = (layout.qname, lenient)
        found = self._builders.get(key)
        if found is None:
            found = make_builder(
                layout, self.enums, lenient=lenient, native=self.native, no_nul=NUL
            )
            self._builders[key] = found
        return found

    def decoder(self, entity: str) -> Decoder:
        found = self._decoders.get(entity)
        if found is None:
            layout = self.schema.layout(entity)
            found = self._decoders[entity] = make_decoder(layout, native=self.native)
        return found

    def insert_driver_sql(self, layout: EntityLayout, paramstyle: str) -> str:
        """Insert whole new objects, for the driver itself (positional, in the driver's
        parameter style): parameters id, entity, the columns in builder order, seq. Bulk
        inserts skip SQLAlchemy's per-row parameter processing this way."""
        key = ("insert-driver", layout.qname, paramstyle)
        found = self._statements.get(key)
        if found is None:
            table = layout.table
            names = ["id", "entity", *(c.sql for c in table.columns), "_seq"]
            count = len(names)
            if paramstyle == "numeric_dollar":
                marks = [f"${n}" for n in range(1, count + 1)]
            elif paramstyle == "qmark":
                marks = ["?"] * count
            else:
                marks = ["%s"] * count
            found = self._statements[key] = (
                f"INSERT INTO {table.sql} ({', '.join(names)}) VALUES ({', '.join(marks)})"
            )
        return found

    def update_driver_sql(
        self, layout: EntityLayout, members: frozenset[str], paramstyle: str
    ) -> tuple[str, list[int]]:
        """Update the columns of these members of an existing object, for the driver itself:
        parameters seq, the columns' values, id; and where those values are in a builder's
        row."""
        key = (layout.qname, members, paramstyle)
        found = self._updates.get(key)
        if found is None:
            table = layout.table
            columns = ["_seq"]
            indexes = []
            for member, column in layout.slots():
                if member in members:
                    columns.append(column.sql)
                    indexes.append(table.position(column.name) - 1)  # builder rows: no entity
            count = len(columns) + 1
            if paramstyle == "numeric_dollar":
                marks = [f"${n}" for n in range(1, count + 1)]
            elif paramstyle == "qmark":
                marks = ["?"] * count
            else:
                marks = ["%s"] * count
            sets = ", ".join(f"{c} = {m}" for c, m in zip(columns, marks, strict=False))
            found = (f"UPDATE {table.sql} SET {sets} WHERE id = {marks[-1]}", indexes)
            if len(self._updates) < 4096:
                self._updates[key] = found
        return found

    def update_sql(self, layout: EntityLayout, members: frozenset[str]) -> str:
        """Update the columns of these members of an existing object."""
        key = ("update", layout.qname, members)
        found = self._statements.get(key)
        if found is None:
            table = layout.table
            sets = ["_seq = :seq"]
            for member, column in layout.slots():
                if member in members:
                    index = table.position(column.name) - 1  # builder rows have no entity
                    sets.append(f"{column.sql} = :p{index}")
            found = f"UPDATE {table.sql} SET {', '.join(sets)} WHERE id = :p0"
            if len(self._statements) < 4096:
                self._statements[key] = found
        return found


_codecs: weakref.WeakKeyDictionary[Any, ServerCodecs] = weakref.WeakKeyDictionary()


def codecs_of(db: ServerDatabase) -> ServerCodecs:
    found = _codecs.get(db)
    if found is None:
        found = _codecs[db] = ServerCodecs(db)
    return found


class WriteGuard(Protocol):
    """Checks writes before a store makes them (the caller's rules, `with entity access`)."""

    async def check_write(self, unit: WriteUnit, existing: set[str]) -> None:
        """Raise `MendixError` to refuse the unit (`existing`: its ids already stored)."""

    async def check_delete(self, ids: dict[str, list[str]]) -> None:
        """Raise `MendixError` to refuse deleting these objects (entity → ids)."""


class ServerStore:
    """The server database, within one transaction, as a session's store. `guard`, when set,
    checks every write and delete first."""

    def __init__(
        self, db: ServerDatabase, conn: AsyncConnection, guard: WriteGuard | None = None
    ) -> None:
        self.db = db
        self.conn = conn
        self.codecs = codecs_of(db)
        self.guard = guard
        self._seq: int | None = None
        self._known_new: set[str] | None = None

    @contextlib.contextmanager
    def known_new(self, ids: set[str]) -> Iterator[None]:
        """Within the block, writes take these ids as new without asking the database (the
        caller found them unused in this transaction; a concurrent insert of one still fails
        on the primary key)."""
        self._known_new = ids
        try:
            yield
        finally:
            self._known_new = None

    @property
    def schema(self) -> Schema:
        return self.codecs.schema

    @property
    def dialect(self) -> Dialect:
        return self.codecs.dialect

    def decoder(self, entity: str) -> Decoder:
        return self.codecs.decoder(entity)

    async def sequence(self) -> int:
        """This transaction's change sequence (taken on the first write)."""
        if self._seq is None:
            self._seq = await self.db.next_sequence(self.conn)
        return self._seq

    # ---- reading -----------------------------------------------------------------------------

    async def select(self, query: SelectSql) -> Fetched:
        result = await self.conn.execute(text(query.sql), query.params)
        rows = list(result.all())
        return Fetched(rows, await self._refsets(query.table, rows))

    async def get_many(self, entity: str, ids: Sequence[str]) -> Fetched:
        layout = self.schema.layout(entity)
        table = layout.table
        dialect = self.dialect
        sql = (
            f"SELECT {table.select_list('t')} FROM {table.sql} t "
            f"WHERE t.id IN ({dialect.id_list(':ids')})"
        )
        params: dict[str, Any] = {"ids": dialect.ids_param(list(ids))}
        if layout.filtered:
            names = [f"e{i}" for i in range(len(layout.family))]
            sql += f" AND t.entity IN ({', '.join(':' + n for n in names)})"
            params.update(zip(names, layout.family, strict=True))
        rows = list((await self.conn.execute(text(sql), params)).all())
        return Fetched(rows, await self._refsets(table, rows))

    async def find(self, obj_id: str) -> tuple[str, Fetched] | None:
        for table in self.schema.tables.values():
            sql = f"SELECT {table.select_list('t')} FROM {table.sql} t WHERE t.id = :id"
            rows = list((await self.conn.execute(text(sql), {"id": obj_id})).all())
            if rows:
                entity = rows[0][1] or table.entities[0]
                return entity, Fetched(rows, await self._refsets(table, rows))
        return None

    async def _refsets(
        self, table: TableLayout, rows: Sequence[Sequence[Any]]
    ) -> dict[str, dict[str, tuple[str, ...]]] | None:
        layouts = self.schema.entities
        names = {n for e in table.entities for n in layouts[e].refsets}
        if not rows or not names:
            return None
        dialect = self.dialect
        ids = dialect.ids_param([r[0] for r in rows])
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for name in sorted(names):
            refset = self.schema.refset(name).sql
            targets: dict[str, list[str]] = {}
            result = await self.conn.execute(
                text(
                    f"SELECT owner_id, target_id FROM {refset} "
                    f"WHERE owner_id IN ({dialect.id_list(':ids')}) ORDER BY owner_id, target_id"
                ),
                {"ids": ids},
            )
            for owner, target in result.all():
                targets.setdefault(owner, []).append(target)
            for row in rows:
                entity = row[1] or table.entities[0]
                if name in layouts[entity].refsets:
                    found.setdefault(row[0], {})[name] = tuple(targets.get(row[0], ()))
        return found

    async def exists(self, ids: Sequence[str]) -> dict[str, str]:
        """Id → entity of the objects among `ids` the database holds (of any entity)."""
        if not ids:
            return {}
        dialect = self.dialect
        key = "exists"
        sql = self.codecs._statements.get(key)
        if sql is None:  # one query for every table: a request pays per statement
            sql = self.codecs._statements[key] = " UNION ALL ".join(
                f"SELECT id, entity FROM {table.sql} WHERE id IN ({dialect.id_list(':ids')})"
                for table in self.schema.tables.values()
            )
        result = await self.conn.execute(text(sql), {"ids": dialect.ids_param(list(ids))})
        return {r[0]: r[1] for r in result.all()}

    async def used(self, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` that an object has or had (a tombstone) on the server, in one
        query probing each table's primary key."""
        if not ids:
            return set()
        key = "used-ids"
        sql = self.codecs._statements.get(key)
        if sql is None:
            tables = [t.sql for t in self.schema.tables.values()]
            tables.append(self.db.tables.tombstones.name)
            probes = " OR ".join(f"EXISTS (SELECT 1 FROM {t} o WHERE o.id = j.i)" for t in tables)
            if self.codecs.native:
                source = "SELECT unnest(CAST(:ids AS TEXT[])) AS i"
            else:
                source = "SELECT value AS i FROM json_each(:ids)"
            sql = self.codecs._statements[key] = f"SELECT j.i FROM ({source}) j WHERE {probes}"
        result = await self.conn.execute(text(sql), {"ids": self.dialect.ids_param(list(ids))})
        return {r[0] for r in result.all()}

    async def insert_new(self, entity: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows of new objects of `entity` made and checked by the caller (laid out as
        `write` reports them in `inserted`). A unique value already taken raises
        `IntegrityError` (in a savepoint, so the transaction stays usable)."""
        sql = self.codecs.insert_driver_sql(
            self.schema.layout(entity), self.conn.dialect.paramstyle
        )
        if entity not in self.codecs.guarded:
            await self.conn.exec_driver_sql(sql, rows)
            return
        async with self.conn.begin_nested():
            await self.conn.exec_driver_sql(sql, rows)

    # ---- writing -----------------------------------------------------------------------------

    async def write(
        self,
        unit: WriteUnit,
        existing: set[str] | None = None,
        inserted: dict[str, list[tuple[Any, ...]]] | None = None,
    ) -> None:
        """Write a unit: new objects whole, existing ones (`existing`, or looked up) only in
        their changed members; reference sets replaced as the unit says. New objects get their
        AutoNumbers, written into their value dicts in the unit (which are the session's
        objects' own). A unique value already taken raises `MendixError` and writes nothing.
        `inserted` receives, by entity, the rows of the new objects as written (laid out as
        `TableLayout.select_list` selects them, then `_seq`)."""
        if not unit.entities:
            return
        ids = [i for w in unit.entities.values() for i, _v, _c in w.objects]
        if existing is None:
            known = self._known_new
            if known is not None and known.issuperset(ids):
                existing = set()
            else:
                existing = set(await self.exists(ids))
        if self.guard is not None:
            await self.guard.check_write(unit, existing)
        seq = await self.sequence()
        if self.codecs.guarded.isdisjoint(unit.entities):
            await self._write(unit, existing, seq, inserted)
            return
        try:
            async with self.conn.begin_nested():
                await self._write(unit, existing, seq, inserted)
        except IntegrityError as error:
            raise self._unique_error(error, unit) from None

    def _unique_error(self, error: IntegrityError, unit: WriteUnit) -> MendixError:
        """The message of a write that broke a unique index: entity, attribute, value."""
        reason = str(error.orig)
        for found in self.db.tables.unique.values():
            table = self.schema.layout(found.entity).table.name
            if found.index in reason or f"{table}.{found.column}" in reason:
                values = [
                    v.get(found.attribute)
                    for entity, writes in unit.entities.items()
                    if self.schema.names.is_a(entity, found.entity)
                    for _i, v, _c in writes.objects
                ]
                shown = ""
                if len(values) == 1:
                    value = values[0]
                    shown = f" '{value}'" if isinstance(value, str) else f" {value}"
                return MendixError(
                    f"{found.entity}: {found.attribute} must be unique, and another object "
                    f"already has the value{shown}"
                )
        return MendixError(f"the objects cannot be written: {reason}")

    async def _assign_numbers(
        self, entity: str, values: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], str, Any]]:
        """Give these new objects of `entity` their AutoNumbers; returns what each had."""
        before: list[tuple[dict[str, Any], str, Any]] = []
        counters = self.db.tables.autonumber_counters
        for attribute, counter in self.codecs.autonumbers[entity]:
            result = await self.conn.execute(
                update(counters)
                .where(counters.c.name == counter)
                .values(n=counters.c.n + len(values))
                .returning(counters.c.n)
            )
            top = int(result.scalar_one())
            for number, v in enumerate(values, start=top - len(values) + 1):
                before.append((v, attribute, v.get(attribute)))
                v[attribute] = number
        return before

    async def _write(
        self,
        unit: WriteUnit,
        existing: set[str],
        seq: int,
        inserted: dict[str, list[tuple[Any, ...]]] | None,
    ) -> None:
        numbered: list[tuple[dict[str, Any], str, Any]] = []
        try:
            await self._write_rows(unit, existing, seq, numbered, inserted)
        except BaseException:
            for values, attribute, value in numbered:
                values[attribute] = value
            raise

    async def _write_rows(
        self,
        unit: WriteUnit,
        existing: set[str],
        seq: int,
        numbered: list[tuple[dict[str, Any], str, Any]],
        inserted: dict[str, list[tuple[Any, ...]]] | None,
    ) -> None:
        codecs = self.codecs
        for entity, writes in unit.entities.items():
            if entity in codecs.autonumbers:
                new = [v for i, v, _c in writes.objects if i not in existing]
                if new:
                    numbered += await self._assign_numbers(entity, new)
            layout = self.schema.layout(entity)
            build = codecs.builder(layout)
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[dict[str, Any], frozenset[str]]] = []
            with gc_paused():  # many small acyclic rows; the loop never awaits
                for obj_id, values, changed in writes.objects:
                    row = build(obj_id, values, None)
                    if obj_id in existing:
                        params = {f"p{i}": v for i, v in enumerate(row[:-1])}
                        params["seq"] = seq
                        updates.append((params, changed))
                    else:
                        inserts.append((obj_id, entity, *row[1:-1], seq))
            for params, changed in updates:
                if changed:
                    await self.conn.execute(text(codecs.update_sql(layout, changed)), params)
                else:
                    await self.conn.execute(
                        text(f"UPDATE {layout.table.sql} SET _seq = :seq WHERE id = :p0"),
                        params,
                    )
            if inserts:
                paramstyle = self.conn.dialect.paramstyle
                sql = codecs.insert_driver_sql(layout, paramstyle)
                await self.conn.exec_driver_sql(sql, inserts)
                if inserted is not None:
                    inserted.setdefault(entity, []).extend(inserts)
            for association, owner, targets in writes.links:
                table = self.schema.refset(association).sql
                await self.conn.execute(
                    text(f"DELETE FROM {table} WHERE owner_id = :owner"), {"owner": owner}
                )
                if targets:
                    await self.conn.execute(
                        text(f"INSERT INTO {table} (owner_id, target_id) VALUES (:o, :t)"),
                        [{"o": owner, "t": t} for t in targets],
                    )

    async def delete(self, ids: dict[str, list[str]]) -> list[str]:
        """Delete objects, leave tombstones, and clear references and reference-set entries
        pointing to them (their holders change, so devices learn of it)."""
        if self.guard is not None:
            await self.guard.check_delete(ids)
        seq = await self.sequence()
        gone: list[str] = []
        dialect = self.dialect
        tombstones = self.db.tables.tombstones
        for entity, object_ids in ids.items():
            layout = self.schema.layout(entity)
            params = {"ids": dialect.ids_param(object_ids)}
            result = await self.conn.execute(
                text(
                    f"SELECT id, entity FROM {layout.table.sql} "
                    f"WHERE id IN ({dialect.id_list(':ids')})"
                ),
                params,
            )
            found = [(r[0], r[1]) for r in result.all()]
            if not found:
                continue
            await self.conn.execute(
                text(f"DELETE FROM {layout.table.sql} WHERE id IN ({dialect.id_list(':ids')})"),
                {"ids": dialect.ids_param([i for i, _e in found])},
            )
            await self.conn.execute(
                tombstones.insert(), [{"id": i, "entity": e, "_seq": seq} for i, e in found]
            )
            gone += [i for i, _e in found]
            if layout.is_file:
                await Contents(self.db.tables, self.conn).drop([i for i, _e in found])
        if gone:
            await self._clear_links(gone, seq)
        return gone

    async def _clear_links(self, gone: list[str], seq: int) -> None:
        dialect = self.dialect
        ids = {"ids": dialect.ids_param(gone), "seq": seq}
        id_list = dialect.id_list(":ids")
        for refset in self.schema.refsets.values():
            owner = self.schema.layout(refset.association.source).table.sql
            await self.conn.execute(
                text(
                    f"UPDATE {owner} SET _seq = :seq WHERE id IN (SELECT owner_id FROM "
                    f"{refset.sql} WHERE target_id IN ({id_list}))"
                ),
                ids,
            )
            await self.conn.execute(
                text(
                    f"DELETE FROM {refset.sql} WHERE owner_id IN ({id_list}) "
                    f"OR target_id IN ({id_list})"
                ),
                ids,
            )
        for table in self.schema.tables.values():
            for column in table.columns:
                if column.kind == "Ref":
                    await self.conn.execute(
                        text(
                            f"UPDATE {table.sql} SET {column.sql} = NULL, _seq = :seq "
                            f"WHERE {column.sql} IN ({id_list})"
                        ),
                        ids,
                    )

    # ---- the rest of the interface -----------------------------------------------------------

    async def pending_changes(self) -> list[dict[str, Any]]:
        return []  # the server holds no changes waiting for anyone

    async def summary(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for table in self.schema.tables.values():
            result = await self.conn.execute(
                text(f"SELECT entity, COUNT(*) FROM {table.sql} GROUP BY entity")
            )
            for entity, count in result.all():
                counts[entity] = {"objects": count, "new": 0, "changed": 0, "deleted": 0}
        return counts

    async def write_file(self, obj_id: str, data: bytes, user_id: str | None = None) -> None:
        """Store a file object's contents, sent by `user_id` (None: written on the server);
        deduplicated within that user's contents only (`nanoflow.server.contents`)."""
        seq = await self.sequence()
        await Contents(self.db.tables, self.conn).write(obj_id, data, user_id, seq)

    async def read_file(self, obj_id: str) -> bytes | None:
        return await Contents(self.db.tables, self.conn).read(obj_id)

    async def get_item(self, key: str) -> str | None:
        raise MendixError("storage items live on the device")

    async def set_item(self, key: str, value: str) -> None:
        raise MendixError("storage items live on the device")

    async def remove_item(self, key: str) -> None:
        raise MendixError("storage items live on the device")

    async def get_meta(self, key: str) -> Any:
        return await self.db.read_meta(self.conn, key)

    async def set_meta(self, key: str, value: Any) -> None:
        await self.db.write_meta(self.conn, {key: value})

    async def close(self) -> None:
        """Nothing to do: the transaction belongs to the request."""
