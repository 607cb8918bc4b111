"""Fast conversion between member dicts and table rows.

Row builders and decoders are generated per entity as small Python functions (one tuple or dict
display each, no loop per member): commits of many objects and large retrieves spend their time
in SQLite, not in the conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from nanoflow.names import AttributeInfo
from nanoflow.runtime.store import codec
from nanoflow.runtime.store.schema import BOOKKEEPING, Column, EntityLayout, TableLayout
from nanoflow.runtime.values import (
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    EnumValue,
    MendixError,
    MxObject,
    type_name,
)

Builder = Callable[[str, dict[str, Any], Any], tuple[Any, ...]]
Decoder = Callable[[Sequence[Any]], dict[str, Any]]


def _compile(source: str, namespace: dict[str, Any], name: str) -> Any:
    exec(compile(source, f"<nanoflow.store {name}>", "exec"), namespace)
    return namespace[name]


def _failing(check: codec.Check | None, where: str) -> Callable[[Any], None]:
    """Raise the check's error for a value the fast path refused."""

    def fail(value: Any) -> None:
        if check is not None:
            check(value)
        raise MendixError(f"{where} cannot hold a value of type {type_name(value)}")

    return fail


def _reference(where: str) -> Callable[[Any], Any]:
    def ref(value: Any) -> Any:
        if isinstance(value, MxObject):
            return value.id
        raise MendixError(f"{where} cannot hold a value of type {type_name(value)}")

    return ref


def _attribute_lines(
    x: str,
    n: int,
    column: Column,
    attr: AttributeInfo,
    keys: frozenset[str] | None,
    namespace: dict[str, Any],
    lenient: bool = False,
    native: bool = False,
) -> list[str]:
    """Validate and encode `x` in place (`f{n}` raises the check's error); `lenient` checks
    types only (not `required` or lengths); `native` keeps Booleans and Decimals as such (a
    database with BOOLEAN and NUMERIC columns)."""
    kind = column.kind
    required = attr.required and not lenient
    on_empty = f"f{n}({x})" if required else "pass"
    empty = f"    if {x} is None:\n        {on_empty}"
    if kind in codec.STRING_KINDS:
        bad = f"{x}.__class__ is not str"
        if attr.length is not None and not lenient:
            bad += f" or len({x}) > {attr.length}"
        if required:
            return [f"    if {x} is None or {x} == '' or {bad}:", f"        f{n}({x})"]
        return [f"    if {x} is not None and ({bad}):", f"        f{n}({x})"]
    if kind in codec.INTEGER_KINDS:
        low, high = (INT_MIN, INT_MAX) if kind == "Integer" else (LONG_MIN, LONG_MAX)
        return [
            empty,
            f"    elif {x}.__class__ is not int or not {low} <= {x} <= {high}:",
            f"        f{n}({x})",
        ]
    if kind == "Boolean":
        if native:
            return [empty, f"    elif {x} is not True and {x} is not False:", f"        f{n}({x})"]
        return [
            empty,
            f"    elif {x} is True:\n        {x} = 1",
            f"    elif {x} is False:\n        {x} = 0",
            f"    else:\n        f{n}({x})",
        ]
    if kind == "Enum":
        namespace[f"k{n}"] = keys
        return [
            empty,
            f"    elif {x}.__class__ is EV and {x}.enum == {column.enum!r} and {x}.key in k{n}:",
            f"        {x} = {x}.key",
            f"    elif {x}.__class__ is not str or {x} not in k{n}:",
            f"        f{n}({x})",
        ]
    if kind in ("Decimal", "DateTime"):
        decimal = codec.encode_decimal_native if native else codec.encode_decimal_strict
        namespace[f"e{n}"] = decimal if kind == "Decimal" else codec.encode_datetime
        return [
            empty,
            "    else:",
            f"        try:\n            {x} = e{n}({x})",
            f"        except Exception:\n            f{n}({x})",
        ]
    return [empty, f"    elif not isinstance({x}, BLOB):", f"        f{n}({x})"]


def make_builder(
    layout: EntityLayout,
    enums: dict[str, frozenset[str]],
    lenient: bool = False,
    native: bool = False,
    no_nul: str | None = None,
) -> Builder:
    """`build(id, values, last)` → the row for `upsert_sql` (`last`: the changed members'
    JSON) or `sync.server_upsert_sql` (`last`: the server version); members the entity lacks
    are NULL. Validates every attribute (`required`, length, range, type; `lenient`: types
    only, for objects from the server) and raises `MendixError` naming entity and member.
    `no_nul`: texts may not hold U+0000, and this says why (the sync server's stores)."""
    namespace: dict[str, Any] = {
        "EV": EnumValue,
        "BLOB": (bytes, bytearray, memoryview),
    }
    lines = ["def build(i, v, c):", "    g = v.get"]
    by_column = {column.name: member for member, column in layout.slots()}
    parts = ["i"]
    for n, column in enumerate(layout.table.columns):
        member = by_column.get(column.name)
        if member is None:
            parts.append("None")
            continue
        parts.append(f"x{n}")
        lines.append(f"    x{n} = g({member!r})")
        lines += column_lines(layout, n, column, member, enums, namespace, lenient, native, no_nul)
    parts.append("c")
    lines.append(f"    return ({', '.join(parts)},)")
    return cast(Builder, _compile("\n".join(lines) + "\n", namespace, "build"))


def column_lines(
    layout: EntityLayout,
    n: int,
    column: Column,
    member: str,
    enums: dict[str, frozenset[str]],
    namespace: dict[str, Any],
    lenient: bool = False,
    native: bool = False,
    no_nul: str | None = None,
) -> list[str]:
    """The lines of a builder that validate and encode `x{n}`, the value of `member` in the
    n-th column of the entity's table, in place (what `make_builder` generates per column;
    names they use go into `namespace`; `no_nul` as `make_builder` has it)."""
    x = f"x{n}"
    where = f"{layout.qname}: {member}"
    if column.kind == "Ref":
        namespace[f"r{n}"] = _reference(where)
        return [f"    if {x} is not None and {x}.__class__ is not str:", f"        {x} = r{n}({x})"]
    namespace.setdefault("EV", EnumValue)
    namespace.setdefault("BLOB", (bytes, bytearray, memoryview))
    attr = layout.info.attributes[member]
    keys = frozenset(enums[column.enum]) if column.enum is not None else None
    namespace[f"f{n}"] = _failing(codec.attribute_check(layout.qname, attr, keys), where)
    lines = _attribute_lines(x, n, column, attr, keys, namespace, lenient, native)
    if no_nul is not None and column.kind in codec.STRING_KINDS:
        namespace[f"z{n}"] = _nul_refused(f"{where} cannot hold {no_nul}")
        lines.append(f"    if {x} is not None and '\\x00' in {x}:\n        z{n}()")
    return lines


def _nul_refused(message: str) -> Callable[[], None]:
    def refuse() -> None:
        raise MendixError(message)

    return refuse


def make_decoder(layout: EntityLayout, native: bool = False) -> Decoder:
    """`decode(row)` of a row selected with `TableLayout.select_list` → its member dict
    (reference sets start as `()`; the store adds them); `native`: Decimals come from the
    database as such."""
    namespace: dict[str, Any] = {}
    items = _member_items(layout, namespace, native)
    source = f"def decode(r):\n    return {{{', '.join(items)}}}\n"
    return cast(Decoder, _compile(source, namespace, "decode"))


def _member_items(
    layout: EntityLayout, namespace: dict[str, Any], native: bool = False
) -> list[str]:
    """`'Member': <expression over the row r>` for every member of the entity."""
    items: list[str] = []
    for member, column in layout.slots():
        index = layout.table.position(column.name)
        dec = codec.decoder(column.kind, column.enum)
        if native and column.kind == "Decimal":
            dec = None
        if dec is None:
            items.append(f"{member!r}: r[{index}]")
        elif column.kind == "Boolean":  # inlined: a call per value costs more than the test
            items.append(f"{member!r}: None if (x := r[{index}]) is None else x == 1")
        elif column.kind == "Decimal":  # inlined fast path for non-negative values
            namespace[f"d{index}"] = dec
            namespace["Decimal"] = Decimal
            items.append(
                f"{member!r}: None if (x := r[{index}]) is None else "
                f"(Decimal(x[1:]) if x[0] == 'P' else d{index}(x))"
            )
        else:
            namespace[f"d{index}"] = dec
            items.append(f"{member!r}: None if (x := r[{index}]) is None else d{index}(x)")
    items += [f"{member!r}: ()" for member in layout.refsets]
    return items


TICK = "%TICK%"
"""Where `upsert_sql` puts the write's tick (a literal, replaced per write)."""


def upsert_sql(table: TableLayout, entity: str) -> str:
    """Insert new objects of `entity` (the entity and the write's tick are constants of the
    statement, not parameters per row); for existing ones replace the data columns, merge the
    changed members and turn `synced` into `changed` when something changed."""
    data = [c.sql for c in table.columns]
    names = ["id", "entity", *data, "_changed", "_tick"]  # _origin and _state: their defaults
    sets = [f"{n} = excluded.{n}" for n in ["entity", *data, "_tick"]]
    sets.append("_changed = nf_union(_changed, excluded._changed)")
    sets.append(
        "_state = CASE WHEN _state = 'synced' AND excluded._changed <> '[]' "
        "THEN 'changed' ELSE _state END"
    )
    literal = "'" + entity.replace("'", "''") + "'"
    values = ["?", literal, *("?" * len(data)), "?", TICK]
    return (
        f"INSERT INTO {table.sql} ({', '.join(names)}) "
        f"VALUES ({', '.join(values)}) "
        f"ON CONFLICT (id) DO UPDATE SET {', '.join(sets)}"
    )


def raw_columns(table: TableLayout) -> list[str]:
    """Every column of an object table, bookkeeping included (for moving rows as JSON)."""
    return ["id", "entity", *(c.name for c in table.columns), *(n for n, _ in BOOKKEEPING)]
