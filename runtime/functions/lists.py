"""List functions (LANGUAGE.md 8.2): aggregates, search, sort and set operations on object lists.

Attribute arguments are member names; expression arguments are Python callables (`pred(obj)`,
`fn(current_result, obj)`). Objects removed by a synchronization are skipped everywhere; an empty
list variable (`None`) is an empty list. Set operations compare objects by id, keep the first
list's order and drop duplicates. `find`/`filter` compare as `=` does in nanoflows: an empty value
equals `''`, numbers by value, an enumeration value equals the String of its key, and an object
equals the id held by a reference. `sum` and `average` skip empty values; `average`, `minimum` and
`maximum` of no values are empty. `equals` ignores order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from nanoflow.runtime.functions._common import (
    DIVISION,
    EXACT,
    check_long,
    described,
    fail,
    integer,
)
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.values import EnumValue, MxObject

ObjectList = list[MxObject]


def live(fn: str, lst: Any) -> ObjectList:
    """The list's objects that are still there (not removed by a synchronization)."""
    if lst is None:
        return []
    if not isinstance(lst, list):
        fail(fn, f"expected a list, got {described(lst)}")
    try:  # one pass: only objects have `removed`
        return [obj for obj in lst if not obj.removed]
    except AttributeError:
        bad = next(item for item in lst if not isinstance(item, MxObject))
        fail(fn, f"the list holds {described(bad)}, not an object")


def _unique(objects: Iterable[MxObject]) -> ObjectList:
    seen: set[str] = set()
    out: ObjectList = []
    for obj in objects:
        if obj.id not in seen:
            seen.add(obj.id)
            out.append(obj)
    return out


def _member(fn: str, member: Any) -> str:
    if not isinstance(member, str) or not member:
        fail(fn, f"expected a member name, got {member!r}")
    return member


def values_equal(a: Any, b: Any) -> bool:
    """Equality as nanoflow `=` sees it (empty equals `''`; enumeration value equals its key)."""
    if isinstance(a, MxObject):
        a = a.id
    if isinstance(b, MxObject):
        b = b.id
    if a is None or b is None:
        return a in (None, "") and b in (None, "")
    if isinstance(a, EnumValue) and isinstance(b, str):
        return a.key == b
    if isinstance(b, EnumValue) and isinstance(a, str):
        return b.key == a
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _boolean(fn: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(fn, f"the expression gave {described(value)}, not a Boolean")
    return value


# --- aggregates ---------------------------------------------------------------------------


def count(ctx: EvalContext, lst: Any) -> int:
    """The number of objects."""
    return len(live("count", lst))


def length(ctx: EvalContext, lst: Any) -> int:
    """The number of objects (`length` on a list, Mendix 10+)."""
    return len(live("length", lst))


def _numbers(fn: str, lst: Any, member: Any) -> list[int | Decimal]:
    name = _member(fn, member)
    out: list[int | Decimal] = []
    for obj in live(fn, lst):
        value = obj[name]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            fail(fn, f"{name} of {obj.entity} is {described(value)}, not a number")
        out.append(value)
    return out


def sum_(ctx: EvalContext, lst: Any, member: Any) -> int | Decimal:
    """The sum of a numeric attribute (Integer/Long for Integer values, else Decimal)."""
    values = _numbers("sum", lst, member)
    if any(isinstance(v, Decimal) for v in values):
        return functools.reduce(EXACT.add, (Decimal(v) for v in values), Decimal(0))
    return check_long("sum", sum(v for v in values if isinstance(v, int)))


def average(ctx: EvalContext, lst: Any, member: Any) -> Decimal | None:
    """The average of a numeric attribute as a Decimal (34 digits); empty for no values."""
    values = _numbers("average", lst, member)
    if not values:
        return None
    total = functools.reduce(EXACT.add, (Decimal(v) for v in values), Decimal(0))
    return DIVISION.divide(total, Decimal(len(values)))


def _extreme(fn: str, lst: Any, member: Any, pick: Callable[..., Any]) -> Any:
    name = _member(fn, member)
    values = [obj[name] for obj in live(fn, lst) if obj[name] is not None]
    if not values:
        return None
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | datetime | str):
            fail(fn, f"{name} is {described(value)}, which has no order")
    try:
        return pick(values)
    except TypeError:
        fail(fn, f"the values of {name} cannot be compared")


def minimum(ctx: EvalContext, lst: Any, member: Any) -> Any:
    """The smallest value of an attribute; empty for no values."""
    return _extreme("minimum", lst, member, min)


def maximum(ctx: EvalContext, lst: Any, member: Any) -> Any:
    """The largest value of an attribute; empty for no values."""
    return _extreme("maximum", lst, member, max)


def all_(ctx: EvalContext, lst: Any, pred: Callable[[MxObject], Any]) -> bool:
    """Whether the expression is true for every object (true for an empty list)."""
    return all(_boolean("all", pred(obj)) for obj in live("all", lst))


def any_(ctx: EvalContext, lst: Any, pred: Callable[[MxObject], Any]) -> bool:
    """Whether the expression is true for some object."""
    return any(_boolean("any", pred(obj)) for obj in live("any", lst))


def reduce(ctx: EvalContext, lst: Any, initial: Any, fn: Callable[[Any, MxObject], Any]) -> Any:
    """Fold the list: `fn(current_result, obj)` for each object, starting from `initial`."""
    result = initial
    for obj in live("reduce", lst):
        result = fn(result, obj)
    return result


# --- search -------------------------------------------------------------------------------


def head(ctx: EvalContext, lst: Any) -> MxObject | None:
    """The first object, or empty."""
    objects = live("head", lst)
    return objects[0] if objects else None


def tail(ctx: EvalContext, lst: Any) -> ObjectList:
    """All objects but the first."""
    return live("tail", lst)[1:]


def find(ctx: EvalContext, lst: Any, member: Any, value: Any) -> MxObject | None:
    """The first object whose member equals `value`, or empty."""
    name = _member("find", member)
    return next((o for o in live("find", lst) if values_equal(o[name], value)), None)


def filter_(ctx: EvalContext, lst: Any, member: Any, value: Any) -> ObjectList:
    """The objects whose member equals `value`."""
    name = _member("filter", member)
    return [o for o in live("filter", lst) if values_equal(o[name], value)]


def find_where(ctx: EvalContext, lst: Any, pred: Callable[[MxObject], Any]) -> MxObject | None:
    """The first object for which the expression is true, or empty."""
    return next((o for o in live("findWhere", lst) if _boolean("findWhere", pred(o))), None)


def filter_where(ctx: EvalContext, lst: Any, pred: Callable[[MxObject], Any]) -> ObjectList:
    """The objects for which the expression is true."""
    return [o for o in live("filterWhere", lst) if _boolean("filterWhere", pred(o))]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, EnumValue):
        return (1, value.key)
    if isinstance(value, MxObject):
        return (1, value.id)
    return (1, value)


def _key_of(name: str) -> Callable[[MxObject], tuple[int, Any]]:
    def key(obj: MxObject) -> tuple[int, Any]:
        return _sort_key(obj[name])

    return key


def sort(ctx: EvalContext, lst: Any, keys: Any) -> ObjectList:
    """Sorted by `[(member, descending), ...]`: stable, Strings case-insensitive, empty values
    first when ascending (last when descending)."""
    objects = live("sort", lst)
    specs: Sequence[Any] = [(keys, False)] if isinstance(keys, str) else keys
    if not specs:
        fail("sort", "needs at least one member to sort by")
    for spec in reversed(specs):
        if not (isinstance(spec, tuple | list) and len(spec) == 2):
            fail("sort", f"expected (member, descending), got {spec!r}")
        name = _member("sort", spec[0])
        try:
            objects.sort(key=_key_of(name), reverse=bool(spec[1]))
        except TypeError:
            fail("sort", f"the values of {name} cannot be compared")
    return objects


def range_(ctx: EvalContext, lst: Any, offset: Any, amount: Any) -> ObjectList:
    """`amount` objects from position `offset` (amount 0: all the rest)."""
    start = integer("range", "the offset", offset)
    size = integer("range", "the amount", amount)
    if start < 0:
        fail("range", f"the offset {start} is negative")
    if size < 0:
        fail("range", f"the amount {size} is negative")
    objects = live("range", lst)
    return objects[start:] if size == 0 else objects[start : start + size]


def objects(fn: str, value: Any) -> ObjectList:
    """The second argument of a set operation: a list, or one object (empty: none)."""
    if isinstance(value, MxObject):
        return [] if value.removed else [value]
    return live(fn, value)


def is_empty(ctx: EvalContext, lst: Any) -> bool:
    """Whether the list holds no objects."""
    return not live("isEmpty", lst)


# --- set operations -----------------------------------------------------------------------


def union(ctx: EvalContext, a: Any, b: Any) -> ObjectList:
    """The objects of both lists, without duplicates."""
    return _unique(live("union", a) + objects("union", b))


def intersect(ctx: EvalContext, a: Any, b: Any) -> ObjectList:
    """The objects of `a` that are also in `b`."""
    ids = {o.id for o in objects("intersect", b)}
    return [o for o in _unique(live("intersect", a)) if o.id in ids]


def subtract(ctx: EvalContext, a: Any, b: Any) -> ObjectList:
    """The objects of `a` that are not in `b`."""
    ids = {o.id for o in objects("subtract", b)}
    return [o for o in _unique(live("subtract", a)) if o.id not in ids]


def contains(ctx: EvalContext, lst: Any, item: Any) -> bool:
    """Whether the list holds the object (or every object of a list)."""
    ids = {o.id for o in live("contains", lst)}
    if isinstance(item, list):
        return all(o.id in ids for o in live("contains", item))
    if item is None:
        return False
    if not isinstance(item, MxObject):
        fail("contains", f"expected an object or a list, got {described(item)}")
    return not item.removed and item.id in ids


def equals(ctx: EvalContext, a: Any, b: Any) -> bool:
    """Whether the two lists hold the same objects (order and duplicates ignored)."""
    return {o.id for o in live("equals", a)} == {o.id for o in objects("equals", b)}

