"""Date functions: creation, add/subtract, between, trim-to, begin-of/end-of and epoch.

The plain functions work in the user's zone (`ctx.timezone`), the `...UTC` variants in UTC.
Calendar steps (days, weeks, months, quarters, years) keep the local wall-clock time across DST
changes; a wall time that falls in a DST gap moves forward by the gap and an ambiguous one takes
the earlier instant (as Java's and JavaScript's calendars do). Milliseconds to hours are absolute
time spans.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

from nanoflow.runtime.functions._common import (
    check_long,
    fail,
    from_float,
    integer,
)
from nanoflow.runtime.functions._common import (
    date as date_arg,
)
from nanoflow.runtime.functions.context import UTC_ZONE, EvalContext

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS: Final = timedelta(milliseconds=1)
Unit = Literal["second", "minute", "hour", "day", "week", "month", "year"]
_D = TypeVar("_D", date, datetime)
_RANGE = "the result is outside the supported dates (years 1 to 9999)"


def zone(ctx: EvalContext, utc: bool) -> tzinfo:
    """The calendar's zone: UTC for the `...UTC` functions, else the user's."""
    return UTC_ZONE if utc else ctx.timezone


def from_wall(wall: datetime, tz: tzinfo) -> datetime:
    """The UTC instant of a local wall time (naive, or aware in `tz`; `fold` is respected)."""
    return wall.replace(tzinfo=tz).astimezone(UTC)


# --- creation -----------------------------------------------------------------------------

_PARTS: Final = (
    ("year", 1800, 9999),
    ("month", 1, 12),
    ("day", 1, 31),
    ("hour", 0, 23),
    ("minute", 0, 59),
    ("second", 0, 59),
)


def _create(fn: str, tz: tzinfo, parts: tuple[Any, ...]) -> datetime:
    if not 1 <= len(parts) <= 6:
        fail(fn, f"takes 1 to 6 arguments (year to second), got {len(parts)}")
    values = [1800, 1, 1, 0, 0, 0]
    for i, ((name, low, high), part) in enumerate(zip(_PARTS, parts, strict=False)):
        value = integer(fn, f"the {name}", part)
        if not low <= value <= high:
            extra = " (four digits, above 1799)" if name == "year" else ""
            fail(fn, f"{name} {value} is out of range {low} to {high}{extra}")
        values[i] = value
    year, month, day, hour, minute, second = values
    # Days beyond the month's end roll over (dateTime(2007, 2, 30) is 2 March), as in Java.
    wall = datetime(year, month, 1, hour, minute, second) + timedelta(days=day - 1)
    return from_wall(wall, tz)


def date_time(ctx: EvalContext, *parts: Any) -> datetime:
    """`dateTime(year[, month[, day[, hour[, minute[, second]]]]])` in the user's zone."""
    return _create("dateTime", ctx.timezone, parts)


def date_time_utc(ctx: EvalContext, *parts: Any) -> datetime:
    """`dateTimeUTC(...)`: as `dateTime`, in UTC."""
    return _create("dateTimeUTC", UTC_ZONE, parts)


# --- add and subtract ---------------------------------------------------------------------


def add_span(fn: str, d: datetime, span: timedelta) -> datetime:
    """`d` plus an absolute time span."""
    try:
        return d + span
    except OverflowError:
        fail(fn, _RANGE)


def add_calendar(fn: str, d: datetime, tz: tzinfo, months: int = 0, days: int = 0) -> datetime:
    """`d` plus calendar months and days in zone `tz`, keeping the wall-clock time; a day past
    the end of the target month becomes its last day (31 January + 1 month = 28/29 February)."""
    if months == 0 and days == 0:
        return d
    try:
        wall = d.astimezone(tz).replace(tzinfo=None, fold=0)
        if months:
            wall = _add_months(wall, months)
        if days:
            wall = wall + timedelta(days=days)
        return from_wall(wall, tz)
    except (OverflowError, ValueError):
        fail(fn, _RANGE)


def _add_months(value: _D, months: int) -> _D:
    year, month0 = divmod(value.year * 12 + value.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("year out of range")
    day = min(value.day, calendar.monthrange(year, month0 + 1)[1])
    return value.replace(year=year, month=month0 + 1, day=day)


def _span_adder(fn: str, unit: timedelta, sign: int) -> Callable[..., datetime]:
    def apply(ctx: EvalContext, d: Any, n: Any) -> datetime:
        base = date_arg(fn, "the date", d)
        amount = integer(fn, "the amount", n) * sign
        try:
            span = unit * amount
        except OverflowError:
            fail(fn, _RANGE)
        return add_span(fn, base, span)

    apply.__name__ = apply.__qualname__ = fn
    apply.__doc__ = f"`{fn}(date, n)`: an absolute span of {unit} times n."
    return apply


def _calendar_adder(
    fn: str, months: int, days: int, sign: int, utc: bool
) -> Callable[..., datetime]:
    def apply(ctx: EvalContext, d: Any, n: Any) -> datetime:
        base = date_arg(fn, "the date", d)
        amount = integer(fn, "the amount", n) * sign
        return add_calendar(fn, base, zone(ctx, utc), months * amount, days * amount)

    apply.__name__ = apply.__qualname__ = fn
    where = "UTC" if utc else "the user's zone"
    apply.__doc__ = f"`{fn}(date, n)`: calendar arithmetic in {where}."
    return apply


_SPANS: Final = {
    "Milliseconds": timedelta(milliseconds=1),
    "Seconds": timedelta(seconds=1),
    "Minutes": timedelta(minutes=1),
    "Hours": timedelta(hours=1),
}
_CALENDAR_STEPS: Final = {  # (months, days)
    "Days": (0, 1),
    "Weeks": (0, 7),
    "Months": (1, 0),
    "Quarters": (3, 0),
    "Years": (12, 0),
}


# --- between ------------------------------------------------------------------------------


def _micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _between(fn: str, unit_ms: int) -> Callable[..., Decimal]:
    def apply(ctx: EvalContext, a: Any, b: Any) -> Decimal:
        first = date_arg(fn, "the first date", a)
        second = date_arg(fn, "the second date", b)
        micros = abs(_micros(second - first))
        if unit_ms == 1:
            return Decimal(micros).scaleb(-3) if micros % 1000 else Decimal(micros // 1000)
        return from_float(fn, (micros / 1000) / unit_ms)  # a double, as Mendix computes it

    apply.__name__ = apply.__qualname__ = fn
    apply.__doc__ = f"`{fn}(a, b)`: the absolute difference as a Decimal (double precision)."
    return apply


def _local_dates(ctx: EvalContext, fn: str, a: Any, b: Any) -> tuple[date, date]:
    first = date_arg(fn, "the first date", a)
    second = date_arg(fn, "the second date", b)
    early, late = sorted((first, second))
    return early.astimezone(ctx.timezone).date(), late.astimezone(ctx.timezone).date()


def calendar_months_between(ctx: EvalContext, a: Any, b: Any) -> int:
    """Whole calendar months between the two dates in the user's zone (time of day ignored):
    the largest n with `addMonths(earlier, n) <= later` on dates."""
    early, late = _local_dates(ctx, "calendarMonthsBetween", a, b)
    months = (late.year - early.year) * 12 + late.month - early.month
    if _add_months(early, months) > late:
        months -= 1
    return months


def calendar_years_between(ctx: EvalContext, a: Any, b: Any) -> int:
    """Whole calendar years between the two dates in the user's zone (time of day ignored)."""
    early, late = _local_dates(ctx, "calendarYearsBetween", a, b)
    years = late.year - early.year
    if _add_months(early, 12 * years) > late:
        years -= 1
    return years


# --- trim, begin of, end of ---------------------------------------------------------------


def begin_of(d: datetime, tz: tzinfo, unit: Unit, week_start: int = 0) -> datetime:
    """The first instant of the `unit` containing `d`, in zone `tz`."""
    local = d.astimezone(tz)
    if unit in ("second", "minute", "hour"):
        wall = local.replace(microsecond=0)
        if unit != "second":
            wall = wall.replace(second=0)
        if unit == "hour":
            wall = wall.replace(minute=0)
        return wall.astimezone(UTC)  # keeps `fold`: the right instant in a repeated hour
    day = local.date()
    if unit == "week":
        js_weekday = (day.weekday() + 1) % 7
        day -= timedelta(days=(js_weekday - week_start) % 7)
    elif unit == "month":
        day = day.replace(day=1)
    elif unit == "year":
        day = day.replace(month=1, day=1)
    return from_wall(datetime(day.year, day.month, day.day), tz)


_CLOCK_UNITS: Final[dict[str, timedelta]] = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
}


def end_of(d: datetime, tz: tzinfo, unit: Unit, week_start: int = 0) -> datetime:
    """The last millisecond of the `unit` containing `d`, in zone `tz`."""
    start = begin_of(d, tz, unit, week_start)
    if unit in _CLOCK_UNITS:
        return start + _CLOCK_UNITS[unit] - ONE_MS
    wall = start.astimezone(tz).replace(tzinfo=None, fold=0)
    if unit == "day":
        wall += timedelta(days=1)
    elif unit == "week":
        wall += timedelta(days=7)
    else:
        wall = _add_months(wall, 1 if unit == "month" else 12)
    return from_wall(wall, tz) - ONE_MS


def _period(fn: str, unit: Unit, end: bool, utc: bool) -> Callable[..., datetime]:
    def apply(ctx: EvalContext, d: Any) -> datetime:
        value = date_arg(fn, "the date", d)
        try:
            if end:
                return end_of(value, zone(ctx, utc), unit, ctx.week_start)
            return begin_of(value, zone(ctx, utc), unit, ctx.week_start)
        except (OverflowError, ValueError):
            fail(fn, _RANGE)

    apply.__name__ = apply.__qualname__ = fn
    edge = "last millisecond" if end else "start"
    apply.__doc__ = f"`{fn}(date)`: the {edge} of the {unit}."
    return apply


# --- epoch --------------------------------------------------------------------------------


def date_time_to_epoch(ctx: EvalContext, d: Any) -> int:
    """Milliseconds since 1970-01-01T00:00Z."""
    value = date_arg("dateTimeToEpoch", "the date", d)
    return check_long("dateTimeToEpoch", (value - EPOCH) // ONE_MS)


def epoch_to_date_time(ctx: EvalContext, n: Any) -> datetime:
    """The DateTime `n` milliseconds after 1970-01-01T00:00Z."""
    ms = integer("epochToDateTime", "the epoch", n)
    try:
        return EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        fail("epochToDateTime", f"{ms} ms is outside the supported dates (years 1 to 9999)")


REGISTRY: dict[str, Callable[..., Any]] = {
    "dateTime": date_time,
    "dateTimeUTC": date_time_utc,
    "calendarMonthsBetween": calendar_months_between,
    "calendarYearsBetween": calendar_years_between,
    "dateTimeToEpoch": date_time_to_epoch,
    "epochToDateTime": epoch_to_date_time,
}
for _name, _span in _SPANS.items():
    REGISTRY[f"add{_name}"] = _span_adder(f"add{_name}", _span, 1)
    REGISTRY[f"subtract{_name}"] = _span_adder(f"subtract{_name}", _span, -1)
for _name, (_months, _days) in _CALENDAR_STEPS.items():
    for _suffix in ("", "UTC"):
        _add = f"add{_name}{_suffix}"
        _sub = f"subtract{_name}{_suffix}"
        REGISTRY[_add] = _calendar_adder(_add, _months, _days, 1, _suffix == "UTC")
        REGISTRY[_sub] = _calendar_adder(_sub, _months, _days, -1, _suffix == "UTC")
for _name, _unit_ms in (
    ("milliseconds", 1),
    ("seconds", 1000),
    ("minutes", 60_000),
    ("hours", 3_600_000),
    ("days", 86_400_000),
    ("weeks", 604_800_000),
):
    REGISTRY[f"{_name}Between"] = _between(f"{_name}Between", _unit_ms)
_PERIODS: Final[tuple[tuple[str, Unit], ...]] = (
    ("Day", "day"), ("Week", "week"), ("Month", "month"), ("Year", "year"),
)  # fmt: skip
for _name, _unit in _PERIODS:
    REGISTRY[f"beginOf{_name}"] = _period(f"beginOf{_name}", _unit, False, False)
    REGISTRY[f"endOf{_name}"] = _period(f"endOf{_name}", _unit, True, False)
REGISTRY["trimToSeconds"] = _period("trimToSeconds", "second", False, False)
REGISTRY["trimToMinutes"] = _period("trimToMinutes", "minute", False, False)
_TRIMS: Final[tuple[tuple[str, Unit], ...]] = (
    ("Hours", "hour"), ("Days", "day"), ("Months", "month"), ("Years", "year"),
)  # fmt: skip
for _name, _unit in _TRIMS:
    REGISTRY[f"trimTo{_name}"] = _period(f"trimTo{_name}", _unit, False, False)
    REGISTRY[f"trimTo{_name}UTC"] = _period(f"trimTo{_name}UTC", _unit, False, True)
