"""Operators of Mendix expressions on runtime values (what generated flow code calls).

The code generator inlines the common Integer cases; these helpers cover the rest and raise
`MendixError` with a message a user can act on.
"""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    InvalidOperation,
)
from typing import Any, NoReturn

from nanoflow.runtime.functions.convert import to_string
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, EnumValue, MendixError, MxObject

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
DIVISION = Context(prec=34, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)


def empty_operand(what: str, op: str) -> NoReturn:
    """Arithmetic on empty is an error naming the operand."""
    raise MendixError(f"cannot use `{op}` on empty: {what} is empty")


def overflow(op: str) -> NoReturn:
    raise MendixError(f"the result of `{op}` does not fit in a Long (-2^63 .. 2^63-1)")


def check_long(value: int, op: str) -> int:
    if LONG_MIN <= value <= LONG_MAX:
        return value
    overflow(op)


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def add(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return check_long(a + b, "+")
    return EXACT.add(_decimal(a), _decimal(b))


def subtract(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return check_long(a - b, "-")
    return EXACT.subtract(_decimal(a), _decimal(b))


def multiply(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return check_long(a * b, "*")
    return EXACT.multiply(_decimal(a), _decimal(b))


def divide(a: Any, b: Any) -> Decimal:
    """`div` and `:`: always Decimal, 34 significant digits, half-even."""
    if b == 0:
        raise MendixError("division by zero")
    try:
        result = DIVISION.divide(_decimal(a), _decimal(b))
    except InvalidOperation as error:  # pragma: no cover - guarded above
        raise MendixError(f"cannot divide {a} by {b}") from error
    return result


def mod(a: Any, b: Any) -> Any:
    """Remainder of a truncating division: the sign follows the dividend (Java, JavaScript)."""
    if b == 0:
        raise MendixError("division by zero in `mod`")
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return EXACT.remainder(_decimal(a), _decimal(b))


def negate(a: Any) -> Any:
    if isinstance(a, int):
        return check_long(-a, "-")
    return -a


def to_text(ctx: Any, value: Any) -> str:
    """The text `+` concatenates: `toString` of the value (empty gives '')."""
    if value.__class__ is str:
        return value
    return to_string(ctx, value)


def concat(ctx: Any, a: Any, b: Any) -> str:
    return to_text(ctx, a) + to_text(ctx, b)


def alive(value: Any) -> Any:
    """An object removed by a synchronization reads as empty."""
    if isinstance(value, MxObject) and value.removed:
        return None
    return value


def equals(a: Any, b: Any) -> bool:
    """`=` with Mendix's empty rules: empty equals only empty and, for strings, ''."""
    a = alive(a)
    b = alive(b)
    if a is None or b is None:
        if a is None and b is None:
            return True
        other = b if a is None else a
        return other == "" or (isinstance(other, list) and not other)
    if isinstance(a, EnumValue) and isinstance(b, str):
        return a.key == b
    if isinstance(b, EnumValue) and isinstance(a, str):
        return b.key == a
    if isinstance(a, MxObject) or isinstance(b, MxObject):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def order(a: Any, b: Any, op: str) -> bool:
    """`<`, `>`, `<=`, `>=`: an empty operand is an error."""
    if a is None or b is None:
        raise MendixError(f"cannot compare empty with `{op}`")
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def boolean(value: Any, what: str) -> bool:
    if value is None:
        raise MendixError(f"{what} is empty, not true or false")
    return bool(value)
