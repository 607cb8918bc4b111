"""`call microflow` from a device: primitive arguments to wire values by the parameters'
types, the primitive result back by the microflow's return type (LANGUAGE.md 6)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nanoflow import types as t
from nanoflow.runtime.sync.errors import SyncError
from nanoflow.runtime.values import MendixError
from nanoflow.runtime.wire import WireError, from_wire, to_wire

if TYPE_CHECKING:
    from nanoflow.names import CallableInfo

_KINDS = {"AutoNumber": "Long", "HashedString": "String"}


def wire_kind(type_: t.Type | None) -> tuple[str, str | None] | None:
    """The wire kind (and enumeration) of a primitive type; None for objects and lists."""
    if isinstance(type_, t.EnumType):
        return "Enum", type_.enum
    if isinstance(type_, t.Prim):
        return _KINDS.get(type_.name, type_.name), None
    return None


def encode_arguments(info: CallableInfo, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a microflow call as wire values, by parameter name (no `$`)."""
    encoded: dict[str, Any] = {}
    for name, value in arguments.items():
        kind = wire_kind(info.parameters.get(name))
        if kind is None:
            raise MendixError(
                f"cannot call microflow `{info.qname}`: parameter `{name}` is not of a primitive "
                "type (a microflow called from a device takes primitive arguments only)"
            )
        encoded[name] = to_wire(kind[0], value)
    return encoded


def decode_result(info: CallableInfo, value: Any) -> Any:
    """A microflow's wire result as a runtime value of its return type."""
    kind = wire_kind(info.returns)
    if kind is None:
        return None
    try:
        return from_wire(kind[0], value, kind[1])
    except WireError as error:
        raise SyncError(
            f"the sync server's answer to microflow `{info.qname}` does not parse: {error}"
        ) from None
