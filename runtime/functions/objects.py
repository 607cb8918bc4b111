"""Special checks on objects (isNew, isSynced, isSyncing) and enumeration functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nanoflow.runtime.functions._common import described, fail
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.values import EnumValue, MxObject


def _object(fn: str, value: Any) -> MxObject:
    if isinstance(value, MxObject) and not value.removed:
        return value
    if value is None or isinstance(value, MxObject):
        fail(fn, "the object is empty")
    fail(fn, f"expected an object, got {described(value)}")


def is_new(ctx: EvalContext, obj: Any) -> bool:
    """Whether the object was created and not yet committed."""
    return ctx.is_new(_object("isNew", obj))


def is_synced(ctx: EvalContext, obj: Any) -> bool:
    """Whether the object's offline changes have reached the server."""
    return ctx.is_synced(_object("isSynced", obj))


def is_syncing(ctx: EvalContext) -> bool:
    """Whether a synchronization is running."""
    return ctx.is_syncing()


def _enum(fn: str, value: Any) -> EnumValue | None:
    if value is None or isinstance(value, EnumValue):
        return value
    fail(fn, f"expected an enumeration value, got {described(value)}")


def get_caption(ctx: EvalContext, value: Any) -> str:
    """The caption of an enumeration value in the user's language; empty gives `''`."""
    found = _enum("getCaption", value)
    return "" if found is None else ctx.enum_caption(found)


def get_key(ctx: EvalContext, value: Any) -> str:
    """The key (the *Name* in Studio Pro) of an enumeration value; empty gives `''`."""
    found = _enum("getKey", value)
    return "" if found is None else found.key


REGISTRY: dict[str, Callable[..., Any]] = {
    "isNew": is_new,
    "isSynced": is_synced,
    "isSyncing": is_syncing,
    "getCaption": get_caption,
    "getKey": get_key,
}
