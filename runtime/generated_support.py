"""The globals generated flow code calls: operators, checks and list statements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from nanoflow.runtime import ops
from nanoflow.runtime.functions import FUNCTIONS, LIST_FUNCTIONS
from nanoflow.runtime.functions.tokens import token_value
from nanoflow.runtime.values import MendixError, MxObject


def empty(what: str, op: str) -> NoReturn:
    ops.empty_operand(what, op)


def not_none(value: Any, what: str, op: str) -> Any:
    if value is None:
        ops.empty_operand(what, op)
    return value


def boolean(value: Any, what: str) -> bool:
    if value is None:
        raise MendixError(f"{what} is empty, not true or false")
    return bool(value)


def attr(obj: MxObject | None, name: str, what: str) -> Any:
    """`$obj/Attr`: reading a member of an empty object is an error."""
    if obj is None or obj.removed:
        raise MendixError(f"cannot read `{name}`: `{what}` is empty")
    values = obj._values
    if values is None:
        values = obj._decode()
    return values.get(name)


def obj(value: Any, what: str) -> MxObject:
    if value is None or (isinstance(value, MxObject) and value.removed):
        raise MendixError(f"{what} is empty")
    assert isinstance(value, MxObject)
    return value


def to_decimal(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def live(items: Any) -> list[MxObject]:
    """A copy of a list without the objects a synchronization removed."""
    if items is None:
        return []
    return [o for o in items if not o.removed]


def first(items: list[MxObject]) -> MxObject | None:
    return items[0] if items else None


def ref_id(value: Any) -> Any:
    return value.id if isinstance(value, MxObject) else value


def _check_list(items: Any, what: str) -> list[MxObject]:
    if items is None:
        raise MendixError(f"{what} is empty, not a list")
    assert isinstance(items, list)
    return items


def list_add(items: Any, value: Any, unique: bool, what: str) -> None:
    """`add`: an object or every object of a list; in nanoflows an object is added once."""
    target = _check_list(items, what)
    added = value if isinstance(value, list) else [value]
    for item in added:
        if item is None or item.removed:
            continue
        if unique and any(existing is item for existing in target):
            continue
        target.append(item)


def list_remove(items: Any, value: Any, what: str) -> None:
    target = _check_list(items, what)
    removed = value if isinstance(value, list) else [value]
    for item in removed:
        for index, existing in enumerate(target):
            if existing is item:
                del target[index]
                break


def list_clear(items: Any, what: str) -> None:
    _check_list(items, what).clear()


GLOBALS: dict[str, Any] = {
    "_MendixError": MendixError,
    "_empty": empty,
    "_nn": not_none,
    "_bool": boolean,
    "_overflow": ops.overflow,
    "_add": ops.add,
    "_sub": ops.subtract,
    "_mul": ops.multiply,
    "_div": ops.divide,
    "_mod": ops.mod,
    "_neg": ops.negate,
    "_eq": ops.equals,
    "_order": ops.order,
    "_concat": ops.concat,
    "_text": ops.to_text,
    "_to_decimal": to_decimal,
    "_attr": attr,
    "_obj": obj,
    "_token": token_value,
    "_fn": FUNCTIONS,
    "_lfn": LIST_FUNCTIONS,
    "_live": live,
    "_first": first,
    "_ref_id": ref_id,
    "_list_add": list_add,
    "_list_remove": list_remove,
    "_list_clear": list_clear,
}
