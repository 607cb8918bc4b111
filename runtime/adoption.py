"""Objects of store rows through the identity map: a row whose object is already in memory
gives that object (with its uncommitted changes); any other row becomes a new object.

For entities without reference sets the loop is generated per entity and the object keeps its
row undecoded until first read (`MxObject._row`); objects with reference sets are decoded at
once, with the sets the store fetched beside the rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from nanoflow.runtime.values import MxObject

if TYPE_CHECKING:
    from nanoflow.runtime.storage import Fetched

Decoder = Callable[[Sequence[Any]], dict[str, Any]]
Adopter = Callable[[Sequence[Sequence[Any]], dict[str, Any]], list[MxObject]]


def make_adopter(entity: str, decode: Decoder) -> Adopter:
    """`adopt(rows, refs)`: the objects of rows of one entity without reference sets, through
    an identity map of weak references (`refs`: id → `weakref.ref`). One generated loop, no
    call per row."""
    namespace: dict[str, Any] = {"MxObject": MxObject, "dv": decode, "weakref_ref": weakref.ref}
    source = (
        "def adopt(rows, refs, new=MxObject.__new__, cls=MxObject, ref=weakref_ref):\n"
        "    out = []\n"
        "    append = out.append\n"
        "    get = refs.get\n"
        "    for r in rows:\n"
        "        i = r[0]\n"
        "        h = get(i)\n"
        "        if h is not None:\n"
        "            o = h()\n"
        "            if o is not None:\n"
        "                append(o)\n"
        "                continue\n"
        "        o = new(cls)\n"
        f"        o.entity = {entity!r}\n"
        "        o.id = i\n"
        "        o._values = None\n"
        "        o._committed = None\n"
        "        o._row = (r, dv)\n"
        "        o.new = False\n"
        "        o.removed = False\n"
        "        o.touched = None\n"
        "        refs[i] = ref(o)\n"
        "        append(o)\n"
        "    return out\n"
    )
    exec(compile(source, f"<nanoflow.adopt {entity}>", "exec"), namespace)
    return cast(Adopter, namespace["adopt"])


def adopt_decoded(
    entity: str, decode: Decoder, fetched: Fetched, refs: dict[str, Any]
) -> list[MxObject]:
    """`make_adopter`'s work for rows whose objects have reference sets: decoded at once."""
    refsets = fetched.refsets or {}
    result = []
    for row in fetched.rows:
        object_id = row[0]
        held = refs.get(object_id)
        obj = held() if held is not None else None
        if obj is None:
            values = decode(row)
            values.update(refsets.get(object_id, {}))
            obj = MxObject(row[1] or entity, object_id, values, values, False)
            refs[object_id] = weakref.ref(obj)
        result.append(obj)
    return result


def decoded(decode: Decoder, fetched: Fetched) -> list[tuple[str, dict[str, Any]]]:
    """(id, member values with reference sets) of every fetched row."""
    refsets = fetched.refsets or {}
    result = []
    for row in fetched.rows:
        values = decode(row)
        values.update(refsets.get(row[0], {}))
        result.append((row[0], values))
    return result
