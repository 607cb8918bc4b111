"""`ServerDatabase`: the server's database on SQLAlchemy Core (async), SQLite or PostgreSQL.

One code path for both. Opening prepares the schema: a new database gets every table, an
unchanged one is used as is, a compatible model change is migrated in place (additions only),
an incompatible one is refused naming the differences; all in one transaction.

**Change sequence.** Every transaction that writes objects takes its number with
`UPDATE nf_counter SET n = n + 1 RETURNING n` (`next_sequence`) and stamps the rows it writes
(`_seq`) and the tombstones of its deletes with it. The counter's row lock is held until the
transaction ends, so the next writer gets its number only after this one committed: numbers
follow commit order. A reader that reads `n` (`watermark`) therefore knows that every change
numbered up to `n` is committed and visible, and none numbered above will ever appear below
it: the download cursor is that number, and a change that commits late can never be skipped
(unlike a plain sequence, whose numbers are handed out at `nextval`, not at commit). On SQLite,
writers are serialised by `BEGIN IMMEDIATE` anyway. Writers should take the number late (after
their reads and checks), since it serialises their remaining work.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Index, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from nanoflow.compiler import App
from nanoflow.runtime.store import codec
from nanoflow.runtime.store.fingerprint import describe, diff, fingerprint
from nanoflow.runtime.store.schema import Schema, unique_entities
from nanoflow.server.errors import EmbeddedDatabase, IncompatibleDatabase, ServerError
from nanoflow.server.tables import FORMAT, ServerTables, build_tables, default_sql, pg_identifier
from nanoflow.server.urls import DatabaseTarget

SQLITE_BUSY_MS = 30_000
PREPARE_LOCK = 0x6E66_7365_7276  # PostgreSQL advisory lock key: "nfserv"


def server_schema(app: App) -> Schema:
    """The layout of every entity of the app (the server stores them all)."""
    return Schema(app.names, unique_entities(app.names))


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by `_sqlite_begin`
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.create_function("nf_lower", 1, codec.sql_fold, deterministic=True)


def _sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("nf_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


class ServerDatabase:
    """An open server database for one compiled app: engine, tables and the meta values."""

    def __init__(self, app: App, target: DatabaseTarget, engine: AsyncEngine) -> None:
        self.app = app
        self.target = target
        self.engine = engine
        self.dialect = engine.dialect.name
        self.schema = server_schema(app)
        self.tables: ServerTables = build_tables(self.schema, self.dialect)
        self.server_id = ""
        self.signing_key = b""
        self.epoch = 0
        self.embedded = False
        self.migrated: list[str] = []

    # ---- opening --------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, app: App, target: DatabaseTarget, *, embedded: bool = False
    ) -> ServerDatabase:
        """Open (creating or migrating) the database of an app. `embedded=True` is the embedded
        server of `nanoflow run`: it creates a database marked as such, which `serve` (the
        default, `embedded=False`) refuses to open."""
        if target.sqlite_path is not None:
            target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(target.url, connect_args=dict(target.connect_args))
        if target.is_sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_connect)
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
        db = cls(app, target, engine)
        try:
            await db._prepare(embedded)
        except BaseException:
            await engine.dispose()
            raise
        return db

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> ServerDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- transactions ---------------------------------------------------------------------

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (`BEGIN IMMEDIATE` on SQLite), committed when the block ends
        and rolled back on any exception."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(nf_write=True)
            async with conn.begin():
                yield conn

    async def next_sequence(self, conn: AsyncConnection) -> int:
        """The change sequence of this writing transaction (see the module docstring)."""
        counter = self.tables.counter
        result = await conn.execute(
            update(counter)
            .where(counter.c.id == 1)
            .values(n=counter.c.n + 1)
            .returning(counter.c.n)
        )
        return int(result.scalar_one())

    async def watermark(self, conn: AsyncConnection) -> int:
        """The highest change sequence whose transaction has committed."""
        counter = self.tables.counter
        return int((await conn.execute(select(counter.c.n).where(counter.c.id == 1))).scalar_one())

    # ---- meta -----------------------------------------------------------------------------

    async def read_meta(self, conn: AsyncConnection, key: str) -> Any:
        meta = self.tables.meta
        row = (await conn.execute(select(meta.c.value).where(meta.c.key == key))).first()
        return None if row is None or row[0] is None else json.loads(row[0])

    async def write_meta(self, conn: AsyncConnection, values: dict[str, Any]) -> None:
        meta = self.tables.meta
        for key, value in values.items():
            encoded = json.dumps(value, sort_keys=True)
            changed = await conn.execute(
                update(meta).where(meta.c.key == key).values(value=encoded)
            )
            if changed.rowcount == 0:
                await conn.execute(insert(meta).values(key=key, value=encoded))

    # ---- preparing the schema -------------------------------------------------------------

    async def _prepare(self, embedded: bool) -> None:
        description = describe(self.app.names)
        new_print = fingerprint(description)
        async with self.write() as conn:
            if self.dialect == "postgresql":
                await conn.execute(select(func.pg_advisory_xact_lock(PREPARE_LOCK)))
            await conn.run_sync(lambda c: self.tables.meta.create(c, checkfirst=True))
            old_print = await self.read_meta(conn, "fingerprint")
            if old_print is None:
                await self._create(conn, description, new_print, embedded)
            else:
                await self._check_existing(conn, description, new_print, embedded)
            await self._ensure_enforcement(conn)
            self.server_id = await self.read_meta(conn, "server_id")
            self.signing_key = bytes.fromhex(await self.read_meta(conn, "signing_key"))
            self.epoch = int(await self.read_meta(conn, "epoch"))
            self.embedded = bool(await self.read_meta(conn, "embedded"))

    async def _create(
        self, conn: AsyncConnection, description: dict[str, Any], print_: str, embedded: bool
    ) -> None:
        await conn.run_sync(lambda c: self.tables.metadata.create_all(c, checkfirst=True))
        await conn.execute(insert(self.tables.counter).values(id=1, n=0))
        await self.write_meta(
            conn,
            {
                "format": FORMAT,
                "server_id": str(uuid.uuid4()),
                "signing_key": secrets.token_hex(32),
                "epoch": 1,
                "embedded": embedded,
                "fingerprint": print_,
                "model": description,
            },
        )

    async def _check_existing(
        self, conn: AsyncConnection, description: dict[str, Any], print_: str, embedded: bool
    ) -> None:
        where = self.target.display()
        marked = bool(await self.read_meta(conn, "embedded"))
        if marked and not embedded:
            raise EmbeddedDatabase(
                f"{where} is the database of the embedded server of `nanoflow run`; "
                "`serve` and `users` need their own (give another `--db`)"
            )
        if not marked and embedded:
            raise EmbeddedDatabase(f"{where} belongs to a `nanoflow serve` server")
        stored_format = await self.read_meta(conn, "format")
        if stored_format != FORMAT:
            raise ServerError(
                f"{where} has server database format {stored_format}; this version of "
                f"nanoflow reads format {FORMAT}"
            )
        if await self.read_meta(conn, "fingerprint") == print_:
            return
        old_model = await self.read_meta(conn, "model") or {}
        changes = diff(old_model, description)
        if changes.incompatible:
            raise IncompatibleDatabase(
                f"{where} was made for an incompatible model: "
                f"{'; '.join(changes.incompatible)}. Nothing was changed.",
                changes.incompatible,
            )
        await self._migrate(conn)
        await self.write_meta(conn, {"fingerprint": print_, "model": description})
        self.migrated = changes.compatible

    async def _migrate(self, conn: AsyncConnection) -> None:
        """Add the tables, columns and indexes the model gained; drop indexes it no longer
        declares. No data is dropped; new columns get the attribute's default."""
        existing = await conn.run_sync(_existing_schema)
        pg = self.dialect == "postgresql"

        def stored(name: str) -> str:
            return pg_identifier(name) if pg else name

        tables = self.tables
        created: set[str] = set()
        for table in tables.metadata.sorted_tables:
            present = existing["columns"].get(stored(table.name))
            if present is None:
                await conn.run_sync(table.create)
                created.add(table.name)
                continue
            layout = tables.columns.get(table.name, {})
            for column in table.columns:
                if stored(column.name) in present:
                    continue
                spec = layout.get(column.name)
                if spec is None:
                    raise ServerError(f"table {table.name} lacks its column {column.name}")
                type_sql = column.type.compile(dialect=self.engine.dialect)
                ddl = (
                    f"ALTER TABLE {_quote(table.name)} ADD COLUMN {_quote(column.name)} {type_sql}"
                )
                if spec.default is not None:
                    ddl += " DEFAULT " + default_sql(spec.kind, spec.default, self.dialect)
                await conn.execute(text(ddl))
        wanted = {
            stored(index.name): index
            for table in tables.metadata.tables.values()
            if table.name not in created
            for index in table.indexes
            if isinstance(index.name, str)
        }
        for name in existing["indexes"]:
            if name.startswith(("ix:", "ux:")) and name not in wanted:
                await conn.execute(text(f"DROP INDEX {_quote(name)}"))
        for name, index in wanted.items():
            if name not in existing["indexes"]:
                await self._create_index(conn, index)

    async def _ensure_enforcement(self, conn: AsyncConnection) -> None:
        """What the server enforces in the database, also in a database made before it did:
        the unique indexes of `unique` attributes and a counter row per AutoNumber column
        (starting above the largest number already stored)."""
        tables = self.tables
        counters = tables.autonumber_counters
        await conn.run_sync(lambda c: counters.create(c, checkfirst=True))
        present = set((await conn.execute(select(counters.c.name))).scalars())
        for column in tables.autonumbers:
            if column in present:
                continue
            table = next(t for t in tables.objects.values() if column in t.c)
            top = (await conn.execute(select(func.max(table.c[column])))).scalar()
            await conn.execute(insert(counters).values(name=column, n=int(top or 0)))
        if not tables.unique:
            return
        existing = await conn.run_sync(_index_names)
        pg = self.dialect == "postgresql"
        for table in tables.objects.values():
            for index in table.indexes:
                name = str(index.name)
                if name in tables.unique and (pg_identifier(name) if pg else name) not in existing:
                    await self._create_index(conn, index)

    async def _create_index(self, conn: AsyncConnection, index: Index) -> None:
        """Create an index; a unique one that the stored data already breaks is refused."""
        found = self.tables.unique.get(str(index.name))
        if found is None:
            await conn.run_sync(index.create)
            return
        try:
            async with conn.begin_nested():
                await conn.run_sync(index.create)
        except IntegrityError:
            where = self.target.display()
            reason = (
                f"attribute {found.entity}.{found.attribute} is now unique, but objects in "
                f"{where} share a value of it"
            )
            raise IncompatibleDatabase(
                f"{reason}: give them different values first (or serve the old version). "
                "Nothing was changed.",
                [reason],
            ) from None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing_schema(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    columns: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        columns[table] = {c["name"] for c in inspector.get_columns(table)}
    return {"columns": columns, "indexes": _index_names(conn)}


def _index_names(conn: Connection) -> set[str]:
    # the inspector skips expression indexes on SQLite: ask the catalogue
    if conn.dialect.name == "postgresql":
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return {str(row[0]) for row in conn.exec_driver_sql(query)}
