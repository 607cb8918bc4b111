"""Conversion, parsing and formatting: toString, parseInteger, parseDecimal, formatDecimal,
formatDateTime, formatDate, formatTime and parseDateTime (each date one with a UTC variant).

Decisions where Mendix leaves the output to the platform:

* `toString(Decimal)` is plain notation without trailing zeros (`toString(12 : 3)` is `'4'`), as
  nanoflows' JavaScript big numbers print; `toString(DateTime)` is Java's `Date.toString` form
  `EEE MMM dd HH:mm:ss zzz yyyy` in the user's zone.
* `formatDecimal(d)` without a pattern uses `#,##0.########` (grouping, up to 8 fraction
  digits: the Decimal precision Mendix stores) with the symbols of `ctx.locale` (en_US: `1,234.5`).
  With a pattern it is a Java DecimalFormat (see `number_patterns`), half-even.
* `formatDateTime(d)` without a pattern uses `M/d/yy, h:mm a` (Java's en_US SHORT date and time,
  with a plain space before AM/PM); `formatDate` is `M/d/yy` and `formatTime` `h:mm a`.
* `parseInteger`/`parseDecimal` take the nanoflow forms: optional surrounding white space, an
  optional sign, ASCII digits (and for decimals a point and an exponent). `parseDecimal(s,
  pattern[, default])`, the microflow form, is accepted too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from nanoflow.runtime.functions._common import (
    MISSING,
    Missing,
    described,
    fail,
    number,
    plain,
    string_arg,
)
from nanoflow.runtime.functions._common import date as date_arg
from nanoflow.runtime.functions.context import UTC_ZONE, EvalContext
from nanoflow.runtime.functions.date_patterns import (
    JAVA_DATE_STRING,
    PatternError,
    WeekRules,
    format_datetime,
    parse_datetime,
)
from nanoflow.runtime.functions.locales import number_symbols
from nanoflow.runtime.functions.number_patterns import (
    NumberPatternError,
    compile_number_pattern,
    format_number,
    parse_number,
)
from nanoflow.runtime.number_text import NumberTextError, read_decimal, read_integer, shorten
from nanoflow.runtime.values import EnumValue

DEFAULT_DECIMAL_PATTERN: Final = "#,##0.########"
DEFAULT_DATETIME_PATTERN: Final = "M/d/yy, h:mm a"
DEFAULT_DATE_PATTERN: Final = "M/d/yy"
DEFAULT_TIME_PATTERN: Final = "h:mm a"


def week_rules(ctx: EvalContext) -> WeekRules:
    """The week numbering of the context (first day and minimal days of week 1)."""
    return WeekRules(ctx.week_start, ctx.min_week_days)


def to_string(ctx: EvalContext, value: Any) -> str:
    """The text of a primitive or enumeration value; empty gives `''`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return _format("toString", ctx, value, JAVA_DATE_STRING, utc=False)
    if isinstance(value, EnumValue):
        return value.key
    fail("toString", f"cannot convert {described(value)} to a String")


def parse_integer(ctx: EvalContext, s: Any, default: Any = MISSING) -> int | None:
    """The Integer/Long in `s`; on failure `default` (which may be empty), or an error."""
    value = string_arg("parseInteger", "the string", s)
    try:
        return read_integer(value)
    except NumberTextError as error:
        reason = "is not an Integer" if str(error) == "is not an integer" else str(error)
    if isinstance(default, Missing):
        fail("parseInteger", f"{shorten(repr(value))} {reason}")
    if default is None:
        return None
    number("parseInteger", "the default value", default)
    if not isinstance(default, int):
        fail("parseInteger", "the default value must be an Integer/Long")
    return default


def parse_decimal(ctx: EvalContext, s: Any, *rest: Any) -> Decimal | None:
    """`parseDecimal(s[, default])`, or `parseDecimal(s, pattern[, default])` (microflows)."""
    value = string_arg("parseDecimal", "the string", s)
    if len(rest) > 2:
        fail("parseDecimal", f"takes at most 3 arguments, got {1 + len(rest)}")
    if rest and isinstance(rest[0], str):
        result = _parse_with_pattern(ctx, value, rest[0])
        default = rest[1] if len(rest) > 1 else MISSING
    else:
        if len(rest) > 1:
            fail("parseDecimal", "the second argument must be a pattern when there are three")
        result = _parse_plain(value)
        default = rest[0] if rest else MISSING
    if result is not None:
        return result
    if isinstance(default, Missing):
        what = "empty" if s is None else shorten(repr(value))
        fail("parseDecimal", f"{what} is not a Decimal")
    if default is None:
        return None
    return Decimal(number("parseDecimal", "the default value", default))


def _parse_plain(value: str) -> Decimal | None:
    try:
        return read_decimal(value)
    except NumberTextError:
        return None


def _parse_with_pattern(ctx: EvalContext, value: str, pattern: str) -> Decimal | None:
    try:
        compiled = compile_number_pattern(pattern)
    except NumberPatternError as exc:
        fail("parseDecimal", str(exc))
    return parse_number(value, compiled, number_symbols(ctx.locale))


def format_decimal(ctx: EvalContext, d: Any, pattern: Any = MISSING, locale: Any = MISSING) -> str:
    """The number written with a DecimalFormat pattern (default `#,##0.########`) and the
    symbols of `locale` (a BCP-47 tag; default `ctx.locale`)."""
    value = Decimal(number("formatDecimal", "the value", d))
    source = DEFAULT_DECIMAL_PATTERN if isinstance(pattern, Missing) else pattern
    tag = ctx.locale if isinstance(locale, Missing) else locale
    source = string_arg("formatDecimal", "the pattern", source)
    tag = string_arg("formatDecimal", "the locale", tag) or ctx.locale
    try:
        compiled = compile_number_pattern(source)
    except NumberPatternError as exc:
        fail("formatDecimal", str(exc))
    return format_number(value, compiled, number_symbols(tag))


def _format(fn: str, ctx: EvalContext, d: Any, pattern: str, utc: bool) -> str:
    value = date_arg(fn, "the date", d)
    try:
        return format_datetime(value, UTC_ZONE if utc else ctx.timezone, pattern, week_rules(ctx))
    except PatternError as exc:
        fail(fn, str(exc))
    except OverflowError:
        fail(fn, "the date is outside the years 1 to 9999 in this time zone")


def _formatter(fn: str, default: str, utc: bool, takes_pattern: bool) -> Callable[..., str]:
    def apply(ctx: EvalContext, d: Any, pattern: Any = MISSING) -> str:
        source = default if isinstance(pattern, Missing) else string_arg(fn, "the pattern", pattern)
        return _format(fn, ctx, d, source, utc)

    def apply_fixed(ctx: EvalContext, d: Any) -> str:
        return _format(fn, ctx, d, default, utc)

    chosen = apply if takes_pattern else apply_fixed
    chosen.__name__ = chosen.__qualname__ = fn
    where = "UTC" if utc else "the user's zone"
    chosen.__doc__ = f"`{fn}`: the date in {where}, by default as `{default}`."
    return chosen


def _parser(fn: str, utc: bool) -> Callable[..., datetime | None]:
    def apply(ctx: EvalContext, s: Any, pattern: Any, default: Any = MISSING) -> datetime | None:
        value = string_arg(fn, "the string", s)
        source = string_arg(fn, "the pattern", pattern)
        tz = UTC_ZONE if utc else ctx.timezone
        try:
            result = parse_datetime(value, source, tz, ctx.now(), week_rules(ctx))
        except PatternError as exc:
            fail(fn, str(exc))
        if result is not None:
            return result
        if isinstance(default, Missing):
            fail(fn, f"{value!r} does not match the pattern {source!r}")
        if default is None:
            return None
        return date_arg(fn, "the default value", default)

    apply.__name__ = apply.__qualname__ = fn
    where = "UTC" if utc else "the user's zone"
    apply.__doc__ = f"`{fn}(s, pattern[, default])`: lenient SimpleDateFormat parse in {where}."
    return apply


REGISTRY: dict[str, Callable[..., Any]] = {
    "toString": to_string,
    "parseInteger": parse_integer,
    "parseDecimal": parse_decimal,
    "formatDecimal": format_decimal,
    "parseDateTime": _parser("parseDateTime", utc=False),
    "parseDateTimeUTC": _parser("parseDateTimeUTC", utc=True),
    "formatDateTime": _formatter("formatDateTime", DEFAULT_DATETIME_PATTERN, False, True),
    "formatDateTimeUTC": _formatter("formatDateTimeUTC", DEFAULT_DATETIME_PATTERN, True, True),
    "formatDate": _formatter("formatDate", DEFAULT_DATE_PATTERN, False, False),
    "formatDateUTC": _formatter("formatDateUTC", DEFAULT_DATE_PATTERN, True, False),
    "formatTime": _formatter("formatTime", DEFAULT_TIME_PATTERN, False, False),
    "formatTimeUTC": _formatter("formatTimeUTC", DEFAULT_TIME_PATTERN, True, False),
}
