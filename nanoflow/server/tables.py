"""The server database's tables, as SQLAlchemy Core metadata for one dialect.

Object tables use the device store's layout (`nanoflow.runtime.store.schema.Schema`, given every
entity of the app rather than the offline profile's): `"o:<Root>"` per generalization tree with
`"<DeclaringEntity>.<Attr>"` columns and reference columns named by association, `"r:<Assoc>"`
per reference set. So one XPath-to-SQL compiler serves both stores. Column types per dialect:

| kind                      | SQLite                                  | PostgreSQL      |
| ------------------------- | --------------------------------------- | --------------- |
| String, HashedString, enum, reference, id | TEXT                    | TEXT            |
| Integer                   | INTEGER                                 | INTEGER         |
| Long, AutoNumber          | BIGINT (INTEGER affinity)               | BIGINT          |
| Decimal                   | TEXT, the device codec's order-preserving text | NUMERIC(28, 8) |
| Boolean                   | BOOLEAN (0/1)                           | BOOLEAN         |
| DateTime                  | BIGINT epoch milliseconds (as the device) | BIGINT        |
| Binary                    | BLOB                                    | BYTEA           |

Bookkeeping: every object row has `_seq`, the change sequence of the transaction that last
wrote it (see `nanoflow.server.database`); `nf_tombstones` keeps deleted ids with the sequence
of their delete. `nf_meta` (JSON values), `nf_counter` (the one-row sequence counter),
`nf_users` (credentials; `Name` and `Active` live on the user's `System.User` object),
`nf_devices`, `nf_uploads` (the idempotent upload log), `nf_files` and `nf_file_chunks` (file
contents per object, streamed in parts), `nf_autonumbers` (one counter row per AutoNumber
column: the server assigns AutoNumbers on insert). String indexes are on `nf_lower(col)` on
SQLite and `lower(col)` on PostgreSQL: the case folding each dialect's XPath SQL uses.

**Unique attributes** get a unique index `"ux:<Entity>:<Attr>"` over their column (strings
folded, as XPath compares them: `'Urgent'` and `'urgent'` are the same value), leaving out
empty values (NULL and `''`), so the database itself refuses a second object with a used value,
whatever the number of writers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    and_,
    func,
)
from sqlalchemy.types import TypeEngine

from nanoflow.runtime.store import codec
from nanoflow.runtime.store.schema import Column as LayoutColumn
from nanoflow.runtime.store.schema import Schema, quote
from nanoflow.server.errors import ServerError

FORMAT = 1
PG_IDENTIFIER_BYTES = 63
INDEX_NAME_BYTES = 63


def physical_index_name(name: str) -> str:
    """An index name within PostgreSQL's identifier limit (long ones end in a hash); the same
    on every dialect."""
    if len(name.encode("utf-8")) <= INDEX_NAME_BYTES:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    head = name.encode("utf-8")[: INDEX_NAME_BYTES - 11].decode("utf-8", "ignore")
    return f"{head}~{digest}"


def pg_identifier(name: str) -> str:
    """How PostgreSQL stores an identifier: cut to 63 bytes on a character boundary."""
    raw = name.encode("utf-8")
    if len(raw) <= PG_IDENTIFIER_BYTES:
        return name
    return raw[:PG_IDENTIFIER_BYTES].decode("utf-8", "ignore")


def column_type(kind: str, dialect: str) -> TypeEngine[Any]:
    """The SQL type of a column kind (see the module docstring)."""
    pg = dialect == "postgresql"
    if kind == "Decimal":
        return Numeric(28, 8, asdecimal=True) if pg else Text()
    if kind == "Integer":
        return Integer()
    if kind in ("Long", "AutoNumber", "DateTime"):
        return BigInteger()
    if kind == "Boolean":
        return Boolean(create_constraint=False)
    if kind == "Binary":
        return LargeBinary()
    return Text()


def encode_default(kind: str, value: Any, dialect: str) -> Any:
    """An attribute default, as the device layout keeps it (`Column.default`: the device
    codec's encoding), in this dialect's representation."""
    if value is None:
        return None
    if kind == "Decimal" and dialect == "postgresql":
        return codec.decode_decimal(value)
    if kind == "Boolean":
        return bool(value)
    return value


def default_sql(kind: str, value: Any, dialect: str) -> str:
    """The `DEFAULT` clause's literal for a new column."""
    encoded = encode_default(kind, value, dialect)
    if isinstance(encoded, bool):
        return ("true" if encoded else "false") if dialect == "postgresql" else str(int(encoded))
    if kind == "Decimal" and dialect == "postgresql":
        return format(encoded, "f")
    return codec.sql_literal(encoded)


@dataclass(frozen=True)
class UniqueAttribute:
    """An attribute declared `unique`, and the unique index that enforces it."""

    entity: str
    attribute: str
    column: str
    index: str


@dataclass
class ServerTables:
    """The metadata of one app's server database on one dialect."""

    schema: Schema
    dialect: str
    metadata: MetaData = field(default_factory=MetaData)
    objects: dict[str, Table] = field(default_factory=dict)
    refsets: dict[str, Table] = field(default_factory=dict)
    columns: dict[str, dict[str, LayoutColumn]] = field(default_factory=dict)
    unique: dict[str, UniqueAttribute] = field(default_factory=dict)
    """Unique attributes by the (physical) name of their index."""
    autonumbers: list[str] = field(default_factory=list)
    """The columns (`Entity.Attr`) of AutoNumber attributes: the keys of `nf_autonumbers`."""

    @property
    def meta(self) -> Table:
        return self.metadata.tables["nf_meta"]

    @property
    def counter(self) -> Table:
        return self.metadata.tables["nf_counter"]

    @property
    def tombstones(self) -> Table:
        return self.metadata.tables["nf_tombstones"]

    @property
    def users(self) -> Table:
        return self.metadata.tables["nf_users"]

    @property
    def devices(self) -> Table:
        return self.metadata.tables["nf_devices"]

    @property
    def uploads(self) -> Table:
        return self.metadata.tables["nf_uploads"]

    @property
    def files(self) -> Table:
        return self.metadata.tables["nf_files"]

    @property
    def file_chunks(self) -> Table:
        return self.metadata.tables["nf_file_chunks"]

    @property
    def autonumber_counters(self) -> Table:
        return self.metadata.tables["nf_autonumbers"]

    def object_table(self, entity: str) -> Table:
        """The table that holds an entity's objects."""
        return self.objects[self.schema.layout(entity).table.name]


def _system_tables(metadata: MetaData) -> None:
    Table("nf_meta", metadata, Column("key", Text, primary_key=True), Column("value", Text))
    Table(
        "nf_counter",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("n", BigInteger, nullable=False),
    )
    Table(
        "nf_tombstones",
        metadata,
        Column("id", Text, primary_key=True),
        Column("entity", Text, nullable=False),
        Column("_seq", BigInteger, nullable=False),
        Index("ix:nf_tombstones:_seq", "_seq"),
    )
    Table(
        "nf_users",
        metadata,
        Column("id", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("name_key", Text, nullable=False, unique=True),
        Column("password_hash", Text, nullable=False),
        Column("roles", Text, nullable=False),
        Column("time_zone", Text),
        Column("generation", BigInteger, nullable=False),
        Column("created_at", BigInteger, nullable=False),
    )
    Table(
        "nf_devices",
        metadata,
        Column("id", Text, primary_key=True),
        Column("user_id", Text, nullable=False),
        Column("created_at", BigInteger, nullable=False),
        Column("last_login_at", BigInteger, nullable=False),
        Index("ix:nf_devices:user_id", "user_id"),
    )
    Table(
        "nf_uploads",
        metadata,
        Column("user_id", Text, nullable=False),
        Column("device_id", Text, nullable=False),
        Column("sequence", BigInteger, nullable=False),
        Column("payload_hash", Text, nullable=False),
        Column("answer", Text, nullable=False),
        Column("created_at", BigInteger, nullable=False),
        PrimaryKeyConstraint("user_id", "device_id", "sequence"),
    )
    Table(
        "nf_files",
        metadata,
        Column("id", Text, primary_key=True),
        Column("hash", Text, nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("user_id", Text),
        Column("_seq", BigInteger, nullable=False),
        Index("ix:nf_files:user_hash", "user_id", "hash"),
    )
    Table(
        "nf_file_chunks",
        metadata,
        Column("id", Text, nullable=False),
        Column("part", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
        PrimaryKeyConstraint("id", "part"),
    )
    Table(
        "nf_autonumbers",
        metadata,
        Column("name", Text, primary_key=True),
        Column("n", BigInteger, nullable=False),
    )


def build_tables(schema: Schema, dialect: str) -> ServerTables:
    """Tables, columns and indexes of every entity of the schema, plus the server's own."""
    result = ServerTables(schema, dialect)
    metadata = result.metadata
    _system_tables(metadata)
    for layout in schema.tables.values():
        columns: list[Column[Any]] = [
            Column("id", Text, primary_key=True),
            Column("entity", Text, nullable=False),
        ]
        columns += [Column(c.name, column_type(c.kind, dialect)) for c in layout.columns]
        columns.append(Column("_seq", BigInteger, nullable=False))
        table = Table(layout.name, metadata, *columns)
        Index(physical_index_name(f"ix:{layout.name}:_seq"), table.c["_seq"])
        result.objects[layout.name] = table
        result.columns[layout.name] = {c.name: c for c in layout.columns}
    for refset in schema.refsets.values():
        result.refsets[refset.association.qname] = Table(
            refset.name,
            metadata,
            Column("owner_id", Text, nullable=False),
            Column("target_id", Text, nullable=False),
            PrimaryKeyConstraint("owner_id", "target_id"),
        )
    by_table = {t.name: t for t in [*result.objects.values(), *result.refsets.values()]}
    fold = func.lower if dialect == "postgresql" else func.nf_lower
    for index in schema.indexes.values():
        table = by_table[index.table]
        expressions: list[ColumnElement[Any]] = []
        for text in index.expressions:
            expressions.append(
                _index_expression(table, result.columns.get(table.name, {}), text, fold)
            )
        Index(physical_index_name(index.name), *expressions)
    _unique_indexes(result, fold)
    if dialect == "postgresql":
        _check_identifiers(result)
    return result


def _unique_indexes(tables: ServerTables, fold: Any) -> None:
    """A unique index per `unique` attribute (on its declaring entity's column), and the list
    of AutoNumber columns."""
    schema = tables.schema
    for layout in schema.entities.values():
        table = tables.objects[layout.table.name]
        for attr in layout.info.own_attributes.values():
            column = layout.attributes[attr.name]
            if attr.is_autonumber and column.name not in tables.autonumbers:
                tables.autonumbers.append(column.name)
            if not attr.unique:
                continue
            name = physical_index_name(f"ux:{layout.qname}:{attr.name}")
            col = table.c[column.name]
            if column.kind in codec.STRING_KINDS:
                key: ColumnElement[Any] = fold(col)
                present = and_(col.is_not(None), col != "")
            else:
                key, present = col, col.is_not(None)
            Index(name, key, unique=True, sqlite_where=present, postgresql_where=present)
            tables.unique[name] = UniqueAttribute(layout.qname, attr.name, column.name, name)


def _index_expression(
    table: Table, columns: dict[str, LayoutColumn], text: str, fold: Any
) -> ColumnElement[Any]:
    """The column (or folded column) an index expression of the device layout names."""
    if text in table.c:
        return table.c[text]
    for name in columns:
        if text == quote(name):
            return table.c[name]
        if text == f"nf_lower({quote(name)})":
            return fold(table.c[name])  # type: ignore[no-any-return]
    raise ServerError(f"cannot index {text} of {table.name}")


def _check_identifiers(tables: ServerTables) -> None:
    """PostgreSQL cuts identifiers to 63 bytes: refuse a model where two names would meet."""
    seen: dict[str, str] = {}
    for table in tables.metadata.tables.values():
        for name in (table.name, *(f"{table.name}\0{c.name}" for c in table.columns)):
            parts = name.split("\0")
            key = "\0".join(pg_identifier(p) for p in parts)
            other = seen.setdefault(key, name)
            if other != name:
                raise ServerError(
                    "PostgreSQL would cut these names to the same 63 bytes: "
                    f"{other.replace(chr(0), '.')} and {name.replace(chr(0), '.')}; "
                    "shorten one of them"
                )
