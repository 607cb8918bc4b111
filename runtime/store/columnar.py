"""Downloaded objects as the server sends them (a columnar page: column names and wire rows),
turned into the store's rows.

Two paths, which give identical stores (property-tested in tests/device/test_columnar.py):

- `server_objects`, the general path: each row as a `ServerObject` of runtime values (what the
  identity map is refreshed with, and what `sync.apply_page` writes);
- `store_rows`, the fast path of a download: a function generated per entity and column list
  (once, at the first page) turns wire rows straight into the rows of `sync.server_upsert_sql`,
  with no object, dict or runtime value per row. A row holding any value outside the shapes it
  knows (a Decimal in exponent notation, a date-time with an offset, a wrong type, ...) goes
  through the general path, so both paths accept, convert and refuse alike.

A row is `[id, entity, version, value per column]`; a column is an attribute column
(`Module.DeclaringEntity.Attribute`), or an association by its qualified name. Columns that the
row's entity does not have (another specialization's, or unknown to this device's model) are
ignored; members the page does not carry are stored empty.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from nanoflow.runtime.store import codec
from nanoflow.runtime.store.schema import Column, EntityLayout
from nanoflow.runtime.values import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, MendixError
from nanoflow.runtime.wire import WireError, from_wire, reader

if TYPE_CHECKING:
    from nanoflow.runtime.store.store import DeviceStore
    from nanoflow.runtime.store.sync import ServerObject

HEAD = 3
"""Values before the columns in a row: id, entity, version."""
BAD = object()
"""What a fast converter returns for a value it leaves to the general path."""


@dataclass(slots=True)
class WireRows:
    """A page's objects as the server sent them."""

    entity: str
    columns: list[str]
    rows: list[Any]

    def ids(self) -> list[str]:
        """The id of every row (rows are checked when they are converted)."""
        return [row[0] for row in self.rows if isinstance(row, list) and row]


@dataclass(slots=True)
class StoreRows:
    """The rows of one exact entity of a page, ready for `sync.server_upsert_sql`."""

    entity: str
    rows: list[tuple[Any, ...]]
    refsets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Association → (owner, target) pairs: the whole reference sets of these objects."""
    refused: list[tuple[str, MendixError]] = field(default_factory=list)
    """(id, error) of objects with a value the store refuses (out of range, an unknown
    enumeration key, ...): applying the page fails with the first one, unless the object has
    local changes (then it is not written at all, as in `sync.apply_page`)."""


# ---- the plan: which column is which member ---------------------------------------------------


@dataclass(slots=True)
class _Plan:
    """How a page's columns map onto one exact entity's members."""

    layout: EntityLayout
    width: int
    members: list[tuple[int, str, str, str | None]]
    """(page column index, member, kind, enumeration) of each member the page carries."""


def _plan(layout: EntityLayout, columns: list[str]) -> _Plan:
    slots: dict[str, tuple[str, Column]] = {c.name: (m, c) for m, c in layout.slots()}
    members: list[tuple[int, str, str, str | None]] = []
    for index, name in enumerate(columns):
        found = slots.get(name)
        if found is not None:
            member, column = found
            members.append((index, member, column.kind, column.enum))
        elif name in layout.refsets:
            members.append((index, name, "RefSet", None))
    return _Plan(layout, HEAD + len(columns), members)


class _Plans:
    """The plans and generated converters of one store (cached per entity and columns)."""

    def __init__(self, store: DeviceStore) -> None:
        self.store = store
        self.plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self.converters: dict[tuple[str, tuple[str, ...]], Converter] = {}

    def plan(self, entity: str, columns: list[str]) -> _Plan:
        key = (entity, tuple(columns))
        found = self.plans.get(key)
        if found is None:
            found = self.plans[key] = _plan(self.store.schema.layout(entity), columns)
        return found

    def converter(self, entity: str, columns: list[str]) -> Converter:
        key = (entity, tuple(columns))
        found = self.converters.get(key)
        if found is None:
            plan = self.plan(entity, columns)
            found = self.converters[key] = _generate(
                plan, self.store._server_builder(plan.layout), self.store.app.names.enums
            )
        return found


def _plans(store: DeviceStore) -> _Plans:
    found = store._page_plans
    if found is None:
        found = store._page_plans = _Plans(store)
    return cast(_Plans, found)


def _entity_of(entity: str, width: int, row: Any, family: Collection[str]) -> str:
    """The exact entity of a row of a page of `entity` (`width` values a row), after checking
    the row's shape."""
    if not isinstance(row, list) or len(row) != width:
        raise WireError(f"a row of {entity} does not have {width - HEAD} columns")
    object_id, exact, version = row[0], row[1], row[2]
    if not isinstance(object_id, str):
        raise WireError(f"{object_id!r} is not an object id")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= LONG_MAX:
        raise WireError(f"{version!r} is not a version")
    if exact not in family:
        raise WireError(f"object {object_id} of {exact!r} is not a {entity}")
    return cast(str, exact)


def _values(plan: _Plan, row: list[Any]) -> dict[str, Any]:
    return {member: from_wire(kind, row[HEAD + i], enum) for i, member, kind, enum in plan.members}


# ---- the general path -------------------------------------------------------------------------


def server_objects(
    store: DeviceStore, page: WireRows, only: Collection[str] | None = None
) -> list[ServerObject]:
    """The page's objects (of these ids, or all) in runtime values; `WireError` for a row or
    value that does not fit."""
    from nanoflow.runtime.store.sync import ServerObject

    plans = _plans(store)
    family = store.schema.layout(page.entity).family
    result = []
    width = HEAD + len(page.columns)
    for row in page.rows:
        entity = _entity_of(page.entity, width, row, family)
        if only is not None and row[0] not in only:
            continue
        values = _values(plans.plan(entity, page.columns), row)
        result.append(ServerObject(row[0], entity, row[2], values))
    return result


# ---- the fast path ----------------------------------------------------------------------------

Converter = Callable[[list[Any], list[tuple[str, MendixError]]], list[tuple[Any, ...]]]
"""`convert(rows, refused)`: wire rows of one exact entity → rows for
`sync.server_upsert_sql`; a value the store refuses puts (id, error) in `refused` instead."""


def store_rows(store: DeviceStore, page: WireRows) -> list[StoreRows]:
    """The page's rows for `sync.server_upsert_sql`, by exact entity, with their reference
    sets; `WireError` for a row or value that does not fit the wire format (a value that fits
    it but not the store is in `StoreRows.refused`)."""
    plans = _plans(store)
    family = store.schema.layout(page.entity).family
    if len(family) == 1:
        groups: dict[str, list[Any]] = {page.entity: page.rows}
    else:
        groups = {}
        width = HEAD + len(page.columns)
        for row in page.rows:
            groups.setdefault(_entity_of(page.entity, width, row, family), []).append(row)
    result = []
    for entity, rows in groups.items():
        plan = plans.plan(entity, page.columns)
        refused: list[tuple[str, MendixError]] = []
        converted = plans.converter(entity, page.columns)(rows, refused)
        refsets: dict[str, list[tuple[str, str]]] = {}
        for index, member, kind, _enum in plan.members:
            if kind == "RefSet":
                read = reader("RefSet")
                pairs = refsets[member] = []
                for row in rows:
                    value = row[HEAD + index]
                    if value is not None:
                        pairs += [(row[0], target) for target in read(value)]
        result.append(StoreRows(entity, converted, refsets, refused))
    return result


def fast_decimal(value: Any) -> Any:
    """The stored text of a wire Decimal in plain notation with at most 20 integer and 8
    fraction digits (`"-12.5"`); `BAD` for anything else."""
    if value.__class__ is not str:
        return BAD
    negative = value[:1] == "-"
    head, dot, tail = (value[1:] if negative else value).partition(".")
    if not (head.isascii() and head.isdigit() and len(head) <= codec.INTEGER_DIGITS):
        return BAD
    if dot and not (tail.isascii() and tail.isdigit() and len(tail) <= codec.FRACTION_DIGITS):
        return BAD
    tail = tail.ljust(codec.FRACTION_DIGITS, "0")
    if not negative:
        return f"P{head.zfill(codec.INTEGER_DIGITS)}.{tail}"
    units = int(head + tail)
    if units == 0:
        return f"P{'0' * codec.INTEGER_DIGITS}.{tail}"
    return codec.encode_units(-units)


_EPOCH = codec.EPOCH
_MS = codec._MS
_fromisoformat = datetime.fromisoformat


def fast_datetime(value: Any) -> Any:
    """Epoch milliseconds of a wire date-time in UTC (`Z` or `+00:00`); `BAD` for anything
    else."""
    if value.__class__ is not str:
        return BAD
    try:
        parsed = _fromisoformat(value)
    except ValueError:
        return BAD
    if parsed.tzinfo is not UTC:
        return BAD
    return (parsed - _EPOCH) // _MS


def fast_binary(value: Any) -> Any:
    """The bytes of a wire Binary (base64); `BAD` for anything else."""
    if value.__class__ is not str:
        return BAD
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return BAD


def _condition(kind: str, x: str, n: int, namespace: dict[str, Any], enum: str | None) -> str:
    """The test that `x` (a wire value) takes the fast path, converting it to `y{n}` where a
    conversion is needed (`y{n}` is then what the row holds)."""
    if kind in codec.STRING_KINDS or kind == "Ref":
        return f"({x} is None or {x}.__class__ is str)"
    if kind in codec.INTEGER_KINDS:
        low, high = (INT_MIN, INT_MAX) if kind == "Integer" else (LONG_MIN, LONG_MAX)
        return f"({x} is None or ({x}.__class__ is int and {low} <= {x} <= {high}))"
    if kind == "Boolean":
        return f"({x} is None or {x}.__class__ is bool)"  # SQLite binds True/False as 1/0
    if kind == "Enum":
        assert enum is not None
        namespace[f"k{n}"] = namespace["ENUMS"][enum]
        return f"({x} is None or ({x}.__class__ is str and {x} in k{n}))"
    converters = {"Decimal": fast_decimal, "DateTime": fast_datetime, "Binary": fast_binary}
    namespace[f"t{n}"] = converters[kind]
    return f"({x} is None or (y{n} := t{n}({x})) is not BAD)"


def _generate(plan: _Plan, build: Any, enums: dict[str, Any]) -> Converter:
    """`convert(rows)` for one exact entity and one column list (see the module docstring)."""
    layout = plan.layout
    namespace: dict[str, Any] = {
        "BAD": BAD,
        "ENUMS": {q: frozenset(e.values) for q, e in enums.items()},
    }

    def general(row: Any, refused: list[tuple[str, MendixError]]) -> tuple[Any, ...] | None:
        _entity_of(layout.qname, plan.width, row, (layout.qname,))
        values = _values(plan, row)
        try:
            return cast(tuple[Any, ...], build(row[0], values, row[2]))
        except MendixError as error:
            refused.append((row[0], error))
            return None

    namespace["general"] = general
    by_member = {member: (index, kind, enum) for index, member, kind, enum in plan.members}
    names = [f"c{i}" for i in range(plan.width - HEAD)]
    conditions = [
        "i.__class__ is str",
        f"e == {layout.qname!r}",
        f"v.__class__ is int and 0 <= v <= {LONG_MAX}",
    ]
    parts = ["i"]
    slots = {column.name: member for member, column in layout.slots()}
    for n, column in enumerate(layout.table.columns):
        member = slots.get(column.name)
        found = by_member.get(member) if member is not None else None
        if found is None:
            parts.append("None")
            continue
        index, kind, enum = found
        x = names[index]
        conditions.append(_condition(kind, x, n, namespace, enum))
        parts.append(f"(None if {x} is None else y{n})" if f"y{n}" in conditions[-1] else x)
    parts.append("v")
    unpack = ", ".join(["i", "e", "v", *names])
    source = "\n".join(
        [
            "def convert(rows, refused):",
            "    out = []",
            "    add = out.append",
            "    for r in rows:",
            f"        if r.__class__ is list and len(r) == {plan.width}:",
            f"            {unpack} = r",
            f"            if {' and '.join(conditions)}:",
            f"                add(({', '.join(parts)},))",
            "                continue",
            "        if (g := general(r, refused)) is not None:",
            "            add(g)",
            "    return out",
            "",
        ]
    )
    exec(compile(source, f"<nanoflow.store page {layout.qname}>", "exec"), namespace)
    return cast(Converter, namespace["convert"])
