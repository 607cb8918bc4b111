"""Encoding runtime values (see `values.py`) as SQLite column values, and back.

| kind                          | column  | encoding                                            |
| ----------------------------- | ------- | --------------------------------------------------- |
| String, HashedString          | TEXT    | as is; compared through `nf_lower` (`fold`)         |
| Integer, Long, AutoNumber     | INTEGER | as is (64-bit)                                      |
| Decimal                       | TEXT    | order-preserving fixed width (below)                |
| Boolean                       | INTEGER | 0 / 1                                               |
| DateTime                      | INTEGER | epoch milliseconds (UTC)                            |
| enumeration                   | TEXT    | the value's key                                     |
| Binary                        | BLOB    | as is                                               |
| reference, id                 | TEXT    | the object id                                       |

Decimals: a non-negative value is `P` + its 20 integer digits, `.`, 8 fraction digits
(`P00000000000000001234.50000000`); a negative one is `N` + the same form of 10²⁰ + value, so
larger magnitudes sort first. `N` < `P`, so text order is numeric order. `M` and `Q` stand below
and above every storable value (bounds in queries). Decoded values have 8 fraction digits, as
Mendix reads its `DECIMAL(28, 8)` columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.names import AttributeInfo
from nanoflow.runtime.values import (
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    EnumValue,
    MendixError,
    MxObject,
    type_name,
)

STRING_KINDS = frozenset({"String", "HashedString"})
INTEGER_KINDS = frozenset({"Integer", "Long", "AutoNumber"})
SQL_TYPES = {
    "String": "TEXT",
    "HashedString": "TEXT",
    "Integer": "INTEGER",
    "Long": "INTEGER",
    "AutoNumber": "INTEGER",
    "Decimal": "TEXT",
    "Boolean": "INTEGER",
    "DateTime": "INTEGER",
    "Binary": "BLOB",
    "Enum": "TEXT",
    "Ref": "TEXT",
}

FRACTION_DIGITS = 8
INTEGER_DIGITS = 20
_WIDTH = INTEGER_DIGITS + FRACTION_DIGITS
LIMIT: int = 10**_WIDTH
_UNIT: int = 10**FRACTION_DIGITS
_CTX = Context(prec=80, rounding=ROUND_HALF_EVEN)
DECIMAL_BELOW = "M"
DECIMAL_ABOVE = "Q"
_EIGHT_PLACES = Decimal(1).scaleb(-FRACTION_DIGITS)
_ABOVE = Decimal(10**INTEGER_DIGITS)
_ZERO_VALUE = Decimal(0)
_ZERO = "P" + format(_ZERO_VALUE, "029.8f")
_TEXT_WIDTH = _WIDTH + 1

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def attribute_kind(attr: AttributeInfo) -> tuple[str, str | None]:
    """The column kind of an attribute and its enumeration (for enum attributes)."""
    if isinstance(attr.type, t.EnumType):
        return "Enum", attr.type.enum
    return attr.type_name, None


# ---- strings ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case like PostgreSQL's `lower()`: per character, Unicode simple case mapping.

    Python's `str.lower` is the full mapping; it differs only for `İ` (two characters) and
    for a final `Σ` (context-dependent `ς`), which are mapped as single characters here.
    """
    if text.isascii():
        return text.lower()
    return text.replace("İ", "i").replace("Σ", "σ").lower()


def sql_fold(value: Any) -> Any:
    """`nf_lower(x)` in SQL: `fold` for text, anything else unchanged."""
    if value.__class__ is str:
        return value.lower() if value.isascii() else fold(value)
    return value


# ---- decimals --------------------------------------------------------------------------------


def decimal_units(value: Decimal) -> int:
    """value × 10⁸ rounded half-even; far out of range gives ±10²⁸ (clamped)."""
    if not value.is_finite():
        raise MendixError(f"{value} is not a number that can be stored")
    if value.adjusted() >= _WIDTH:
        return LIMIT if value > 0 else -LIMIT
    scaled = value.scaleb(FRACTION_DIGITS, _CTX)
    return int(scaled.to_integral_value(ROUND_HALF_EVEN, _CTX))


def _text(tag: str, digits: int) -> str:
    padded = str(digits).zfill(_WIDTH)
    return f"{tag}{padded[:INTEGER_DIGITS]}.{padded[INTEGER_DIGITS:]}"


def encode_units(units: int) -> str:
    """The order-preserving text of value×10⁸; out-of-range values give `M`/`Q` bounds."""
    if units >= 0:
        return _text("P", units) if units < LIMIT else DECIMAL_ABOVE
    if units > -LIMIT:
        return _text("N", LIMIT + units)
    return DECIMAL_BELOW


def encode_decimal_strict(value: Any) -> str:
    """Encode a storable Decimal (or int), rounded half-even to 8 places; raise (any
    exception) for anything else."""
    if value.__class__ is Decimal and _ZERO_VALUE < value < _ABOVE:
        # fast path: values are rounded to 8 places on assignment; should one have more,
        # `format` rounds it with the context's rounding (half-even unless a host changed it)
        text = format(value, "029.8f")
        if len(text) == _TEXT_WIDTH:
            return "P" + text
    if value.__class__ is int:
        value = Decimal(value)
    elif value.__class__ is not Decimal:
        raise TypeError("not a Decimal")
    value = value.quantize(_EIGHT_PLACES, ROUND_HALF_EVEN, _CTX)
    if 0 < value < _ABOVE:
        return "P" + format(value, "029.8f")
    if not value:
        return _ZERO
    if -_ABOVE < value < 0:
        return _text("N", LIMIT + int(value.scaleb(FRACTION_DIGITS, _CTX)))
    raise ValueError("out of range")


def encode_decimal_native(value: Any) -> Decimal:
    """A storable Decimal (or int) rounded half-even to 8 places, for a database with a
    native `NUMERIC(28, 8)`; raise (any exception) for anything else."""
    if value.__class__ is int:
        value = Decimal(value)
    elif value.__class__ is not Decimal:
        raise TypeError("not a Decimal")
    rounded: Decimal = value.quantize(_EIGHT_PLACES, ROUND_HALF_EVEN, _CTX)
    if not -_ABOVE < rounded < _ABOVE:
        raise ValueError("out of range")
    return rounded


def encode_decimal(value: Decimal | int) -> str:
    if isinstance(value, int):
        return encode_units(value * _UNIT)
    return encode_units(decimal_units(value))


def decode_decimal(text: str) -> Decimal:
    """The Decimal of an encoded value, with 8 fraction digits (as Mendix reads them)."""
    if text[0] == "P":
        return Decimal(text[1:])
    units = int(text[1 : INTEGER_DIGITS + 1] + text[INTEGER_DIGITS + 2 :]) - LIMIT
    return Decimal(units).scaleb(-FRACTION_DIGITS, _CTX)


# ---- date-times ------------------------------------------------------------------------------


def encode_datetime(value: datetime) -> int:
    """Epoch milliseconds (floor); a naive date-time is taken as UTC."""
    if not isinstance(value, datetime):
        raise TypeError("not a date-time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // _MS


def decode_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


# ---- per-kind encoding and decoding ---------------------------------------------------------

Codec = Callable[[Any], Any]


def encode(kind: str, value: Any) -> Any:
    """Encode one (valid) value of a column kind; None stays None. Commits use the faster
    generated builders of `rows`; this serves defaults and single values."""
    if value is None:
        return None
    if kind == "Decimal":
        return encode_decimal(value)
    if kind == "DateTime":
        return encode_datetime(value)
    if kind == "Boolean":
        return int(value)
    if isinstance(value, EnumValue):
        return value.key
    if isinstance(value, MxObject):
        return value.id
    return value


class _EnumKeys(dict[str, EnumValue]):
    """Key → interned `EnumValue` of one enumeration (unknown keys are interned on first use)."""

    def __init__(self, enum: str) -> None:
        super().__init__()
        self.enum = enum

    def __missing__(self, key: str) -> EnumValue:
        value = self[key] = EnumValue.of(self.enum, key)
        return value


def decoder(kind: str, enum: str | None) -> Codec | None:
    """The decoder of a column kind for non-NULL column values, or None when column values
    are runtime values as they are."""
    if kind == "Decimal":
        return decode_decimal
    if kind == "DateTime":
        return decode_datetime
    if kind == "Boolean":
        return bool
    if kind == "Binary":
        return bytes
    if kind == "Enum":
        assert enum is not None
        return _EnumKeys(enum).__getitem__
    return None


# ---- validation ------------------------------------------------------------------------------

Check = Callable[[Any], None]


def attribute_check(
    entity: str, attr: AttributeInfo, enum_keys: frozenset[str] | None
) -> Check | None:
    """A check of one attribute's value for commits (`required`, length, range, type), or None."""
    kind, enum = attribute_kind(attr)
    name = attr.name
    required = attr.required
    where = f"{entity}: {name}"

    def wrong(value: Any) -> MendixError:
        return MendixError(f"{where} cannot hold a value of type {type_name(value)}")

    def missing() -> MendixError:
        return MendixError(f"{where} is required")

    if kind in STRING_KINDS:
        limit = attr.length

        def check_string(value: Any) -> None:
            if value is None or value == "":
                if required:
                    raise missing()
                return
            if type(value) is not str:
                raise wrong(value)
            if limit is not None and len(value) > limit:
                raise MendixError(f"{where} is longer than {limit} characters")

        return check_string
    if kind in INTEGER_KINDS:
        low, high = (INT_MIN, INT_MAX) if kind == "Integer" else (LONG_MIN, LONG_MAX)
        label = "Integer" if kind == "Integer" else "Long"

        def check_integer(value: Any) -> None:
            if value is None:
                if required:
                    raise missing()
                return
            if type(value) is not int:
                raise wrong(value)
            if not low <= value <= high:
                raise MendixError(f"{where}: {value} is outside the range of {label}")

        return check_integer
    if kind == "Decimal":

        def check_decimal(value: Any) -> None:
            if value is None:
                if required:
                    raise missing()
                return
            if type(value) is int:
                value = Decimal(value)
            elif not isinstance(value, Decimal):
                raise wrong(value)
            try:
                units = decimal_units(value)
            except (MendixError, InvalidOperation):
                raise MendixError(f"{where}: {value} is not a number") from None
            if not -LIMIT < units < LIMIT:
                raise MendixError(
                    f"{where}: {value} has more than {INTEGER_DIGITS} digits before the "
                    "decimal point"
                )

        return check_decimal
    expected: tuple[type, ...] = {
        "Boolean": (bool,),
        "DateTime": (datetime,),
        "Binary": (bytes, bytearray, memoryview),
        "Enum": (EnumValue, str),
    }.get(kind, (object,))

    def check_other(value: Any) -> None:
        if value is None:
            if required:
                raise missing()
            return
        if not isinstance(value, expected):
            raise wrong(value)
        if enum_keys is not None:
            key = value.key if isinstance(value, EnumValue) else value
            if isinstance(value, EnumValue) and value.enum != enum:
                raise wrong(value)
            if key not in enum_keys:
                raise MendixError(f"{where}: `{key}` is not a value of {enum}")

    return check_other


def reference_set_ids(entity: str, member: str, value: Any) -> tuple[str, ...]:
    """The ids of a reference set value (a tuple or list of ids or objects; None is empty)."""
    if value is None:
        return ()
    if isinstance(value, str | MxObject) or not hasattr(value, "__iter__"):
        raise MendixError(f"{entity}: {member} must hold a list of objects")
    ids = []
    for item in value:
        if isinstance(item, MxObject):
            ids.append(item.id)
        elif isinstance(item, str):
            ids.append(item)
        else:
            raise MendixError(f"{entity}: {member} cannot hold {type_name(item)}")
    return tuple(dict.fromkeys(ids))


# ---- defaults --------------------------------------------------------------------------------


def default_value(attr: AttributeInfo) -> Any:
    """An attribute's default as a runtime value (LANGUAGE.md 3): the declared literal, or
    empty for String, DateTime and enumerations, 0 for numbers, false for Boolean. A token
    default (`[%CurrentDateTime%]`) cannot be known here and gives None."""
    kind, enum = attribute_kind(attr)
    lit = attr.decl.default if attr.decl is not None else None
    if lit is None:
        if kind in ("Integer", "Long"):
            return 0
        if kind == "Decimal":
            return Decimal(0)
        if kind == "Boolean":
            return False
        return None
    if isinstance(lit, ir.NameRef):
        assert enum is not None
        return EnumValue.of(enum, lit.name.parts[-1])
    if isinstance(lit, ir.TokenRef | ir.EmptyLit):
        return None
    if kind == "Decimal" and isinstance(lit, ir.IntegerLit | ir.DecimalLit):
        return Decimal(lit.value)
    return lit.value


def sql_literal(value: Any) -> str:
    """An encoded value as an SQL literal for DDL (`DEFAULT ...`), where no parameters exist."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    raise TypeError(f"no SQL literal for {value!r}")
