"""Download pages' rows, generated: per entity family (and per user roles where some access
rule reads only some members) one function turns the rows of a page query into the page's
rows, removed ids and kept ids, converting each stored value straight to its wire form. It
gives what `Downloads` gives by decoding each row and converting its members with `to_wire`
(`tests/server/test_fast_paths.py` compares the two)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nanoflow.server.wire_values import (
    DATETIME_NAMES,
    DATETIME_SOURCE,
    wire_converter,
    wire_decimal,
)

if TYPE_CHECKING:
    from nanoflow.names import NameTable
    from nanoflow.runtime.store.schema import Column, EntityLayout, Schema, TableLayout

Reader = tuple[str, str, str, str]
"""A page column: (column, member, owning entity, kind)."""
RefSets = dict[str, dict[str, tuple[str, ...]]]
"""Object id → reference set member → target ids (`ServerStore._refsets`)."""
Readable = Callable[[str, tuple[Any, ...]], frozenset[str] | None]
"""(exact entity, the row's rule flags) → the members the user may read (None: all)."""
PageRows = Callable[
    [Sequence[Sequence[Any]], int, int, bool, RefSets | None],
    tuple[list[list[Any]], list[str], list[str]],
]
"""`rows(db_rows, since, upto, complete, refsets)` → (page rows, removed ids, kept ids)."""


def wire_select_list(table: TableLayout, alias: str, native: bool) -> str:
    """`table.select_list(alias)`, with PostgreSQL's NUMERIC(28, 8) columns as their text:
    plain notation with 8 fraction digits, what `to_wire` makes of the driver's Decimal."""
    if not native or not any(c.kind == "Decimal" for c in table.columns):
        return table.select_list(alias)
    entity = f"{alias}.entity" if len(table.entities) > 1 else "NULL"
    data = [f"{alias}.{c.sql}" + ("::text" if c.kind == "Decimal" else "") for c in table.columns]
    return ", ".join([f"{alias}.id", entity, *data])


class RowMaker:
    """Generates page rows of the objects of one entity family, as list displays over a db
    row `r`, its `seq` and the refsets `S`."""

    def __init__(
        self, schema: Schema, names: NameTable, layout: EntityLayout, readers: list[Reader],
        native: bool,
    ) -> None:  # fmt: skip
        self.schema = schema
        self.names = names
        self.layout = layout
        self.readers = readers
        self.native = native
        self.namespace: dict[str, Any] = {"WIRE_DECIMAL": wire_decimal, "EMPTY": {}}
        self.namespace.update(DATETIME_NAMES)

    def display(self, exact: str, readable: frozenset[str] | None) -> str:
        """The row as a list display over `r` (the db row), `seq` and `S` (the refsets)."""
        own_layout = self.schema.layout(exact)
        own = dict(own_layout.slots())
        parts = ["r[0]", repr(exact), "seq"]
        for _column, member, owner, kind in self.readers:
            if not self.names.is_a(exact, owner) or (
                readable is not None and member not in readable
            ):
                parts.append("None")
            elif member in own_layout.refsets:
                parts.append(f"list(S.get(r[0], EMPTY).get({member!r}, ()))")
            elif (column := own.get(member)) is None:
                parts.append("None")
            else:
                parts.append(self._value(kind, column))
        return f"[{', '.join(parts)}]"

    def _value(self, kind: str, column: Column) -> str:
        """A stored value (`r[i]`, maybe NULL) as its wire value."""
        r = f"r[{self.layout.table.position(column.name)}]"
        if kind == "Boolean":
            return f"(None if (x := {r}) is None else x == 1)"
        if kind == "DateTime":
            return f"(None if (x := {r}) is None else {DATETIME_SOURCE.format('x')})"
        if kind == "Decimal" and self.native:
            return r  # selected as text (`wire_select_list`)
        if kind == "Decimal":  # `wire_decimal` inlined for its common positive form
            return (
                f"(None if (x := {r}) is None else (p if (p := x.lstrip('P0'))[0] != '.' "
                f"else '0' + p) if x[0] == 'P' else WIRE_DECIMAL(x))"
            )
        convert = wire_converter(kind, column.enum, self.native)
        if convert is None:
            return r
        name = f"c{len(self.namespace)}"
        self.namespace[name] = convert
        return f"(None if (x := {r}) is None else {name}(x))"

    def function(self, exact: str, readable: frozenset[str] | None) -> Callable[..., list[Any]]:
        """`row(r, seq, S)`: the page row of one object."""
        source = f"def row(r, seq, S):\n    return {self.display(exact, readable)}\n"
        row: Callable[..., list[Any]] = _compile(source, self.namespace, "row", exact)
        return row


def page_rows(maker: RowMaker, width: int, flag_count: int, readable: Readable | None) -> PageRows:
    """The page builder of an entity family. The db rows hold `width` columns (id, entity,
    data), then `_seq`, the visibility flag and `flag_count` rule flags; `readable` gives the
    members a flagged row shows (None: no flags, every member)."""
    layout = maker.layout
    seq_at, shown_at, flags_at = width, width + 1, width + 2
    if len(layout.family) == 1 and not flag_count:
        emit = f"add({maker.display(layout.qname, None)})"
    else:
        made: dict[Any, Callable[..., list[Any]]] = {}

        def make(key: Any) -> Callable[..., list[Any]]:
            exact, hits = key if flag_count else (key, ())
            shown = readable(exact, hits) if readable is not None else None
            found = made[key] = maker.function(exact, shown)
            return found

        maker.namespace.update(MADE=made, MAKE=make, QNAME=layout.qname)
        key = f"(r[1] or QNAME, r[{flags_at}:])" if flag_count else "r[1] or QNAME"
        emit = (
            f"key = {key}\n"
            f"        row = MADE.get(key)\n"
            f"        if row is None:\n"
            f"            row = MAKE(key)\n"
            f"        add(row(r, seq, S))"
        )
    source = f"""def rows(db_rows, since, upto, complete, S):
    out = []
    removed = []
    kept = []
    add = out.append
    S = S or EMPTY
    for r in db_rows:
        if not r[{shown_at}]:
            if not complete:
                removed.append(r[0])
            continue
        seq = r[{seq_at}]
        if complete and (seq <= since or seq > upto):
            kept.append(r[0])
            continue
        {emit}
    return out, removed, kept
"""
    built: PageRows = _compile(source, maker.namespace, "rows", layout.qname)
    return built


def _compile(source: str, namespace: dict[str, Any], name: str, entity: str) -> Any:
    scope = dict(namespace)
    exec(compile(source, f"<nanoflow.download {entity}>", "exec"), scope)
    return scope[name]
