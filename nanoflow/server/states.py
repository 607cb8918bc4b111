"""Objects as one user may see them: which access rules cover an object, and its state on the
wire with only the members the user may read (HashedStrings never)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from nanoflow.protocol.sync import FileInfo, ObjectState
from nanoflow.runtime.wire import to_wire

if TYPE_CHECKING:
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
    fetched = await store.get_many(entity, [object_id])
    if not fetched.rows:
        return None
    row = fetched.rows[0]
    exact = row[1] or entity
    covering, seq = await _covering(store, access, exact, object_id)
    if not covering or seq is None:
        return None
    readable = access.readable(exact, covering)
    values = store.decoder(exact)(row)
    values.update((fetched.refsets or {}).get(object_id, {}))
    layout = store.schema.layout(exact)
    attributes: dict[str, Any] = {}
    references: dict[str, Any] = {}
    sets: dict[str, list[str]] = {}
    for member, column in layout.attributes.items():
        if (readable is None or member in readable) and column.kind != "HashedString":
            attributes[member] = to_wire(column.kind, values.get(member))
    for member in layout.references:
        if readable is None or member in readable:
            references[member] = values.get(member)
    for member in layout.refsets:
        if readable is None or member in readable:
            sets[member] = list(values.get(member) or ())
    file = None
    if layout.is_file:
        files = store.db.tables.files
        found = (
            await store.conn.execute(
                select(files.c.hash, files.c.size).where(files.c.id == object_id)
            )
        ).first()
        if found is not None:
            file = FileInfo(hash=found.hash, size=found.size)
    return ObjectState(
        id=object_id, entity=exact, version=seq, attributes=attributes, references=references,
        reference_sets=sets, file=file,
    )  # fmt: skip
