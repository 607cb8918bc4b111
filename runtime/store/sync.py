"""The device store's side of synchronization: what to upload, settling an upload with the
server's answer, and applying downloaded objects and removals.

Every step is one transaction. A row that a flow wrote after the synchronization read it (its
`_tick` moved on) is never settled or overwritten by that synchronization: it stays pending
and goes up with the next one (SYNC.md 3).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nanoflow.runtime import faults
from nanoflow.runtime.store import CONTENTS
from nanoflow.runtime.store.changes import IDS, changed_members
from nanoflow.runtime.store.columnar import WireRows, store_rows
from nanoflow.runtime.store.migrate import read_meta, write_meta
from nanoflow.runtime.store.schema import EntityLayout, TableLayout

if TYPE_CHECKING:
    import aiosqlite

    from nanoflow.runtime.store.store import DeviceStore

Kind = Literal["new", "changed", "deleted"]


@dataclass(slots=True)
class Outgoing:
    """One committed device change to upload."""

    id: str
    entity: str
    kind: Kind
    tick: int
    version: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    """The members to send (runtime values): a new object's set members, a changed object's
    changed attributes and references."""
    added: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    """Reference-set changes by association (a new object's sets are all `added`)."""
    contents: bool = False
    """The file contents changed (a `System.FileDocument` object)."""


@dataclass(slots=True)
class ServerObject:
    """An object as the server has it for this user (runtime values by member)."""

    id: str
    entity: str
    version: int
    values: dict[str, Any]


@dataclass(slots=True)
class Settled:
    """The answer for one uploaded change: the object's state on the server now, or None when
    the user no longer has it (deleted, refused as new, or not readable)."""

    change: Outgoing
    state: ServerObject | None


async def outgoing(
    store: DeviceStore,
    entities: Collection[str] | None = None,
    ids: Collection[str] | None = None,
    deletes: bool = True,
) -> list[Outgoing]:
    """The committed changes to upload: of these entities (all when None), or of these ids;
    pending deletes too when `deletes`. Objects that others reference come first."""
    schema = store.schema
    result: list[Outgoing] = []
    wanted = set(entities) if entities is not None else None
    async with store._lock:
        db = store._db()
        for table in schema.tables.values():
            if wanted is not None and not wanted.intersection(table.entities):
                continue
            sql = (
                f"SELECT {table.select_list('t')}, t._state, t._changed, t._version, t._tick "
                f"FROM {table.sql} t WHERE t._state <> 'synced'"
            )
            params: list[Any] = []
            if ids is not None:
                sql += f" AND t.id IN ({IDS})"
                params.append(json.dumps(list(ids)))
            # `+t.id`: the order is made after the pending index found the rows
            async with db.execute(sql + " ORDER BY +t.id", params) as cursor:
                rows = list(await cursor.fetchall())
            if not rows:
                continue
            decoded = store._decode_rows(table, rows)
            await store._fill_refsets(db, table, rows, decoded)
            deltas = await _refset_changes(db, [r[0] for r in rows])
            for row, values in zip(rows, decoded, strict=True):
                entity = values.pop("$entity")
                if wanted is not None and entity not in wanted:
                    continue
                state, changed_text, version, tick = row[-4:]
                layout = schema.layout(entity)
                change = Outgoing(values.pop("$id"), entity, state, tick, version)
                _fill(change, layout, changed_members(changed_text, layout), values, deltas)
                # contents stored before the first commit left no mark on a row (there was
                # none): a new file object sends whatever contents it has
                change.contents = change.contents or (state == "new" and layout.is_file)
                result.append(change)
        if deletes and ids is None:
            async with db.execute("SELECT id, entity, version, tick FROM nf_deleted") as cursor:
                for object_id, entity, version, tick in await cursor.fetchall():
                    if wanted is None or entity in wanted:
                        result.append(Outgoing(object_id, entity, "deleted", tick, version))
    return _referenced_first(result, schema)


def _fill(
    change: Outgoing,
    layout: EntityLayout,
    changed: list[str],
    values: dict[str, Any],
    deltas: dict[tuple[str, str], tuple[list[str], list[str]]],
) -> None:
    for member in changed:
        if member == CONTENTS:
            change.contents = True
        elif member in layout.refsets:
            if change.kind == "new":
                change.added[member] = list(values.get(member) or ())
            else:
                added, removed = deltas.get((change.id, member), ([], []))
                if added:
                    change.added[member] = added
                if removed:
                    change.removed[member] = removed
        elif member in values:
            change.values[member] = values[member]


async def _refset_changes(
    db: aiosqlite.Connection, owners: list[str]
) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    found: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    async with db.execute(
        "SELECT owner_id, association, target_id, op FROM nf_refset_changes "
        f"WHERE owner_id IN ({IDS}) ORDER BY owner_id, association, target_id",
        (json.dumps(owners),),
    ) as cursor:
        for owner, association, target, op in await cursor.fetchall():
            added, removed = found.setdefault((owner, association), ([], []))
            (added if op == "add" else removed).append(target)
    return found


def _referenced_first(changes: list[Outgoing], schema: Any) -> list[Outgoing]:
    """New objects that other uploaded objects reference go before them (depth first), so
    the server never sees a reference to an object it has not got yet."""
    by_id = {c.id: c for c in changes}
    placed: set[str] = set()
    ordered: list[Outgoing] = []

    def place(change: Outgoing, path: set[str]) -> None:
        if change.id in placed or change.id in path:
            return
        path.add(change.id)
        for target in _targets(change):
            found = by_id.get(target)
            if found is not None and found.kind == "new":
                place(found, path)
        placed.add(change.id)
        ordered.append(change)

    for change in changes:
        place(change, set())
    return ordered


def _targets(change: Outgoing) -> list[str]:
    targets = [v for k, v in change.values.items() if "." in k and isinstance(v, str)]
    for ids in change.added.values():
        targets += ids
    return targets


# ---- settling an upload ------------------------------------------------------------------------


async def settle(
    store: DeviceStore, settled: Sequence[Settled], clear_meta: str | None = None
) -> list[str]:
    """Mark uploaded changes done with the server's answer, in one transaction: each object
    that no flow wrote since it was read takes the server's state, or is removed when the
    server has none for this user; an uploaded delete is forgotten (a refused one brings the
    object back at the server's state); the metadata key `clear_meta` (the record of the
    upload) is cleared with them. Returns the ids removed."""
    removed: list[str] = []
    async with store._transaction() as db:
        if clear_meta is not None:
            await write_meta(db, {clear_meta: None})
        current = await _ticks(db, store, [s.change for s in settled])
        states: list[ServerObject] = []
        for item in settled:
            change = item.change
            if current.get(change.id) != change.tick:
                continue  # written again during the synchronization: it stays pending
            await db.execute(
                "DELETE FROM nf_refset_changes WHERE owner_id = ? AND tick <= ?",
                (change.id, change.tick),
            )
            if change.kind == "deleted":
                await db.execute("DELETE FROM nf_deleted WHERE id = ?", (change.id,))
                if item.state is not None:  # a refused delete: the object is back
                    states.append(item.state)
            elif item.state is not None:
                states.append(item.state)
            else:
                removed.append(change.id)
        await write_server_objects(db, store, states)
        if removed:
            await remove_rows(db, store, removed)
        if faults.ACTIVE:
            faults.fault("device.settle")
    return removed


async def _ticks(
    db: aiosqlite.Connection, store: DeviceStore, changes: Sequence[Outgoing]
) -> dict[str, int]:
    """The current `_tick` of each change's row (or pending delete)."""
    result: dict[str, int] = {}
    by_table: dict[str, list[str]] = {}
    deleted: list[str] = []
    for change in changes:
        if change.kind == "deleted":
            deleted.append(change.id)
        else:
            root = store.schema.layout(change.entity).table.root
            by_table.setdefault(root, []).append(change.id)
    for root, ids in by_table.items():
        table = store.schema.tables[root]
        async with db.execute(
            f"SELECT id, _tick FROM {table.sql} WHERE id IN ({IDS})", (json.dumps(ids),)
        ) as cursor:
            result.update({i: t for i, t in await cursor.fetchall()})
    if deleted:
        async with db.execute(
            f"SELECT id, tick FROM nf_deleted WHERE id IN ({IDS})", (json.dumps(deleted),)
        ) as cursor:
            result.update({i: t for i, t in await cursor.fetchall()})
    return result


# ---- applying downloads --------------------------------------------------------------------------


def server_upsert_sql(table: TableLayout, entity: str) -> str:
    """Write server objects of `entity` (rows from the store's builders, whose last value is
    the object's server version): every data column, nothing pending."""
    data = [c.sql for c in table.columns]
    names = ["id", "entity", *data, "_version", "_state", "_origin", "_changed", "_tick"]
    literal = "'" + entity.replace("'", "''") + "'"
    values = ["?", literal, *("?" * len(data)), "?", "'synced'", "'server'", "'[]'", "0"]
    sets = [f"{n} = excluded.{n}" for n in names[1:]]
    return (
        f"INSERT INTO {table.sql} ({', '.join(names)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(sets)}"
    )


async def write_server_objects(
    db: aiosqlite.Connection, store: DeviceStore, objects: Sequence[ServerObject]
) -> None:
    """Write objects as the server has them (inside the caller's transaction), with their
    reference sets."""
    by_entity: dict[str, list[ServerObject]] = {}
    for obj in objects:
        by_entity.setdefault(obj.entity, []).append(obj)
    for entity, group in by_entity.items():
        layout = store.schema.layout(entity)
        build = store._server_builder(layout)
        rows = [build(o.id, o.values, o.version) for o in group]
        await db.executemany(server_upsert_sql(layout.table, entity), rows)
        for name in layout.refsets:
            table = store.schema.refset(name).sql
            await db.executemany(
                f"DELETE FROM {table} WHERE owner_id = ?", [(o.id,) for o in group]
            )
            pairs = [(o.id, t) for o in group for t in o.values.get(name) or ()]
            if pairs:
                await db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", pairs)


async def pending_ids(
    db: aiosqlite.Connection,
    store: DeviceStore,
    ids: list[str],
    tables: Collection[TableLayout] | None = None,
) -> set[str]:
    """Which of these ids have local changes waiting for upload (or a pending delete); the
    objects are looked for in `tables` (default: every table)."""
    if not ids:
        return set()
    found: set[str] = set()
    params = (json.dumps(ids),)
    for table in store.schema.tables.values() if tables is None else tables:
        async with db.execute(
            f"SELECT id FROM {table.sql} WHERE _state <> 'synced' AND id IN ({IDS})", params
        ) as cursor:
            found.update(r[0] for r in await cursor.fetchall())
    async with db.execute(f"SELECT id FROM nf_deleted WHERE id IN ({IDS})", params) as cursor:
        found.update(r[0] for r in await cursor.fetchall())
    return found


async def remove_rows(db: aiosqlite.Connection, store: DeviceStore, ids: list[str]) -> list[str]:
    """Remove objects from the device only (nothing becomes a pending delete), with their
    files and their own reference sets; returns the ids that were there. References to them
    from other objects stay, as the server has them (the objects may still exist there, only
    not for this user; a server delete sends the referencing objects again, cleared)."""
    gone: list[str] = []
    params = (json.dumps(ids),)
    for table in store.schema.tables.values():
        async with db.execute(f"SELECT id FROM {table.sql} WHERE id IN ({IDS})", params) as c:
            found = [r[0] for r in await c.fetchall()]
        if found:
            await db.execute(f"DELETE FROM {table.sql} WHERE id IN ({IDS})", (json.dumps(found),))
            gone += found
    if gone:
        await db.execute(f"DELETE FROM nf_files WHERE id IN ({IDS})", (json.dumps(gone),))
        await db.execute(
            f"DELETE FROM nf_refset_changes WHERE owner_id IN ({IDS})", (json.dumps(gone),)
        )
        for refset in store.schema.refsets.values():
            await db.execute(
                f"DELETE FROM {refset.sql} WHERE owner_id IN ({IDS})", (json.dumps(gone),)
            )
    return gone


FILES_DUE = "files_due"
"""Meta key: ids of downloaded file objects whose new contents are not fetched yet."""


async def files_due(store: DeviceStore) -> list[str]:
    """The downloaded file objects whose contents are still to be fetched."""
    due = await store.get_meta(FILES_DUE)
    return [str(i) for i in due] if isinstance(due, list) else []


async def files_fetched(store: DeviceStore, contents: dict[str, bytes | None]) -> None:
    """Store fetched contents (None: the server has none, or the object is gone for this
    user) and forget those ids as due, in one transaction; an object removed meanwhile, or
    written again on the device, keeps what it has."""
    async with store._transaction() as db:
        for object_id, data in contents.items():
            if data is None or object_id in await pending_ids(db, store, [object_id]):
                continue
            if await _exists(db, store, object_id):
                await db.execute(
                    "INSERT INTO nf_files (id, data) VALUES (?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                    (object_id, data),
                )
        known = await read_meta(db, FILES_DUE) or []
        left = [i for i in known if i not in contents]
        await write_meta(db, {FILES_DUE: left or None})


async def _exists(db: aiosqlite.Connection, store: DeviceStore, object_id: str) -> bool:
    for table in store.schema.tables.values():
        async with db.execute(f"SELECT 1 FROM {table.sql} WHERE id = ?", (object_id,)) as c:
            if await c.fetchone() is not None:
                return True
    return False


@dataclass(slots=True)
class PageSpan:
    """What a page of a complete download vouches for: every object of `entity` with an id
    above `after` (None: from the first) up to `through` (None: to the last) that is not in
    `listed` is no longer the user's."""

    entity: str
    after: str | None
    through: str | None
    listed: set[str]


async def _unlisted(db: aiosqlite.Connection, store: DeviceStore, span: PageSpan) -> list[str]:
    """The stored objects of the span's entity inside its bounds that it does not list."""
    layout = store.schema.layout(span.entity)
    sql = f"SELECT t.id FROM {layout.table.sql} t WHERE 1 = 1"
    params: list[Any] = []
    if layout.filtered:
        sql += f" AND t.entity IN ({', '.join('?' * len(layout.family))})"
        params += layout.family
    if span.after is not None:
        sql += " AND t.id > ?"
        params.append(span.after)
    if span.through is not None:
        sql += " AND t.id <= ?"
        params.append(span.through)
    async with db.execute(sql, params) as cursor:
        return [r[0] for r in await cursor.fetchall() if r[0] not in span.listed]


@dataclass(slots=True)
class Applied:
    """What a downloaded page changed on the device."""

    written: list[ServerObject]
    removed: list[str]
    skipped: list[str]
    """Objects with local changes, left as they are (they go up with the next sync)."""


async def apply_page(
    store: DeviceStore,
    objects: Sequence[ServerObject],
    removed: Sequence[str],
    cursor: tuple[str, str] | None = None,
    span: PageSpan | None = None,
    files: Collection[str] = (),
) -> Applied:
    """Apply downloaded objects and removals in one transaction, leaving objects with local
    changes alone; record the entity's new cursor with them (`(entity, cursor)`). With the
    `span` of a complete download's page, the objects it does not list go too. The ids in
    `files` (objects whose contents changed on the server) that were written are recorded as
    due (`FILES_DUE`) until `files_fetched`."""
    async with store._transaction() as db:
        if span is not None:
            removed = [*removed, *await _unlisted(db, store, span)]
        ids = [o.id for o in objects] + list(removed)
        busy = await pending_ids(db, store, ids)
        written = [o for o in objects if o.id not in busy]
        await write_server_objects(db, store, written)
        gone = await remove_rows(db, store, [i for i in removed if i not in busy])
        if cursor is not None:
            await db.execute(
                "INSERT INTO nf_cursors (entity, cursor) VALUES (?, ?) "
                "ON CONFLICT (entity) DO UPDATE SET cursor = excluded.cursor",
                cursor,
            )
        due = [o.id for o in written if o.id in files] if files else []
        if due:
            known = await read_meta(db, FILES_DUE) or []
            await write_meta(db, {FILES_DUE: sorted({*known, *due})})
        if faults.ACTIVE:
            faults.fault("device.apply.page")
    return Applied(written, gone, sorted(busy))


@dataclass(slots=True)
class AppliedRows:
    """What a downloaded page (`apply_rows`) changed on the device."""

    written: list[str]
    removed: list[str]
    skipped: list[str]
    """Objects with local changes, left as they are (they go up with the next sync)."""


async def apply_rows(
    store: DeviceStore,
    page: WireRows,
    removed: Sequence[str],
    cursor: tuple[str, str] | None = None,
    span: PageSpan | None = None,
    files: Collection[str] = (),
) -> AppliedRows:
    """`apply_page` for a downloaded page as the server sent it: its rows are converted
    straight into the store's rows (`columnar.store_rows`) before the transaction, with the
    same outcome (objects with local changes left alone, the span's unlisted objects removed,
    files recorded as due). A value the store refuses fails the page, unless its object has
    local changes (it is not written then)."""
    converted = store_rows(store, page)
    table = store.schema.layout(page.entity).table
    async with store._transaction() as db:
        if span is not None:
            removed = [*removed, *await _unlisted(db, store, span)]
        ids = [row[0] for group in converted for row in group.rows]
        refused = [(i, e) for group in converted for i, e in group.refused]
        busy = await pending_ids(db, store, [*ids, *removed, *(i for i, _e in refused)], [table])
        for object_id, error in refused:
            if object_id not in busy:
                raise error
        written: list[str] = []
        for group in converted:
            rows = group.rows
            if busy:
                rows = [row for row in rows if row[0] not in busy]
            await db.executemany(server_upsert_sql(table, group.entity), rows)
            owners = [(row[0],) for row in rows]
            for name in store.schema.layout(group.entity).refsets:
                refset = store.schema.refset(name).sql
                await db.executemany(f"DELETE FROM {refset} WHERE owner_id = ?", owners)
                pairs = group.refsets.get(name, [])
                if busy:
                    pairs = [pair for pair in pairs if pair[0] not in busy]
                await db.executemany(f"INSERT OR IGNORE INTO {refset} VALUES (?, ?)", pairs)
            written += [row[0] for row in rows]
        gone = await remove_rows(db, store, [i for i in removed if i not in busy])
        if cursor is not None:
            await db.execute(
                "INSERT INTO nf_cursors (entity, cursor) VALUES (?, ?) "
                "ON CONFLICT (entity) DO UPDATE SET cursor = excluded.cursor",
                cursor,
            )
        due = [i for i in written if i in files] if files else []
        if due:
            known = await read_meta(db, FILES_DUE) or []
            await write_meta(db, {FILES_DUE: sorted({*known, *due})})
        if faults.ACTIVE:
            faults.fault("device.apply.page")
    return AppliedRows(written, gone, sorted(busy))


async def entity_ids(store: DeviceStore, entity: str) -> list[str]:
    """The ids of every stored object of `entity` and its specializations."""
    layout = store.schema.layout(entity)
    sql = f"SELECT t.id FROM {layout.table.sql} t"
    params: list[Any] = []
    if layout.filtered:
        sql += f" WHERE t.entity IN ({', '.join('?' * len(layout.family))})"
        params += layout.family
    async with store._lock, store._db().execute(sql, params) as cursor:
        return [r[0] for r in await cursor.fetchall()]


async def missing_ids(store: DeviceStore, entity: str, ids: Collection[str]) -> list[str]:
    """Which of these ids the device holds no object of `entity` (or a pending delete) for."""
    if not ids:
        return []
    params = (json.dumps(sorted(ids)),)
    held: set[str] = set()
    table = store.schema.layout(entity).table
    async with store._lock:
        db = store._db()
        async with db.execute(f"SELECT id FROM {table.sql} WHERE id IN ({IDS})", params) as c:
            held.update(r[0] for r in await c.fetchall())
        async with db.execute(f"SELECT id FROM nf_deleted WHERE id IN ({IDS})", params) as c:
            held.update(r[0] for r in await c.fetchall())
    return sorted(set(ids) - held)


async def clear_entity(store: DeviceStore, entity: str) -> tuple[list[str], int]:
    """`clear from device`: remove every object of `entity` that has no pending change;
    returns the removed ids and how many were kept."""
    ids = await entity_ids(store, entity)
    async with store._transaction() as db:
        busy = await pending_ids(db, store, ids)
        gone = await remove_rows(db, store, [i for i in ids if i not in busy])
    return gone, len(busy)


async def cursor_of(store: DeviceStore, entity: str) -> str | None:
    async with (
        store._lock,
        store._db().execute("SELECT cursor FROM nf_cursors WHERE entity = ?", (entity,)) as c,
    ):
        row = await c.fetchone()
    return None if row is None else str(row[0])
