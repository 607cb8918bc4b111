"""Numbers read from text: one strict rule for every entrance (`parseInteger`, `parseDecimal`,
`--param`, `--var`, JSON values of the CLI and the embedding API).

An integer is optional white space, an optional sign, ASCII digits and optional white space:
`1_000`, `٣` (an Arabic-Indic three) and `0x10` are refused, as `parseInteger` refuses them. A
decimal adds a point and an exponent. NaN and infinities are never values.

Values the user gives for Decimal parameters and variables keep to Mendix's Decimal: at most 20
digits before the point and 8 after (`99999999999999999999.99999999` is the largest).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from nanoflow.runtime.values import LONG_MAX, LONG_MIN

INTEGER_RE: Final = re.compile(r"\s*[+-]?[0-9]+\s*")
DECIMAL_RE: Final = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
#: A parsed decimal beyond 10^MAX_EXPONENT is refused rather than expanded.
MAX_EXPONENT: Final = 1000
INTEGER_DIGITS: Final = 20
FRACTION_DIGITS: Final = 8
_LONG_DIGITS: Final = 19
_DECIMAL_LIMIT: Final = Decimal(10) ** INTEGER_DIGITS
DECIMAL_RANGE: Final = (
    f"a Decimal has at most {INTEGER_DIGITS} digits before the point and {FRACTION_DIGITS} after"
)


class NumberTextError(ValueError):
    """Text that is not a number of the wanted kind; the message says why (`is not ...`)."""


def read_integer(text: str) -> int:
    """The Integer/Long written in `text`; `NumberTextError` if it is none or does not fit
    a Long."""
    if not INTEGER_RE.fullmatch(text):
        raise NumberTextError("is not an integer")
    if len(text.strip().lstrip("+-").lstrip("0")) > _LONG_DIGITS:
        raise NumberTextError("does not fit a Long")
    value = int(text)
    if not LONG_MIN <= value <= LONG_MAX:
        raise NumberTextError("does not fit a Long")
    return value


def read_decimal(text: str) -> Decimal:
    """The Decimal written in `text`, exactly (plain or exponent notation); `NumberTextError`
    if it is none or its magnitude is beyond 10^1000."""
    if not DECIMAL_RE.fullmatch(text):
        raise NumberTextError("is not a decimal number")
    exponent = text.strip().lower().partition("e")[2].lstrip("+-").lstrip("0")
    if len(exponent) > len(str(MAX_EXPONENT)):
        raise NumberTextError("is too large")
    value = Decimal(text.strip())
    if not value.is_zero() and abs(value.adjusted()) > MAX_EXPONENT:
        raise NumberTextError("is too large")
    return value


def fits_decimal(value: Decimal) -> bool:
    """Whether `value` is a finite Decimal within Mendix's range and precision."""
    if not in_decimal_range(value):
        return False
    if value.is_zero():
        return True
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -FRACTION_DIGITS


def in_decimal_range(value: Decimal) -> bool:
    """Whether `value` is finite with at most 20 digits before the point (the fraction is
    rounded to 8 places where a value is stored)."""
    return value.is_finite() and abs(value) < _DECIMAL_LIMIT


def user_decimal(text: str) -> Decimal:
    """A Decimal the user wrote for a parameter or variable: `read_decimal` and Mendix's
    range and precision."""
    value = read_decimal(text)
    if not fits_decimal(value):
        raise NumberTextError(f"does not fit a Decimal ({DECIMAL_RANGE})")
    return value


def _refuse_constant(name: str) -> Any:
    raise NumberTextError(f"{name} is not a number (NaN and infinities are never values)")


def _json_integer(text: str) -> int:
    return read_integer(text)


def _json_decimal(text: str) -> Decimal:
    try:
        return read_decimal(text)
    except (NumberTextError, InvalidOperation):
        raise NumberTextError(f"{shorten(text)} is too large") from None


def load_json(text: str) -> Any:
    """JSON with exact decimals: integers must fit a Long, decimals within 10^±1000; `NaN`
    and `Infinity` are refused. Raises `ValueError` (a `json.JSONDecodeError` for bad syntax)."""
    try:
        value = json.loads(
            text,
            parse_float=_json_decimal,
            parse_int=_json_integer,
            parse_constant=_refuse_constant,
        )
    except NumberTextError as error:
        if str(error).startswith(("is ", "does ")):
            raise NumberTextError(f"a number in the JSON {error}") from None
        raise
    _check_strings(value)
    return value


def _check_strings(value: Any) -> None:
    """Refuse JSON strings that are not Unicode text (an unpaired surrogate such as `\\ud800`)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "a string in the JSON holds an unpaired surrogate (\\ud800-\\udfff)"
            ) from None
    elif isinstance(value, dict):
        for key, member in value.items():
            _check_strings(key)
            _check_strings(member)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def shorten(text: str, limit: int = 40) -> str:
    """`text` cut to `limit` characters (with `…`) for error messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
