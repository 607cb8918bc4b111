"""Member values on the wire (SYNC.md 1a), shared by the sync server and the device.

| kind                               | wire value                                      |
| ---------------------------------- | ----------------------------------------------- |
| String, HashedString, enumeration  | string (an enumeration by key)                  |
| Integer, Long, AutoNumber          | integer (all 64 bits)                           |
| Decimal                            | string in plain notation (`"-12.5"`)            |
| Boolean                            | `true` / `false`                                |
| DateTime                           | string, ISO 8601 UTC with milliseconds and `Z`  |
| Binary                             | string, base64                                  |
| reference                          | the target's id                                 |
| reference set                      | list of ids                                     |

Empty is `null` for every kind. `to_wire` and `from_wire` convert one value; a value that does
not fit its kind raises `WireError`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from nanoflow.protocol.wire import format_datetime
from nanoflow.runtime.values import EnumValue, MxObject


class WireError(ValueError):
    """A wire value that does not fit its member."""


def datetime_text(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds: `2025-03-01T09:00:00.000Z` (the protocol's form)."""
    return format_datetime(value)


def decimal_text(value: Decimal) -> str:
    """Plain notation (no exponent)."""
    return format(value, "f")


def to_wire(kind: str, value: Any) -> Any:
    """A runtime value of a member of `kind` (a column kind, `Ref` or `RefSet`) as JSON."""
    if value is None:
        return None
    if kind == "Decimal":
        return decimal_text(value if isinstance(value, Decimal) else Decimal(value))
    if kind == "DateTime":
        return datetime_text(value)
    if kind == "Enum":
        return value.key if isinstance(value, EnumValue) else value
    if kind == "Binary":
        return base64.b64encode(value).decode("ascii")
    if kind == "Ref":
        return value.id if isinstance(value, MxObject) else value
    if kind == "RefSet":
        return [o.id if isinstance(o, MxObject) else o for o in value]
    return value


def _fail(kind: str, value: Any) -> WireError:
    return WireError(f"{value!r} is not a {kind} value")


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("String", value)
    return value


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail("Integer", value)
    return value


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _fail("Decimal", value)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _fail("Decimal", value) from None
    if not number.is_finite():
        raise _fail("Decimal", value)
    return number


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail("Boolean", value)
    return value


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _fail("DateTime", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail("DateTime", value) from None
    if parsed.tzinfo is UTC and not parsed.microsecond % 1000:
        return parsed  # the protocol's own form: nothing to convert
    if parsed.tzinfo is None:
        raise WireError(f"{value!r} has no time zone (want UTC, ending in Z)")
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def _binary(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _fail("Binary", value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail("Binary", value) from None


def _ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise _fail("reference set", value)
    return tuple(dict.fromkeys(value))


_READERS: dict[str, Callable[[Any], Any]] = {
    "String": _string,
    "HashedString": _string,
    "Integer": _integer,
    "Long": _integer,
    "AutoNumber": _integer,
    "Decimal": _decimal,
    "Boolean": _boolean,
    "DateTime": _datetime,
    "Binary": _binary,
    "Ref": _string,
    "Id": _string,
    "RefSet": _ids,
}


def reader(kind: str, enum: str | None = None) -> Callable[[Any], Any]:
    """`read(wire) → runtime value` for non-null values of a member of `kind`."""
    if kind == "Enum":
        assert enum is not None

        def read_enum(value: Any) -> EnumValue:
            return EnumValue.of(enum, _string(value))

        return read_enum
    return _READERS[kind]


def from_wire(kind: str, value: Any, enum: str | None = None) -> Any:
    """A wire value of a member of `kind` as a runtime value (None stays None)."""
    if value is None:
        return () if kind == "RefSet" else None
    return reader(kind, enum)(value)


def member_kinds(layout: Any) -> dict[str, tuple[str, str | None]]:
    """Member name → (kind, enumeration) for every member of an entity layout."""
    kinds: dict[str, tuple[str, str | None]] = {}
    for member, column in layout.attributes.items():
        kinds[member] = (column.kind, column.enum)
    for member in layout.references:
        kinds[member] = ("Ref", None)
    for member in layout.refsets:
        kinds[member] = ("RefSet", None)
    return kinds


__all__ = [
    "WireError",
    "datetime_text",
    "decimal_text",
    "from_wire",
    "member_kinds",
    "reader",
    "to_wire",
]
