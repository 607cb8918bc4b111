"""Runtime values of flows and expressions.

| Mendix type        | Python value                                   |
| ------------------ | ---------------------------------------------- |
| empty              | `None`                                         |
| String             | `str` (in nanoflows `''` and empty are equal)  |
| Integer, Long      | `int` (Long overflow is an error)              |
| Decimal            | `decimal.Decimal`                              |
| Boolean            | `bool`                                         |
| DateTime           | `datetime` with `tzinfo=UTC`                   |
| enumeration value  | `EnumValue` (interned per enumeration and key) |
| object             | `MxObject` (one per id in a runtime)           |
| list               | `list[MxObject]`                               |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import uuid

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


class MendixError(Exception):
    """An error raised by an activity or expression; `message` is what `$latestError` holds."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class EnumValue:
    """A value of an enumeration: `Sales.OrderStatus.Placed` has enum `Sales.OrderStatus`
    and key `Placed`. Use `EnumValue.of` so that equal values are the same object."""

    enum: str
    key: str

    _interned: ClassVar[dict[tuple[str, str], EnumValue]] = {}

    @classmethod
    def of(cls, enum: str, key: str) -> EnumValue:
        found = cls._interned.get((enum, key))
        if found is None:
            found = cls._interned[(enum, key)] = cls(enum, key)
        return found

    def __str__(self) -> str:
        return self.key


def new_id() -> str:
    """A new object id: a UUIDv7 in canonical text form (time-ordered, generated on the device)."""
    return str(_uuid7())


def _uuid7() -> uuid.UUID:
    import uuid  # here, not above: `uuid` imports `platform`, which `nanoflow eval` never needs

    ms = int(datetime.now(UTC).timestamp() * 1000)
    rand = uuid.uuid4().int & ((1 << 74) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 62) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class MxObject:
    """An object of an entity. One instance per id in a runtime (the identity map), so every
    variable and list holding it sees the same values.

    `values` holds the current (possibly uncommitted) member values by member name: attribute
    names, and qualified association names for references (an id or None) and reference sets
    (a tuple of ids). `committed` holds the values as last committed (None: never committed).
    `removed` becomes true when a synchronization removed the object: it then reads as empty.
    `touched` (until the first commit) names the members set on the object after it was made,
    defaults and owner excluded: a new object's changes are those members (SYNC.md 1a).
    An object loaded from the store shares one dict for both until its first change: write
    members with `obj[name] = value`, never into `obj.values` directly. A large retrieve may
    leave an object's row undecoded (`_row`) until `values` or `committed` is first read.
    """

    __slots__ = (
        "__weakref__", "_committed", "_row", "_values", "entity", "id", "new", "removed", "touched",
    )  # fmt: skip

    def __init__(
        self,
        entity: str,
        id: str | None = None,
        values: dict[str, Any] | None = None,
        committed: dict[str, Any] | None = None,
        new: bool = True,
        touched: set[str] | None = None,
    ) -> None:
        self.entity = entity
        self.id = id or new_id()
        self._values: dict[str, Any] | None = values if values is not None else {}
        self._committed = committed
        self._row: tuple[Any, Callable[[Any], dict[str, Any]]] | None = None
        self.new = new
        self.removed = False
        # members a flow or the host set (not defaults, not the owner): what a new object uploads
        # (the values given here count as set, unless `touched` says otherwise)
        self.touched: set[str] | None = None
        if committed is None:
            self.touched = set(self._values or ()) if touched is None else touched

    @property
    def values(self) -> Mapping[str, Any]:
        """The member values, read-only (decoded from the store row on first use); set members
        with `obj[name] = value`, which keeps the committed snapshot apart."""
        values = self._values
        if values is None:
            values = self._decode()
        return MappingProxyType(values)

    @values.setter
    def values(self, values: dict[str, Any]) -> None:
        if self._row is not None:
            self._decode()
        self._values = values

    @property
    def committed(self) -> dict[str, Any] | None:
        """The values as last committed; None for an object that was never committed."""
        if self._row is not None:
            self._decode()
        return self._committed

    @committed.setter
    def committed(self, committed: dict[str, Any] | None) -> None:
        if self._row is not None:
            self._decode()
        self._committed = committed

    def _decode(self) -> dict[str, Any]:
        assert self._row is not None
        row, decode = self._row
        values = decode(row)
        self._row = None
        self._values = self._committed = values
        return values

    def __getitem__(self, member: str) -> Any:
        values = self._values
        if values is None:
            values = self._decode()
        return values.get(member)

    def __setitem__(self, member: str, value: Any) -> None:
        values = self._values
        if values is None:
            values = self._decode()
        if values is self._committed:  # shared until the first change (copy on write)
            values = self._values = dict(values)
        values[member] = value
        if self.touched is not None:
            self.touched.add(member)

    @property
    def is_empty(self) -> bool:
        """True once a synchronization removed the object (it then behaves as `empty`)."""
        return self.removed

    @property
    def changed_members(self) -> set[str]:
        """Members whose in-memory value differs from the committed one."""
        committed = self.committed
        values = self.values
        if committed is None:
            return set(values)
        return {k for k, v in values.items() if committed.get(k) != v}

    def __repr__(self) -> str:
        state = " removed" if self.removed else ""
        return f"<{self.entity} {self.id}{state}>"


def type_name(value: Any) -> str:
    """The Mendix name of a runtime value's type, for error messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, Decimal):
        return "Decimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, datetime):
        return "DateTime"
    if isinstance(value, EnumValue):
        return value.enum
    if isinstance(value, MxObject):
        return value.entity
    if isinstance(value, list):
        return "List"
    return type(value).__name__
