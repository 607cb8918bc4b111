"""The table layout of a device store, derived from an app's name table.

Stored entities are the offline profile's entities and all their specializations (a download of
`System.FileDocument` may bring an `Sales.OrderPhoto`). Tables (quoted identifiers):

- `"o:<Root>"`: one table per generalization tree that has stored entities, named after the tree's
  root (its topmost ancestor, stored or not): single-table inheritance. Columns: `id` (primary
  key), `entity` (the object's exact entity), one column per attribute of any stored entity of
  the tree, named `"<DeclaringEntity>.<Attribute>"` (siblings may reuse an attribute name), one
  per reference owned by any of them, named by the association (`"Sales.Order_Customer"`,
  `"System.owner"`), and bookkeeping: `_origin` (`device`/`server`), `_state`
  (`new`/`changed`/`synced`), `_changed` (JSON list of members changed since the last sync),
  `_version` (the server version last seen) and `_tick` (the store's write counter at the last
  local write: a synchronization settles only rows no flow wrote since it read them). Adding
  entities to a tree only adds columns, so a compatible model change never moves rows.
- `"r:<Association>"`: one per reference set, `(owner_id, target_id)`, with an index on target.
- `nf_deleted`: pending deletes: the row moves here (JSON of its columns and reference sets), so
  retrieves never see it and no query needs a filter.
- `nf_files` (FileDocument contents), `nf_items` (storage items), `nf_meta` (format,
  fingerprint, model, device/server/user ids, session; JSON values), `nf_cursors` (sync cursors),
  `nf_refset_changes` (targets added to or removed from reference sets of synchronized objects
  since their last upload: reference sets travel as changes, so concurrent adds all survive).

Indexes: `"ix:<Entity>:<A,B>"` for `index (A, B)` (string attributes as `nf_lower(col)`, the
expression string comparisons use), `"ix:<table>:<Association>"` on every reference column and
`"ix:<table>:entity"` in trees with more than one stored entity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nanoflow.names import ALIASES, AssociationInfo, AttributeInfo, EntityInfo, NameTable
from nanoflow.runtime.store import codec
from nanoflow.runtime.values import MendixError

FORMAT = 3
"""3: a partial index of each object table's pending rows (`pending_index_ddl`)."""
BOOKKEEPING = (
    ("_origin", "TEXT NOT NULL DEFAULT 'device'"),
    ("_state", "TEXT NOT NULL DEFAULT 'new'"),
    ("_changed", "TEXT NOT NULL DEFAULT '[]'"),
    ("_version", "INTEGER"),
    ("_tick", "INTEGER NOT NULL DEFAULT 0"),
)
SYSTEM_TABLES = (
    "CREATE TABLE IF NOT EXISTS nf_meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS nf_deleted (id TEXT PRIMARY KEY, entity TEXT NOT NULL, "
    "version INTEGER, data TEXT NOT NULL, tick INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS nf_files (id TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nf_items (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nf_cursors (entity TEXT PRIMARY KEY, cursor TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nf_refset_changes (association TEXT NOT NULL, "
    "owner_id TEXT NOT NULL, target_id TEXT NOT NULL, op TEXT NOT NULL, tick INTEGER NOT NULL, "
    "PRIMARY KEY (association, owner_id, target_id)) WITHOUT ROWID",
)
FILE_ENTITY = "System.FileDocument"


def quote(name: str) -> str:
    """An SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Column:
    """A data column: its name, value kind and enumeration, and the default for migrations."""

    name: str
    kind: str
    enum: str | None = None
    default: object = None

    @property
    def sql(self) -> str:
        return quote(self.name)

    @property
    def ddl(self) -> str:
        return f"{self.sql} {codec.SQL_TYPES[self.kind]}"


@dataclass(eq=False)
class TableLayout:
    """One generalization tree's table."""

    root: str
    columns: list[Column] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"o:{self.root}"

    @property
    def sql(self) -> str:
        return quote(self.name)

    def position(self, column: str) -> int:
        """Index of a column in `select_list` (after `id` and `entity`)."""
        return 2 + next(i for i, c in enumerate(self.columns) if c.name == column)

    def select_list(self, alias: str) -> str:
        """`id`, `entity` (NULL when the table holds one entity: no string per row), data."""
        entity = f"{alias}.entity" if len(self.entities) > 1 else "NULL"
        return ", ".join([f"{alias}.id", entity, *(f"{alias}.{c.sql}" for c in self.columns)])


@dataclass(eq=False)
class EntityLayout:
    """Where one stored entity's members live."""

    qname: str
    info: EntityInfo
    table: TableLayout
    attributes: dict[str, Column] = field(default_factory=dict)
    references: dict[str, Column] = field(default_factory=dict)
    refsets: dict[str, AssociationInfo] = field(default_factory=dict)
    family: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        """True when the table also holds entities outside this entity's family."""
        return len(self.family) != len(self.table.entities)

    @property
    def is_file(self) -> bool:
        return self.qname == FILE_ENTITY or FILE_ENTITY in self.info.ancestors

    def slots(self) -> list[tuple[str, Column]]:
        """Member name and column of every attribute and reference."""
        return [*self.attributes.items(), *self.references.items()]


@dataclass(frozen=True, slots=True)
class RefSetLayout:
    association: AssociationInfo

    @property
    def name(self) -> str:
        return f"r:{self.association.qname}"

    @property
    def sql(self) -> str:
        return quote(self.name)


@dataclass(frozen=True, slots=True)
class IndexLayout:
    name: str
    table: str
    expressions: tuple[str, ...]

    @property
    def ddl(self) -> str:
        return (
            f"CREATE INDEX IF NOT EXISTS {quote(self.name)} ON {quote(self.table)} "
            f"({', '.join(self.expressions)})"
        )


def unique_entities(names: NameTable) -> dict[str, EntityInfo]:
    """Entities by qualified name, without aliases."""
    return {q: i for q, i in names.entities.items() if q not in ALIASES}


def owned_associations(names: NameTable, info: EntityInfo) -> list[AssociationInfo]:
    """Associations whose owner (source) is the entity or one of its ancestors."""
    found: dict[str, AssociationInfo] = {}
    for name in (info.qname, *info.ancestors):
        for assoc in names.assoc_by_source.get(name, ()):
            found.setdefault(assoc.qname, assoc)
    return list(found.values())


def column_for(attr: AttributeInfo) -> Column:
    kind, enum = codec.attribute_kind(attr)
    default = codec.encode(kind, codec.default_value(attr))
    return Column(f"{attr.entity}.{attr.name}", kind, enum, default)


class Schema:
    """The layout of every stored entity of an app."""

    def __init__(self, names: NameTable, entities: Iterable[str] | None = None) -> None:
        """The device's layout: the offline profile's entities and their specializations; or,
        given `entities` (the server: every entity), exactly those."""
        self.names = names
        self.tables: dict[str, TableLayout] = {}
        self.entities: dict[str, EntityLayout] = {}
        self.refsets: dict[str, RefSetLayout] = {}
        self.indexes: dict[str, IndexLayout] = {}
        infos = unique_entities(names)
        stored: set[str] = set()
        if entities is not None:
            stored.update(ALIASES.get(q, q) for q in entities)
        else:
            for qname in names.offline:
                stored.add(qname)
                stored.update(names.specializations(qname))
        for qname in sorted(stored):
            info = infos[qname]
            root = info.ancestors[-1] if info.ancestors else qname
            table = self.tables.setdefault(root, TableLayout(root))
            table.entities.append(qname)
            self.entities[qname] = self._entity(info, table)
        for layout in self.entities.values():
            layout.family = tuple(q for q in layout.table.entities if names.is_a(q, layout.qname))
        for table in self.tables.values():
            self._table_indexes(table, infos)
        for refset in self.refsets.values():
            name = f"ix:{refset.name}"
            self.indexes[name] = IndexLayout(name, refset.name, ("target_id",))

    def _entity(self, info: EntityInfo, table: TableLayout) -> EntityLayout:
        layout = EntityLayout(info.qname, info, table)
        known = {c.name: c for c in table.columns}
        for attr in info.attributes.values():
            column = known.get(f"{attr.entity}.{attr.name}") or column_for(attr)
            if column.name not in known:
                table.columns.append(column)
                known[column.name] = column
            layout.attributes[attr.name] = column
        for assoc in owned_associations(self.names, info):
            if assoc.many:
                layout.refsets[assoc.qname] = assoc
                self.refsets.setdefault(assoc.qname, RefSetLayout(assoc))
                continue
            column = known.get(assoc.qname) or Column(assoc.qname, "Ref")
            if column.name not in known:
                table.columns.append(column)
                known[column.name] = column
            layout.references[assoc.qname] = column
        return layout

    def _table_indexes(self, table: TableLayout, infos: dict[str, EntityInfo]) -> None:
        chain: dict[str, EntityInfo] = {}
        for qname in table.entities:
            info = infos[qname]
            for name in (qname, *info.ancestors):
                chain.setdefault(name, infos[name])
        for info in chain.values():
            if info.decl is None:
                continue
            for index in info.decl.indexes:
                exprs = []
                for ident in index.attributes:
                    attr = info.attributes.get(ident.text)
                    if attr is None:
                        break
                    column = column_for(attr)
                    exprs.append(
                        f"nf_lower({column.sql})"
                        if column.kind in codec.STRING_KINDS
                        else column.sql
                    )
                else:
                    names = ",".join(i.text for i in index.attributes)
                    name = f"ix:{info.qname}:{names}"
                    self.indexes[name] = IndexLayout(name, table.name, tuple(exprs))
        for column in table.columns:
            if column.kind == "Ref":
                name = f"ix:{table.name}:{column.name}"
                self.indexes[name] = IndexLayout(name, table.name, (column.sql,))
        if len(table.entities) > 1:
            name = f"ix:{table.name}:entity"
            self.indexes[name] = IndexLayout(name, table.name, ("entity",))

    # ---- lookups ---------------------------------------------------------------------------

    def layout(self, entity: str) -> EntityLayout:
        """The layout of a stored entity; a `MendixError` for entities not in the store."""
        found = self.entities.get(ALIASES.get(entity, entity))
        if found is None:
            raise MendixError(f"entity {entity} is not in the offline store")
        return found

    def refset(self, association: str) -> RefSetLayout:
        found = self.refsets.get(association)
        if found is None:
            raise MendixError(f"association {association} is not in the offline store")
        return found

    def association(self, name: str, module: str) -> AssociationInfo:
        """An association by qualified (or module-relative) name, `System.owner` included."""
        for qname in (name, self.names.qualify(name, module)):
            found = self.names.associations.get(qname)
            if found is not None:
                return found
            for assocs in self.names.assoc_by_source.values():
                for assoc in assocs:
                    if assoc.qname == qname:
                        return assoc
        raise MendixError(f"unknown association {name}")

    # ---- DDL -------------------------------------------------------------------------------

    def table_ddl(self, table: TableLayout) -> str:
        parts = ["id TEXT PRIMARY KEY NOT NULL", "entity TEXT NOT NULL"]
        parts += [c.ddl for c in table.columns]
        parts += [f"{name} {decl}" for name, decl in BOOKKEEPING]
        return f"CREATE TABLE IF NOT EXISTS {table.sql} ({', '.join(parts)})"

    @staticmethod
    def pending_index_ddl(table: TableLayout) -> str:
        """The index of a table's rows with changes to upload (few, usually): what a
        synchronization looks for first (`_state <> 'synced'` in a query uses it)."""
        name = quote(f"nf_pending:{table.name}")
        return (
            f"CREATE INDEX IF NOT EXISTS {name} ON {table.sql} (_state) "
            "WHERE _state <> 'synced'"
        )

    @staticmethod
    def refset_ddl(refset: RefSetLayout) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {refset.sql} (owner_id TEXT NOT NULL, "
            "target_id TEXT NOT NULL, PRIMARY KEY (owner_id, target_id)) WITHOUT ROWID"
        )

    def ddl(self) -> list[str]:
        """Every statement that creates the schema of a new store."""
        statements = list(SYSTEM_TABLES)
        statements += [self.table_ddl(t) for t in self.tables.values()]
        statements += [self.pending_index_ddl(t) for t in self.tables.values()]
        statements += [self.refset_ddl(r) for r in self.refsets.values()]
        statements += [i.ddl for i in self.indexes.values()]
        return statements
