"""Change tracking and deletes: the `_changed` member sets, pending deletes, and clearing what
pointed to deleted objects."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from nanoflow.runtime.store.rows import raw_columns
from nanoflow.runtime.store.schema import EntityLayout, Schema, TableLayout, quote

ALL_MEMBERS = "*"
"""`_changed` of an object whose every member counts as changed (a new object that has them
all set), instead of the list of every member name."""

IDS = "SELECT value FROM json_each(?)"
"""A subquery of the ids in one JSON-array parameter."""


def union_members(old: str | None, new: str | None) -> str:
    """`nf_union(a, b)` in SQL: the union of two `_changed` values (JSON lists of member
    names, or `*` for all members)."""
    if old == ALL_MEMBERS or new == ALL_MEMBERS:
        return ALL_MEMBERS
    members = set(json.loads(old or "[]")) | set(json.loads(new or "[]"))
    return json.dumps(sorted(members))


def changed_members(changed: str, layout: EntityLayout) -> list[str]:
    """The member names of a `_changed` value."""
    if changed == ALL_MEMBERS:
        return sorted([*layout.attributes, *layout.references, *layout.refsets])
    members: list[str] = json.loads(changed)
    return members


async def record_refset_change(
    db: aiosqlite.Connection, association: str, owner: str, target: str, op: str, tick: int
) -> None:
    """Record that `target` was added to (`op` = `add`) or removed from an owner's reference
    set; the opposite change still waiting for upload cancels out instead."""
    cursor = await db.execute(
        "DELETE FROM nf_refset_changes WHERE association = ? AND owner_id = ? "
        "AND target_id = ? AND op <> ?",
        (association, owner, target, op),
    )
    if cursor.rowcount:
        return
    await db.execute(
        "INSERT INTO nf_refset_changes VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO UPDATE SET tick = excluded.tick",
        (association, owner, target, op, tick),
    )


async def delete_rows(
    db: aiosqlite.Connection, schema: Schema, table: TableLayout, ids: list[str], tick: int
) -> list[str]:
    """Remove objects from their table: never-uploaded ones (`new`) for good, with their file
    contents; the others move to `nf_deleted` (all columns and reference sets as JSON) as
    pending deletes. Returns the ids that were there."""
    columns = raw_columns(table)
    select = ", ".join(quote(c) for c in columns)
    async with db.execute(
        f"SELECT {select} FROM {table.sql} WHERE id IN ({IDS})", (json.dumps(ids),)
    ) as cursor:
        found = [dict(zip(columns, row, strict=True)) for row in await cursor.fetchall()]
    kept = {row["id"]: row for row in found if row["_state"] != "new"}
    if kept:
        await _add_reference_sets(db, schema, kept)
        await db.executemany(
            "INSERT OR REPLACE INTO nf_deleted (id, entity, version, data, tick) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (i, r["entity"], r["_version"], json.dumps(_jsonable(r)), tick)
                for i, r in kept.items()
            ],
        )
    gone = [row["id"] for row in found]
    await db.execute(f"DELETE FROM {table.sql} WHERE id IN ({IDS})", (json.dumps(gone),))
    removed = [i for i in gone if i not in kept]
    if removed:
        await db.execute(f"DELETE FROM nf_files WHERE id IN ({IDS})", (json.dumps(removed),))
    return gone


async def _add_reference_sets(
    db: aiosqlite.Connection, schema: Schema, rows: dict[str, dict[str, Any]]
) -> None:
    owners = json.dumps(list(rows))
    for refset in schema.refsets.values():
        async with db.execute(
            f"SELECT owner_id, target_id FROM {refset.sql} WHERE owner_id IN ({IDS}) "
            "ORDER BY owner_id, target_id",
            (owners,),
        ) as cursor:
            for owner, target in await cursor.fetchall():
                rows[owner].setdefault(refset.association.qname, []).append(target)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()}


async def clear_links(db: aiosqlite.Connection, schema: Schema, gone: list[str]) -> None:
    """Clear what pointed to objects deleted on the device: their own reference-set entries,
    and references and reference-set entries to them held by objects the device created or
    changed. Objects as the server has them (`synced`) keep their references: the server
    clears them when it applies the delete (they come down changed), and a refused delete
    brings the object back to them. (`System.owner` points to users, which the store does
    not hold.)"""
    ids = json.dumps(gone)
    for refset in schema.refsets.values():
        owner = schema.layout(refset.association.source).table.sql
        await db.execute(
            f"DELETE FROM {refset.sql} WHERE owner_id IN ({IDS}) OR (target_id IN ({IDS}) "
            f"AND owner_id NOT IN (SELECT id FROM {owner} WHERE _state = 'synced'))",
            (ids, ids),
        )
    for table in schema.tables.values():
        for column in table.columns:
            if column.kind == "Ref" and column.name != "System.owner":
                await db.execute(
                    f"UPDATE {table.sql} SET {column.sql} = NULL "
                    f"WHERE {column.sql} IN ({IDS}) AND _state <> 'synced'",
                    (ids,),
                )
