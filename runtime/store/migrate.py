"""Creating a store's schema, and migrating it in place when the app's model changed compatibly.

Runs inside the open transaction (SQLite DDL is transactional): a refused or failed migration
changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from nanoflow.runtime.store import codec
from nanoflow.runtime.store.errors import IncompatibleStore
from nanoflow.runtime.store.fingerprint import diff, fingerprint
from nanoflow.runtime.store.schema import BOOKKEEPING, FORMAT, SYSTEM_TABLES, Schema, quote

SHOWN_PENDING = 20


async def read_meta(conn: aiosqlite.Connection, key: str) -> Any:
    async with conn.execute("SELECT value FROM nf_meta WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None or row[0] is None else json.loads(row[0])


async def write_meta(conn: aiosqlite.Connection, values: dict[str, Any]) -> None:
    await conn.executemany(
        "INSERT INTO nf_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()],
    )


async def prepare(
    conn: aiosqlite.Connection, schema: Schema, description: dict[str, Any], path: str
) -> None:
    """Create a new store's schema, accept an unchanged one, migrate a compatible one, or
    raise `IncompatibleStore` (naming the differences and the pending changes)."""
    for statement in SYSTEM_TABLES:
        await conn.execute(statement)
    new_print = fingerprint(description)
    old_print = await read_meta(conn, "fingerprint")
    if old_print is None:
        for statement in schema.ddl():
            await conn.execute(statement)
        await write_meta(
            conn,
            {
                "format": FORMAT,
                "fingerprint": new_print,
                "model": description,
                "device_id": None,
                "server_id": None,
                "user_id": None,
                "session": None,
            },
        )
        return
    if old_print == new_print and await read_meta(conn, "format") == FORMAT:
        return
    old_model = await read_meta(conn, "model") or {}
    differences = diff(old_model, description).incompatible
    if differences:
        pending = await pending_summary(conn)
        raise IncompatibleStore(_refusal(path, differences, pending), differences, pending)
    await ensure_schema(conn, schema)
    await write_meta(conn, {"format": FORMAT, "fingerprint": new_print, "model": description})


def _refusal(path: str, differences: list[str], pending: list[dict[str, str]]) -> str:
    text = f"store {path} was made for an incompatible model: {'; '.join(differences)}"
    if not pending:
        return text + ". It has no pending changes."
    shown = ", ".join(f"{p['entity']} {p['id']} ({p['state']})" for p in pending[:SHOWN_PENDING])
    more = f" and {len(pending) - SHOWN_PENDING} more" if len(pending) > SHOWN_PENDING else ""
    return (
        f"{text}. Opening it with this app would lose {len(pending)} pending change(s): "
        f"{shown}{more}. Synchronize it with the previous version of the app first."
    )


async def _names(conn: aiosqlite.Connection, kind: str, pattern: str) -> list[str]:
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name LIKE ?", (kind, pattern)
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]


async def pending_summary(conn: aiosqlite.Connection) -> list[dict[str, str]]:
    """Entity, id and state of every pending change, read without knowing the model."""
    pending: list[dict[str, str]] = []
    for table in sorted(await _names(conn, "table", "o:%")):
        async with conn.execute(
            f"SELECT entity, id, _state FROM {quote(table)} "
            "WHERE _state IN ('new', 'changed') ORDER BY id"
        ) as cursor:
            for entity, id_, state in await cursor.fetchall():
                pending.append({"entity": entity, "id": id_, "state": state})
    async with conn.execute("SELECT entity, id FROM nf_deleted ORDER BY id") as cursor:
        for entity, id_ in await cursor.fetchall():
            pending.append({"entity": entity, "id": id_, "state": "deleted"})
    return pending


async def ensure_schema(conn: aiosqlite.Connection, schema: Schema) -> None:
    """Add what the schema has and the store lacks: tables, columns (existing rows get the
    attribute's default), indexes; drop indexes the model no longer declares. No data is
    ever dropped."""
    tables = set(await _names(conn, "table", "%"))
    for table in schema.tables.values():
        if table.name not in tables:
            await conn.execute(schema.table_ddl(table))
            continue
        async with conn.execute(f"PRAGMA table_info({table.sql})") as cursor:
            present = {row[1] for row in await cursor.fetchall()}
        for name, decl in BOOKKEEPING:  # columns added by newer store formats
            if name not in present:
                await conn.execute(f"ALTER TABLE {table.sql} ADD COLUMN {name} {decl}")
        for column in table.columns:
            if column.name in present:
                continue
            ddl = f"ALTER TABLE {table.sql} ADD COLUMN {column.ddl}"
            if column.default is not None:
                ddl += f" DEFAULT {codec.sql_literal(column.default)}"
            await conn.execute(ddl)
    async with conn.execute("PRAGMA table_info(nf_deleted)") as cursor:
        if "tick" not in {row[1] for row in await cursor.fetchall()}:
            await conn.execute("ALTER TABLE nf_deleted ADD COLUMN tick INTEGER NOT NULL DEFAULT 0")
    for table in schema.tables.values():
        await conn.execute(schema.pending_index_ddl(table))
    for refset in schema.refsets.values():
        await conn.execute(schema.refset_ddl(refset))
    for name in await _names(conn, "index", "ix:%"):
        if name not in schema.indexes:
            await conn.execute(f"DROP INDEX {quote(name)}")
    for index in schema.indexes.values():
        await conn.execute(index.ddl)
