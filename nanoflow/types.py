"""Static types of values in flows and expressions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PRIMITIVE_NAMES: Final = (
    "String",
    "Integer",
    "Long",
    "Decimal",
    "Boolean",
    "DateTime",
    "AutoNumber",
    "HashedString",
    "Binary",
)
TYPE_NAMES: Final = frozenset((*PRIMITIVE_NAMES, "List"))


@dataclass(frozen=True, slots=True)
class Prim:
    """A primitive type: String, Integer, Long, Decimal, Boolean, DateTime, HashedString, Binary."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class EnumType:
    """A value of an enumeration (qualified name)."""

    enum: str

    def __str__(self) -> str:
        return self.enum


@dataclass(frozen=True, slots=True)
class ObjectType:
    """One object of an entity (qualified name); `*` is any entity."""

    entity: str

    def __str__(self) -> str:
        return "an object" if self.entity == "*" else self.entity


@dataclass(frozen=True, slots=True)
class ListType:
    """A list of objects of an entity; `*` is any entity."""

    entity: str

    def __str__(self) -> str:
        return "a list" if self.entity == "*" else f"List of {self.entity}"


@dataclass(frozen=True, slots=True)
class Special:
    """`empty` (the literal), `error` (already reported: accepts anything), `nothing` (no value)."""

    name: str

    def __str__(self) -> str:
        return self.name


Type = Prim | EnumType | ObjectType | ListType | Special

STRING: Final = Prim("String")
INTEGER: Final = Prim("Integer")
LONG: Final = Prim("Long")
DECIMAL: Final = Prim("Decimal")
BOOLEAN: Final = Prim("Boolean")
DATETIME: Final = Prim("DateTime")
HASHED: Final = Prim("HashedString")
BINARY: Final = Prim("Binary")
EMPTY: Final = Special("empty")
ERROR: Final = Special("error")
NOTHING: Final = Special("nothing")
ANY_OBJECT: Final = ObjectType("*")
ANY_LIST: Final = ListType("*")

INTEGRAL: Final = frozenset({"Integer", "Long"})
NUMERIC: Final = frozenset({"Integer", "Long", "Decimal"})
STRINGY: Final = frozenset({"String", "HashedString"})


def primitive(name: str) -> Prim:
    """The expression type of an attribute type name (AutoNumber reads as Long)."""
    return LONG if name == "AutoNumber" else Prim(name)


def is_numeric(t: Type) -> bool:
    return isinstance(t, Prim) and t.name in NUMERIC


def is_integral(t: Type) -> bool:
    return isinstance(t, Prim) and t.name in INTEGRAL


def is_string(t: Type) -> bool:
    return isinstance(t, Prim) and t.name in STRINGY


def is_primitive(t: Type) -> bool:
    """Primitive values and enumerations (what microflows called from nanoflows may take)."""
    return isinstance(t, Prim | EnumType)


def is_lenient(t: Type) -> bool:
    """`error` and `empty` fit anywhere (an error was already reported, or no value)."""
    return t is ERROR or t in (ERROR, EMPTY)


def numeric_join(a: Type, b: Type) -> Type:
    """The result type of arithmetic on two numeric types."""
    assert isinstance(a, Prim) and isinstance(b, Prim)
    if a.name == "Decimal" or b.name == "Decimal":
        return DECIMAL
    if a.name == "Long" or b.name == "Long":
        return LONG
    return INTEGER


def describe(t: Type) -> str:
    """A type in words for messages: `String`, `List of Sales.Order`, `an object`."""
    return str(t)
