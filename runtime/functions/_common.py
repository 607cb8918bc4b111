"""Argument checks and number helpers shared by the function modules."""

from __future__ import annotations

from datetime import datetime
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
)
from typing import Any, Final, NoReturn

from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, MendixError, type_name

#: Division and other inexact Decimal results: 34 significant digits, half-even (DECIMAL128).
DIVISION: Final = Context(prec=34, rounding=ROUND_HALF_EVEN)
#: Exact arithmetic (`+ - *`, quantize): no practical precision limit, as Java's BigDecimal.
EXACT: Final = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_EVEN)

Number = int | Decimal


class Missing:
    """The type of `MISSING`: marks an optional argument that was not passed."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing()


def fail(fn: str, message: str) -> NoReturn:
    """Raise the error of function `fn`."""
    raise MendixError(f"{fn}: {message}")


def check_long(fn: str, value: int) -> int:
    """`value` if it fits a Long, else an error."""
    if not LONG_MIN <= value <= LONG_MAX:
        fail(fn, f"the result {value} does not fit a Long (-2^63 to 2^63-1)")
    return value


def number(fn: str, what: str, value: Any) -> Number:
    """An Integer/Long or Decimal argument (empty and other types are errors)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            fail(fn, f"{what} is not a finite number")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    fail(fn, f"{what} is {described(value)}, not a number")


def integer(fn: str, what: str, value: Any) -> int:
    """An Integer/Long argument; an integral Decimal is accepted as well."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    fail(fn, f"{what} is {described(value)}, not an Integer")


def date(fn: str, what: str, value: Any) -> datetime:
    """A DateTime argument (aware; empty is an error)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            fail(fn, f"{what} has no time zone (runtime DateTimes are aware UTC values)")
        return value
    fail(fn, f"{what} is {described(value)}, not a DateTime")


def text(value: Any) -> str:
    """A String argument as nanoflows read it: empty is `''`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise MendixError(f"expected a String, got {described(value)}")


def string_arg(fn: str, what: str, value: Any) -> str:
    """`text` with the function named in the error."""
    if value is None or isinstance(value, str):
        return text(value)
    fail(fn, f"{what} is {described(value)}, not a String")


def described(value: Any) -> str:
    """`empty`, `a String`, `an Integer`, ...: a value's type for error messages."""
    if value is None:
        return "empty"
    name = type_name(value)
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


def rounding_mode(ctx: EvalContext) -> str:
    """The `decimal` rounding constant for the app's *Round numbers* setting."""
    return ROUND_HALF_UP if ctx.rounding == "half_away_from_zero" else ROUND_HALF_EVEN


def from_float(fn: str, value: float) -> Decimal:
    """A double result as a Decimal with the double's shortest digits (`4.0` gives `4`)."""
    if value != value or value in (float("inf"), float("-inf")):
        fail(fn, "the result is not a finite number")
    if value.is_integer():
        return Decimal(int(value))
    return Decimal(repr(value))


def plain(value: Decimal) -> str:
    """Plain notation without exponent and without trailing zeros: `1.40` gives `'1.4'`."""
    if value.is_zero():
        return "0"
    out = format(value, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out
