"""Mendix 7's deprecated Float and Currency functions, working on Decimals (docs/language.md 11;
the checker warns with NF701)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nanoflow.runtime.functions._common import EXACT, integer, number
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.functions.convert import format_decimal, parse_decimal
from nanoflow.runtime.values import MendixError


def to_float(ctx: EvalContext, n: Any) -> Decimal:
    """The number as a Decimal (Float became Decimal)."""
    return Decimal(number("toFloat", "the number", n))


def _renamed(fn: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    """`fn` with its errors naming the function the flow called."""

    def call(ctx: EvalContext, *args: Any) -> Any:
        try:
            return fn(ctx, *args)
        except MendixError as error:
            if error.message.startswith(f"{new}:"):
                raise MendixError(old + error.message[len(new) :]) from None
            raise

    call.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return call


def _equal_to_places(fn: str) -> Callable[..., bool]:
    def equal(ctx: EvalContext, a: Any, b: Any, precision: Any) -> bool:
        """Whether `a` and `b` differ by less than 10^-precision."""
        left = Decimal(number(fn, "the first number", a))
        right = Decimal(number(fn, "the second number", b))
        places = integer(fn, "the precision", precision)
        return EXACT.subtract(left, right).copy_abs() < Decimal(1).scaleb(-places)

    return equal


REGISTRY: dict[str, Callable[..., Any]] = {
    "toFloat": to_float,
    "parseFloat": _renamed(parse_decimal, "parseFloat", "parseDecimal"),
    "formatFloat": _renamed(format_decimal, "formatFloat", "formatDecimal"),
    "floatsEqual": _equal_to_places("floatsEqual"),
    "currenciesEqual": _equal_to_places("currenciesEqual"),
}
