"""Mathematical functions: max, min, round, random, floor, ceil, pow, abs, sqrt.

Results are exact decimals (never floats), except `pow` with a fractional exponent, which is
computed in double precision as Mendix does and returned as the double's shortest Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation, Overflow
from typing import Any

from nanoflow.runtime.functions._common import (
    DIVISION,
    EXACT,
    MISSING,
    Missing,
    Number,
    check_long,
    described,
    fail,
    from_float,
    integer,
    number,
    rounding_mode,
)
from nanoflow.runtime.functions.context import EvalContext

# Exact integer powers whose result would have more digits than this fall back to 34 digits.
_EXACT_POW_DIGITS = 10_000


def _extreme(fn: str, args: tuple[Any, ...], pick: Callable[..., Any]) -> Number | datetime:
    if len(args) < 2:
        fail(fn, f"needs two or more values, got {len(args)}")
    for i, arg in enumerate(args, 1):
        if arg is None:
            fail(fn, f"argument {i} is empty")
        if isinstance(arg, bool) or not isinstance(arg, int | Decimal | datetime):
            fail(fn, f"argument {i} is {described(arg)}, not a number or DateTime")
    dates = sum(isinstance(a, datetime) for a in args)
    if 0 < dates < len(args):
        fail(fn, "cannot compare DateTime values with numbers")
    best = pick(args)
    if not dates and any(isinstance(a, Decimal) for a in args):
        return Decimal(best)
    assert isinstance(best, int | Decimal | datetime)
    return best


def max_(ctx: EvalContext, *args: Any) -> Number | datetime:
    """The largest of two or more numbers (Decimal if any is Decimal) or DateTimes."""
    return _extreme("max", args, max)


def min_(ctx: EvalContext, *args: Any) -> Number | datetime:
    """The smallest of two or more numbers (Decimal if any is Decimal) or DateTimes."""
    return _extreme("min", args, min)


def round_(ctx: EvalContext, n: Any, precision: int | Missing = MISSING) -> Number:
    """`round(n)` gives an Integer, `round(n, p)` a Decimal with `p` fraction digits (`p` may
    be negative); ties follow `ctx.rounding`."""
    value = number("round", "the number", n)
    mode = rounding_mode(ctx)
    if isinstance(precision, Missing):
        if isinstance(value, int):
            return value
        return check_long("round", int(value.quantize(Decimal(1), mode, EXACT)))
    places = integer("round", "the precision", precision)
    dec = Decimal(value)
    exponent = dec.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        return dec  # nothing to round away
    quantum = Decimal((0, (1,), -places))
    result = dec.quantize(quantum, mode, EXACT)
    return Decimal(int(result)) if places < 0 else result


def random_(ctx: EvalContext) -> Decimal:
    """A random Decimal r with 0 <= r < 1."""
    return Decimal(repr(ctx.random()))


def floor_(ctx: EvalContext, n: Any) -> int:
    """The largest Integer not above `n`."""
    return check_long("floor", math.floor(number("floor", "the number", n)))


def ceil_(ctx: EvalContext, n: Any) -> int:
    """The smallest Integer not below `n`."""
    return check_long("ceil", math.ceil(number("ceil", "the number", n)))


def abs_(ctx: EvalContext, n: Any) -> Number:
    """The absolute value, of the same type as `n`."""
    value = number("abs", "the number", n)
    if isinstance(value, int):
        return check_long("abs", abs(value))
    return value.copy_abs()


def sqrt_(ctx: EvalContext, n: Any) -> Decimal:
    """The square root as a Decimal (34 significant digits); a negative number is an error."""
    value = Decimal(number("sqrt", "the number", n))
    if value < 0:
        fail("sqrt", f"cannot take the square root of the negative number {value}")
    return value.sqrt(DIVISION)


def pow_(ctx: EvalContext, n: Any, p: Any) -> Decimal:
    """`n` to the power `p` as a Decimal: exact for integral exponents (34 digits when the
    exponent is negative or the result huge), double precision for fractional ones."""
    base = Decimal(number("pow", "the number", n))
    exponent = Decimal(number("pow", "the power", p))
    if exponent != exponent.to_integral_value():
        return _float_pow(base, exponent)
    k = int(exponent)
    if k == 0:
        return Decimal(1)  # Java's BigDecimal.pow(0) is 1, also for a zero base
    if base.is_zero() and k < 0:
        fail("pow", "zero cannot be raised to a negative power")
    digits = len(base.as_tuple().digits) + abs(base.adjusted())
    try:
        if k >= 0 and digits * k <= _EXACT_POW_DIGITS:
            return EXACT.power(base, k)
        return DIVISION.power(base, k)
    except (Overflow, InvalidOperation):
        fail("pow", f"the result of {base} to the power {k} is too large")


def _float_pow(base: Decimal, exponent: Decimal) -> Decimal:
    try:
        result = math.pow(float(base), float(exponent))
    except (ValueError, OverflowError):
        fail("pow", f"{base} to the power {exponent} is not a finite real number")
    return from_float("pow", result)


REGISTRY: dict[str, Callable[..., Any]] = {
    "max": max_,
    "min": min_,
    "round": round_,
    "random": random_,
    "floor": floor_,
    "ceil": ceil_,
    "pow": pow_,
    "abs": abs_,
    "sqrt": sqrt_,
}
