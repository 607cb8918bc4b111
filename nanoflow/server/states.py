"""Objects as one user may see them: which access rules cover an object, and its state on the
wire with only the members the user may read (HashedStrings never)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from nanoflow.gc_pause import gc_paused
from nanoflow.protocol.sync import FileInfo, ObjectState
from nanoflow.server.wire_values import attribute_items, attribute_reader

if TYPE_CHECKING:
    from nanoflow.runtime.store.schema import EntityLayout
    from nanoflow.server.access import Rule, UserAccess
    from nanoflow.server.store import ServerStore


async def covering_rules(
    store: ServerStore, access: UserAccess, entity: str, object_id: str
) -> list[Rule]:
    """The user's rules of `entity` (the object's own entity) that cover the object."""
    rules, _seq = await _covering(store, access, entity, object_id)
    return rules


async def _covering(
    store: ServerStore, access: UserAccess, entity: str, object_id: str
) -> tuple[list[Rule], int | None]:
    rules = access.of(entity)
    layout = store.schema.layout(entity)
    cases = ["t._seq"]
    params: dict[str, Any] = {"id": object_id}
    for n, rule in enumerate(rules):
        sql, found = access.rule_condition(store.schema, store.dialect, rule, "t", f"k{n}_")
        cases.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END")
        params.update(found)
    sql = f"SELECT {', '.join(cases)} FROM {layout.table.sql} t WHERE t.id = :id"
    row = (await store.conn.execute(text(sql), params)).first()
    if row is None:
        return [], None
    return [r for r, hit in zip(rules, row[1:], strict=True) if hit], int(row[0])


async def object_state(
    store: ServerStore, access: UserAccess, entity: str, object_id: str
) -> ObjectState | None:
    """The object as the user may read it, or None when it is gone or not readable. `entity`
    may be a generalization: the object's own entity's rules decide."""
    return (await object_states(store, access, entity, [object_id])).get(object_id)


async def object_states(
    store: ServerStore, access: UserAccess, entity: str, ids: Sequence[str]
) -> dict[str, ObjectState]:
    """`object_state` of many objects of `entity` (or its specializations) in a few queries:
    id → state of those the user may read."""
    found = await state_dicts(store, access, entity, ids)
    return {i: _model(d) for i, d in found.items()}


def _model(state: dict[str, Any]) -> ObjectState:
    file = state["file"]
    return ObjectState.model_construct(
        **{**state, "file": None if file is None else FileInfo.model_construct(**file)}
    )


async def rows_with_rules(
    store: ServerStore, access: UserAccess, entity: str, ids: Sequence[str]
) -> tuple[list[Any], dict[str, tuple[int, int]]]:
    """The rows of these objects of `entity` (or its specializations), selected with the
    table's `select_list`, then `_seq`, then one flag per rule of the user for each entity of
    the family (1: the rule covers the row); and where each exact entity's flags are among
    those after `_seq` (its rules are `access.of(exact)`, in that order)."""
    layout = store.schema.layout(entity)
    table = layout.table
    dialect = store.dialect
    params: dict[str, Any] = {"ids": dialect.ids_param(list(ids))}
    cases: list[str] = []
    flag_range: dict[str, tuple[int, int]] = {}
    for n, exact in enumerate(layout.family):
        rules = access.of(exact)
        flag_range[exact] = (len(cases), len(cases) + len(rules))
        for m, rule in enumerate(rules):
            sql, found = access.rule_condition(store.schema, dialect, rule, "t", f"k{n}_{m}_")
            cases.append(f", CASE WHEN {sql} THEN 1 ELSE 0 END")
            params.update(found)
    sql = (
        f"SELECT {table.select_list('t')}, t._seq{''.join(cases)} FROM {table.sql} t "
        f"WHERE t.id IN ({dialect.id_list(':ids')})"
    )
    if layout.filtered:
        names = [f"e{i}" for i in range(len(layout.family))]
        sql += f" AND t.entity IN ({', '.join(':' + n for n in names)})"
        params.update(zip(names, layout.family, strict=True))
    return list((await store.conn.execute(text(sql), params)).all()), flag_range


async def state_dicts(
    store: ServerStore, access: UserAccess, entity: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The states of `object_states` as the JSON-ready dicts `ObjectState` dumps to (same
    fields in the same order), for answers encoded without building models. One query reads
    the rows with, per rule of each entity of the family, whether it covers the row."""
    layout = store.schema.layout(entity)
    table = layout.table
    dialect = store.dialect
    rows, flag_range = await rows_with_rules(store, access, entity, ids)
    if not rows:
        return {}
    refsets = await store._refsets(table, rows) or {}
    width = len(table.columns) + 2
    found_files: dict[str, dict[str, Any]] = {}
    if any(store.schema.layout(e).is_file for e in layout.family):
        files = store.db.tables.files
        result = await store.conn.execute(
            text(
                f"SELECT id, hash, size FROM {files.name} WHERE id IN ({dialect.id_list(':ids')})"
            ),
            {"ids": dialect.ids_param(list(ids))},
        )
        found_files = {r[0]: {"hash": r[1], "size": r[2]} for r in result.all()}
    states: dict[str, dict[str, Any]] = {}
    shapes: dict[tuple[str, tuple[bool, ...]], _Shape] = {}
    for row in rows:
        object_id = row[0]
        exact = row[1] or entity
        low, high = flag_range[exact]
        flags = tuple(bool(h) for h in row[width + 1 + low : width + 1 + high])
        if not any(flags):
            continue
        shape = shapes.get((exact, flags))
        if shape is None:
            shape = shapes[(exact, flags)] = _shape(store, access, exact, flags)
        sets = refsets.get(object_id, {})
        states[object_id] = {
            "id": object_id,
            "entity": exact,
            "version": int(row[width]),
            "attributes": shape.attributes(row),
            "references": {m: row[i] for m, i in shape.references},
            "reference_sets": {m: list(sets.get(m) or ()) for m in shape.refsets},
            "file": found_files.get(object_id) if shape.is_file else None,
        }
    return states


class StatePlan:
    """How the states of new objects of an entity are made from their written rows, for one
    user: when every rule of the user for the entity covers every object (no XPath) and the
    entity has neither files nor reference sets, the states are exactly what reading the rows
    back gives (`state_dicts`), through the same generated readers."""

    __slots__ = ("_make",)

    def __init__(self, make: NewState) -> None:
        self._make = make

    def make(self, rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, Any]]:
        """Id → state of each row (as `ServerStore.write` reports new ones)."""
        make = self._make
        empty: dict[str, tuple[str, ...]] = {}
        with gc_paused():  # many small acyclic dicts; the loop never awaits
            return {row[0]: make(row, empty) for row in rows}


def state_plan(store: ServerStore, access: UserAccess, entity: str) -> StatePlan | None:
    """The plan for new objects of `entity`, or None when their states must be read back."""
    rules = access.of(entity)
    layout = store.schema.layout(entity)
    if not rules or layout.is_file or layout.refsets or any(r.constraints for r in rules):
        return None
    return StatePlan(_shape(store, access, entity, (True,) * len(rules)).new_state)


class _Shape:
    """What a reader gets of an entity's objects (`readable`: None for all members but
    HashedStrings), read from rows by generated code."""

    __slots__ = ("attributes", "is_file", "new_state", "references", "refsets")

    def __init__(self, layout: EntityLayout, readable: frozenset[str] | None, native: bool):
        members = [
            (m, c)
            for m, c in layout.attributes.items()
            if c.kind != "HashedString" and (readable is None or m in readable)
        ]
        self.attributes = attribute_reader(layout, members, native)
        self.references = [
            (m, layout.table.position(c.name))
            for m, c in layout.references.items()
            if readable is None or m in readable
        ]
        self.refsets = [m for m in layout.refsets if readable is None or m in readable]
        self.is_file = layout.is_file
        self.new_state = _new_state(layout, members, self.references, self.refsets, native)


NewState = Callable[[Sequence[Any], dict[str, tuple[str, ...]]], dict[str, Any]]


def _new_state(
    layout: EntityLayout,
    members: list[tuple[str, Any]],
    references: list[tuple[str, int]],
    refsets: list[str],
    native: bool,
) -> NewState:
    """`make(row, sets)` → the state dict of a row as `ServerStore.write` reports a new one
    (`sets`: its reference sets), as `state_dicts` builds it (generated: one dict display)."""
    namespace: dict[str, Any] = {}
    attributes = ", ".join(attribute_items(layout, members, native, namespace))
    refs = ", ".join(f"{m!r}: r[{i}]" for m, i in references)
    sets = ", ".join(f"{m!r}: list(s.get({m!r}) or ())" for m in refsets)
    version = len(layout.table.columns) + 2
    source = (
        "def make(r, s):\n"
        f"    return {{'id': r[0], 'entity': {layout.qname!r}, 'version': int(r[{version}]), "
        f"'attributes': {{{attributes}}}, 'references': {{{refs}}}, "
        f"'reference_sets': {{{sets}}}, 'file': None}}\n"
    )
    exec(compile(source, f"<nanoflow.new state {layout.qname}>", "exec"), namespace)
    made: NewState = namespace["make"]
    return made


_shapes: weakref.WeakKeyDictionary[Any, dict[Any, _Shape]] = weakref.WeakKeyDictionary()


def _shape(store: ServerStore, access: UserAccess, exact: str, flags: tuple[bool, ...]) -> _Shape:
    """The shape of `exact`'s objects covered by the user's rules that `flags` marks (kept
    per server database, as readable member sets repeat across users and requests)."""
    rules = access.of(exact)
    readable = access.readable(exact, [r for r, hit in zip(rules, flags, strict=True) if hit])
    cache = _shapes.setdefault(store.codecs, {})
    key = (exact, readable)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _Shape(store.schema.layout(exact), readable, store.codecs.native)
    return found
