"""Date functions: DST behaviour in Europe/Amsterdam, month-end clamping, calendar differences,
begin/end of periods, week starts and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.runtime.functions import FUNCTIONS, EvalContext, token_names, token_value
from nanoflow.runtime.values import MendixError, MxObject

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)  # Sunday 15 June 2025, 12:00 CEST
CTX = EvalContext(timezone=AMS, now=lambda: NOW)
MONDAY_CTX = EvalContext(timezone=AMS, now=lambda: NOW, week_start=1)


def L(*parts: int, fold: int = 0) -> datetime:
    """A local wall time in Amsterdam as a UTC instant."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=AMS, fold=fold).astimezone(UTC)


def U(*parts: int) -> datetime:
    """A UTC time."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)


def call(name: str, *args: Any, ctx: EvalContext = CTX) -> Any:
    return FUNCTIONS[name](ctx, *args)


# --- DST ------------------------------------------------------------------------------------


def test_add_days_keeps_the_wall_clock_over_spring_forward() -> None:
    result = call("addDays", L(2024, 3, 30, 12), 1)
    assert result == L(2024, 3, 31, 12)
    assert result - L(2024, 3, 30, 12) == timedelta(hours=23)
    assert call("toString", result) == "Sun Mar 31 12:00:00 CEST 2024"


def test_add_days_keeps_the_wall_clock_over_fall_back() -> None:
    result = call("addDays", L(2024, 10, 26, 12), 1)
    assert result == L(2024, 10, 27, 12)
    assert result - L(2024, 10, 26, 12) == timedelta(hours=25)


def test_add_hours_is_absolute_time() -> None:
    assert call("addHours", L(2024, 3, 30, 12), 24) == L(2024, 3, 31, 13)
    assert call("addHours", L(2024, 3, 31, 1, 30), 1) == L(2024, 3, 31, 3, 30)
    first = call("addHours", L(2024, 10, 27, 1, 30), 1)  # 02:30 CEST
    second = call("addHours", first, 1)  # 02:30 CET, the repeated hour
    assert call("formatDateTime", first, "HH:mm z") == "02:30 CEST"
    assert call("formatDateTime", second, "HH:mm z") == "02:30 CET"
    assert second == L(2024, 10, 27, 2, 30, fold=1)


def test_add_days_into_a_gap_moves_forward_and_into_an_overlap_takes_the_earlier() -> None:
    assert call("addDays", L(2024, 3, 30, 2, 30), 1) == L(2024, 3, 31, 3, 30)
    assert call("addDays", L(2024, 10, 26, 2, 30), 1) == U(2024, 10, 27, 0, 30)


def test_add_days_utc_uses_the_utc_calendar() -> None:
    start = L(2024, 3, 30, 12)  # 11:00 UTC
    assert call("addDaysUTC", start, 1) == start + timedelta(days=1)
    assert call("addDays", start, 1) == start + timedelta(hours=23)
    assert call("addWeeks", start, 1) == L(2024, 4, 6, 12)
    assert call("addWeeksUTC", start, 1) == start + timedelta(weeks=1)


def test_add_zero_days_is_the_identity_even_in_the_repeated_hour() -> None:
    repeated = L(2024, 10, 27, 2, 30, fold=1)
    assert call("addDays", repeated, 0) == repeated
    assert call("addMonths", repeated, 0) == repeated


def test_date_time_in_a_gap_and_day_rollover() -> None:
    assert call("dateTime", 2024, 3, 31, 2, 30) == L(2024, 3, 31, 3, 30)
    assert call("dateTime", 2023, 2, 31) == L(2023, 3, 3)
    assert call("dateTimeUTC", 2024, 3, 31, 2, 30) == U(2024, 3, 31, 2, 30)


def test_days_between_on_a_dst_day_counts_real_time() -> None:
    begin = call("beginOfDay", L(2024, 3, 31, 12))
    end = call("endOfDay", L(2024, 3, 31, 12))
    assert end == L(2024, 3, 31, 23, 59, 59, 999)
    assert call("hoursBetween", begin, end) == Decimal(repr((23 * 3_600_000 - 1) / 3_600_000))


def test_trim_to_hours_in_the_repeated_hour_stays_in_it() -> None:
    repeated = U(2024, 10, 27, 1, 45)  # 02:45 CET, the second 02:45
    assert call("trimToHours", repeated) == U(2024, 10, 27, 1, 0)
    assert call("trimToHoursUTC", repeated) == U(2024, 10, 27, 1, 0)
    assert call("trimToMinutes", repeated) == repeated


# --- month ends and calendar differences -------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "start", "n", "expected"),
    [
        ("addMonths", (2023, 1, 31), 1, (2023, 2, 28)),
        ("addMonths", (2024, 1, 31), 1, (2024, 2, 29)),
        ("addMonths", (2024, 1, 31), 3, (2024, 4, 30)),
        ("addMonths", (2024, 3, 31), -1, (2024, 2, 29)),
        ("subtractMonths", (2024, 3, 31), 1, (2024, 2, 29)),
        ("addQuarters", (2023, 11, 30), 1, (2024, 2, 29)),
        ("addYears", (2024, 2, 29), 1, (2025, 2, 28)),
        ("addYears", (2024, 2, 29), 4, (2028, 2, 29)),
        ("subtractYears", (2024, 2, 29), 1, (2023, 2, 28)),
        ("addMonthsUTC", (2023, 1, 31), 1, (2023, 2, 28)),
    ],
)
def test_month_end_clamping(
    fn: str, start: tuple[int, int, int], n: int, expected: tuple[int, int, int]
) -> None:
    make = U if fn.endswith("UTC") else L
    assert call(fn, make(*start, 9, 15), n) == make(*expected, 9, 15)


def test_clamping_is_not_undone() -> None:
    there = call("addMonths", L(2024, 1, 31), 1)
    assert call("addMonths", there, 1) == L(2024, 3, 29)


def test_calendar_months_between_uses_the_users_dates() -> None:
    early = U(2024, 1, 31, 23, 30)  # 1 February 00:30 in Amsterdam
    late = U(2024, 2, 29, 12)
    assert call("calendarMonthsBetween", early, late) == 0
    utc_ctx = EvalContext(now=lambda: NOW)
    assert call("calendarMonthsBetween", early, late, ctx=utc_ctx) == 1


def test_between_is_absolute() -> None:
    a, b = L(2024, 1, 1), L(2024, 1, 9)
    for name in ("millisecondsBetween", "daysBetween", "weeksBetween"):
        assert call(name, a, b) == call(name, b, a)
    assert call("daysBetween", a, L(2024, 1, 1, 6)) == Decimal("0.25")
    assert call("millisecondsBetween", a, a + timedelta(microseconds=1500)) == Decimal("1.5")


local_days = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(AMS)
).map(lambda d: d.astimezone(UTC))


@given(local_days, st.integers(-240, 240))
def test_calendar_months_between_inverts_add_months(start: datetime, n: int) -> None:
    assert call("calendarMonthsBetween", start, call("addMonths", start, n)) == abs(n)


@given(local_days, st.integers(-50, 50))
def test_calendar_years_between_inverts_add_years(start: datetime, n: int) -> None:
    assert call("calendarYearsBetween", start, call("addYears", start, n)) == abs(n)


@given(local_days, st.integers(-1000, 1000))
def test_add_then_subtract_days_returns_the_instant(start: datetime, n: int) -> None:
    back = call("subtractDays", call("addDays", start, n), n)
    if start.astimezone(AMS).hour >= 4:
        assert back == start
    else:  # a step into a DST gap (02:xx) or a repeated hour can move the result
        assert abs(back - start) <= timedelta(hours=2)


@given(st.integers(-(10**13), 10**13))
def test_epoch_round_trip(ms: int) -> None:
    assert call("dateTimeToEpoch", call("epochToDateTime", ms)) == ms


# --- begin and end of periods, week starts ------------------------------------------------


def test_week_start_monday() -> None:
    wednesday = L(2024, 5, 15, 10)
    assert call("beginOfWeek", wednesday, ctx=MONDAY_CTX) == L(2024, 5, 13)
    assert call("endOfWeek", wednesday, ctx=MONDAY_CTX) == L(2024, 5, 19, 23, 59, 59, 999)
    sunday = L(2024, 5, 19, 10)
    assert call("beginOfWeek", sunday) == L(2024, 5, 19)
    assert call("beginOfWeek", sunday, ctx=MONDAY_CTX) == L(2024, 5, 13)


def test_end_of_periods_across_dst() -> None:
    assert call("endOfMonth", L(2024, 3, 10)) == L(2024, 3, 31, 23, 59, 59, 999)
    assert call("endOfYear", L(2024, 3, 10)) == L(2024, 12, 31, 23, 59, 59, 999)
    assert call("beginOfMonth", L(2024, 10, 31, 23)) == L(2024, 10, 1)


def test_eval_context_validates() -> None:
    with pytest.raises(ValueError):
        EvalContext(week_start=7)
    with pytest.raises(ValueError):
        EvalContext(rounding="up")  # type: ignore[arg-type]
    assert EvalContext(timezone="Europe/Amsterdam").timezone == AMS


# --- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("CurrentDateTime", NOW),
        ("[%CurrentDateTime%]", NOW),
        ("BeginOfCurrentMinute", L(2025, 6, 15, 12)),
        ("EndOfCurrentMinute", L(2025, 6, 15, 12, 0, 59, 999)),
        ("BeginOfCurrentHour", L(2025, 6, 15, 12)),
        ("EndOfCurrentHourUTC", U(2025, 6, 15, 10, 59, 59, 999)),
        ("BeginOfCurrentDay", L(2025, 6, 15)),
        ("BeginOfCurrentDayUTC", U(2025, 6, 15)),
        ("EndOfCurrentDay", L(2025, 6, 15, 23, 59, 59, 999)),
        ("BeginOfYesterday", L(2025, 6, 14)),
        ("EndOfYesterday", L(2025, 6, 14, 23, 59, 59, 999)),
        ("BeginOfTomorrow", L(2025, 6, 16)),
        ("EndOfTomorrowUTC", U(2025, 6, 16, 23, 59, 59, 999)),
        ("BeginOfCurrentWeek", L(2025, 6, 15)),
        ("EndOfCurrentWeek", L(2025, 6, 21, 23, 59, 59, 999)),
        ("BeginOfCurrentMonth", L(2025, 6, 1)),
        ("EndOfCurrentMonthUTC", U(2025, 6, 30, 23, 59, 59, 999)),
        ("BeginOfCurrentYear", L(2025, 1, 1)),
        ("EndOfCurrentYear", L(2025, 12, 31, 23, 59, 59, 999)),
        ("SecondLength", 1000),
        ("MinuteLength", 60_000),
        ("HourLength", 3_600_000),
        ("DayLength", 86_400_000),
        ("WeekLength", 604_800_000),
        ("MonthLength", 2_592_000_000),
        ("YearLength", 31_536_000_000),
    ],
)
def test_token(token: str, expected: Any) -> None:
    assert token_value(CTX, token) == expected


def test_tokens_near_midnight_differ_between_local_and_utc() -> None:
    late = datetime(2025, 6, 15, 22, 30, tzinfo=UTC)  # 00:30 on 16 June in Amsterdam
    ctx = EvalContext(timezone=AMS, now=lambda: late)
    assert token_value(ctx, "BeginOfCurrentDay") == L(2025, 6, 16)
    assert token_value(ctx, "BeginOfCurrentDayUTC") == U(2025, 6, 15)
    assert token_value(ctx, "BeginOfYesterday") == L(2025, 6, 15)
    assert token_value(ctx, "BeginOfTomorrowUTC") == U(2025, 6, 16)


def test_week_token_follows_the_week_start_and_user_token_the_context() -> None:
    assert token_value(MONDAY_CTX, "BeginOfCurrentWeek") == L(2025, 6, 9)
    user = MxObject("System.User", values={"Name": "ann"})
    assert token_value(EvalContext(current_user=user), "CurrentUser") is user
    assert token_value(EvalContext(), "CurrentUser") is None


def test_every_token_resolves_and_unknown_ones_fail() -> None:
    for name in token_names():
        assert token_value(CTX, name) is not None or name == "CurrentUser"
    with pytest.raises(MendixError, match="unknown token"):
        token_value(CTX, "BeginOfNextDecade")
    with pytest.raises(MendixError, match="unknown token"):
        token_value(CTX, "UserRole_Administrator")
