"""Tokens: `[%CurrentDateTime%]`, `[%CurrentUser%]`, begin/end of the current period and the
period lengths.

`BeginOf.../EndOf...` are computed in the user's zone, their `...UTC` variants in UTC; an end is
the period's last millisecond. `*Length` tokens are milliseconds (Integer/Long): Mendix does not
document the month and year lengths; they are taken as 30 and 365 days here.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from nanoflow.runtime.functions._common import fail
from nanoflow.runtime.functions.context import UTC_ZONE, EvalContext
from nanoflow.runtime.functions.dates import Unit, begin_of, end_of

LENGTHS: Final = {
    "SecondLength": 1_000,
    "MinuteLength": 60_000,
    "HourLength": 3_600_000,
    "DayLength": 86_400_000,
    "WeekLength": 604_800_000,
    "MonthLength": 30 * 86_400_000,
    "YearLength": 365 * 86_400_000,
}
# Period name -> (unit, days from today).
_PERIODS: Final[dict[str, tuple[Unit, int]]] = {
    "CurrentMinute": ("minute", 0),
    "CurrentHour": ("hour", 0),
    "CurrentDay": ("day", 0),
    "Yesterday": ("day", -1),
    "Tomorrow": ("day", 1),
    "CurrentWeek": ("week", 0),
    "CurrentMonth": ("month", 0),
    "CurrentYear": ("year", 0),
}


def token_names() -> list[str]:
    """Every token `token_value` knows (without the `[% %]`)."""
    names = ["CurrentDateTime", "CurrentUser", *LENGTHS]
    for period in _PERIODS:
        for edge in ("BeginOf", "EndOf"):
            names += [f"{edge}{period}", f"{edge}{period}UTC"]
    return names


def token_value(ctx: EvalContext, name: str) -> Any:
    """The value of a token, named with or without `[% %]`."""
    bare = name.removeprefix("[%").removesuffix("%]")
    if bare == "CurrentDateTime":
        return _now(ctx)
    if bare == "CurrentUser":
        return ctx.current_user
    if bare in LENGTHS:
        return LENGTHS[bare]
    for edge in ("BeginOf", "EndOf"):
        if not bare.startswith(edge):
            continue
        period = bare.removeprefix(edge)
        utc = period.endswith("UTC")
        period = period.removesuffix("UTC")
        if period in _PERIODS:
            unit, shift = _PERIODS[period]
            tz = UTC_ZONE if utc else ctx.timezone
            day = begin_of(_now(ctx), tz, "day")
            moment = _now(ctx) if shift == 0 else _shift_days(day, tz, shift)
            edge_of = begin_of if edge == "BeginOf" else end_of
            return edge_of(moment, tz, unit, ctx.week_start)
    fail(f"[%{bare}%]", "unknown token")


def _now(ctx: EvalContext) -> datetime:
    return ctx.now()


def _shift_days(day_start: datetime, tz: tzinfo, days: int) -> datetime:
    """Noon of the day `days` away from the local day starting at `day_start` (noon is clear of
    DST changes, so the day is the right one)."""
    wall = day_start.astimezone(tz).replace(tzinfo=None) + timedelta(days=days, hours=12)
    return wall.replace(tzinfo=tz)
