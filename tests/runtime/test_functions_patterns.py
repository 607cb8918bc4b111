"""Java SimpleDateFormat and DecimalFormat patterns: every letter, lenient parsing, and round
trips (format then parse with the same pattern gives the value back, truncated to the pattern's
precision)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.runtime.functions import FUNCTIONS, EvalContext
from nanoflow.runtime.values import MendixError

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
CTX = EvalContext(timezone=AMS, now=lambda: NOW)
ISO_CTX = EvalContext(timezone=AMS, now=lambda: NOW, week_start=1)
UTC_CTX = EvalContext(now=lambda: NOW)


def L(*parts: int) -> datetime:
    """A local wall time in Amsterdam as a UTC instant."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=AMS).astimezone(UTC)


def U(*parts: int) -> datetime:
    """A UTC time."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)


def fmt(d: datetime, pattern: str, ctx: EvalContext = CTX) -> str:
    result = FUNCTIONS["formatDateTime"](ctx, d, pattern)
    assert isinstance(result, str)
    return result


def parse(text: str, pattern: str, ctx: EvalContext = CTX) -> Any:
    return FUNCTIONS["parseDateTime"](ctx, text, pattern, None)


# --- formatting ----------------------------------------------------------------------------

WHEN = L(2024, 12, 31, 15, 4, 5, 67)  # Tuesday, CET (+01:00)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("G", "AD"),
        ("y", "2024"),
        ("yy", "24"),
        ("yyy", "2024"),
        ("yyyyy", "02024"),
        ("Y", "2025"),
        ("YY", "25"),
        ("M", "12"),
        ("MM", "12"),
        ("MMM", "Dec"),
        ("MMMM", "December"),
        ("L", "12"),
        ("LLL", "Dec"),
        ("LLLL", "December"),
        ("d", "31"),
        ("D", "366"),
        ("DDDD", "0366"),
        ("E", "Tue"),
        ("EEE", "Tue"),
        ("EEEE", "Tuesday"),
        ("u", "2"),
        ("w", "1"),
        ("ww", "01"),
        ("W", "5"),
        ("F", "5"),
        ("a", "PM"),
        ("H", "15"),
        ("k", "15"),
        ("K", "3"),
        ("h", "3"),
        ("hh", "03"),
        ("m", "4"),
        ("mm", "04"),
        ("s", "5"),
        ("ss", "05"),
        ("S", "67"),
        ("SSS", "067"),
        ("z", "CET"),
        ("zzzz", "Central European Standard Time"),
        ("Z", "+0100"),
        ("X", "+01"),
        ("XX", "+0100"),
        ("XXX", "+01:00"),
        ("'o''clock' h", "o'clock 3"),
        ("''", "'"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-12-31T15:04:05.067+01:00"),
        ("EEE MMM dd HH:mm:ss zzz yyyy", "Tue Dec 31 15:04:05 CET 2024"),
        ("d/M/y, h:mm a — dd.MM.", "31/12/2024, 3:04 PM — 31.12."),
    ],
)
def test_format_letters(pattern: str, expected: str) -> None:
    assert fmt(WHEN, pattern) == expected


def test_format_midnight_hours_and_utc_zone() -> None:
    midnight = U(2024, 1, 1)
    assert fmt(midnight, "H k K h a", UTC_CTX) == "0 24 0 12 AM"
    assert fmt(midnight, "z zzzz X XXX", UTC_CTX) == "UTC Coordinated Universal Time Z Z"
    assert fmt(U(2024, 7, 1), "z Z", CTX) == "CEST +0200"


def test_format_zone_without_abbreviation_uses_gmt_offset() -> None:
    istanbul = EvalContext(timezone=ZoneInfo("Europe/Istanbul"))
    assert fmt(U(2024, 1, 1), "z", istanbul) == "GMT+03:00"
    kolkata = EvalContext(timezone=ZoneInfo("Asia/Kolkata"))
    assert fmt(U(2024, 1, 1), "HH:mm Z X", kolkata) == "05:30 +0530 +05"


def test_week_numbering_follows_the_week_rules() -> None:
    friday = L(2027, 1, 1)
    assert fmt(friday, "YYYY-ww") == "2027-01"  # Sunday weeks, 1 day is enough (en_US)
    assert fmt(friday, "YYYY-ww", ISO_CTX) == "2026-53"  # Monday weeks, 4 days (ISO)
    assert fmt(L(2024, 12, 30), "YYYY-ww-u", ISO_CTX) == "2025-01-1"
    assert fmt(L(2024, 9, 1), "W", ISO_CTX) == "0"  # Sunday 1 September is before week 1


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("yyyy-MM-ddTHH", "illegal pattern letter 'T'"),
        ("b", "illegal pattern letter 'b'"),
        ("XXXX", "at most 3 times"),
        ("'open", "unterminated quote"),
    ],
)
def test_bad_date_patterns(pattern: str, message: str) -> None:
    with pytest.raises(MendixError, match=message):
        fmt(WHEN, pattern)
    with pytest.raises(MendixError, match=message):
        parse("2024", pattern)  # an error even with a default value


# --- lenient parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("35-11-2015", "dd-MM-yyyy", L(2015, 12, 5)),
        ("31-02-2015", "dd-MM-yyyy", L(2015, 3, 3)),
        ("00-01-2015", "dd-MM-yyyy", L(2014, 12, 31)),
        ("13/2015", "MM/yyyy", L(2016, 1, 1)),
        ("2024-01-01 25:61", "yyyy-MM-dd HH:mm", L(2024, 1, 2, 2, 1)),
        ("20240102", "yyyyMMdd", L(2024, 1, 2)),
        ("202401021530", "yyyyMMddHHmm", L(2024, 1, 2, 15, 30)),
        ("2024-  1-  2", "yyyy-M-d", L(2024, 1, 2)),
        ("2024-01-02 and more", "yyyy-MM-dd", L(2024, 1, 2)),
        ("10:30", "HH:mm", L(1970, 1, 1, 10, 30)),
        ("Tue, 31 Dec 2024", "EEE, d MMM yyyy", L(2024, 12, 31)),
        ("tuesday 31 DECEMBER 2024", "EEEE d MMMM yyyy", L(2024, 12, 31)),
        ("31 dec 2024", "d MMM yyyy", L(2024, 12, 31)),
        ("12:05 am", "hh:mm a", L(1970, 1, 1, 0, 5)),
        ("12:05 PM", "hh:mm a", L(1970, 1, 1, 12, 5)),
        ("24:00", "kk:mm", L(1970, 1, 1, 0, 0)),
        ("11 PM", "K a", L(1970, 1, 1, 23)),
        ("2024-060", "yyyy-DDD", L(2024, 2, 29)),
        ("2025-W01-2", "YYYY-'W'ww-u", L(2024, 12, 31)),
        ("2024-01-02 10:00 +0500", "yyyy-MM-dd HH:mm Z", U(2024, 1, 2, 5)),
        ("2024-01-02 10:00 +05:30", "yyyy-MM-dd HH:mm XXX", U(2024, 1, 2, 4, 30)),
        ("2024-01-02 10:00 Z", "yyyy-MM-dd HH:mm X", U(2024, 1, 2, 10)),
        ("2024-01-02 10:00 PST", "yyyy-MM-dd HH:mm z", U(2024, 1, 2, 18)),
        ("2024-01-02 10:00 GMT-03:00", "yyyy-MM-dd HH:mm z", U(2024, 1, 2, 13)),
        (
            "2024-07-02 10:00 Central European Summer Time",
            "yyyy-MM-dd HH:mm zzzz",
            U(2024, 7, 2, 8),
        ),
        ("2024-03-31 02:30", "yyyy-MM-dd HH:mm", L(2024, 3, 31, 3, 30)),
        ("74", "yy", L(2074, 1, 1)),
        ("75", "yy", L(1975, 1, 1)),
        ("24", "yy", L(2024, 1, 1)),
        ("2024", "yy", L(2024, 1, 1)),
        ("1.5.2024 1:2:3.4", "d.M.yyyy H:m:s.S", L(2024, 5, 1, 1, 2, 3, 4)),
        ("AD 2024", "G yyyy", L(2024, 1, 1)),
    ],
)
def test_lenient_parse(text: str, pattern: str, expected: datetime) -> None:
    assert parse(text, pattern) == expected


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "yyyy"),
        ("2024/01/02", "yyyy-MM-dd"),
        ("2024-01", "yyyy-MM-dd"),
        ("Foo 2024", "MMM yyyy"),
        ("x", "HH"),
        ("BC 2024", "G yyyy"),
        ("2024-01-02 10:00 ???", "yyyy-MM-dd HH:mm z"),
        ("99999-01-01", "yyyy-MM-dd"),
    ],
)
def test_parse_failures_give_the_default(text: str, pattern: str) -> None:
    assert parse(text, pattern) is None
    fallback = L(2000, 1, 1)
    assert FUNCTIONS["parseDateTime"](CTX, text, pattern, fallback) == fallback


def test_parse_utc_variant() -> None:
    assert FUNCTIONS["parseDateTimeUTC"](CTX, "2024-06-01 12:00", "yyyy-MM-dd HH:mm") == U(
        2024, 6, 1, 12
    )
    assert parse("2024-06-01 12:00", "yyyy-MM-dd HH:mm") == U(2024, 6, 1, 10)


# --- round trips ---------------------------------------------------------------------------

# pattern -> the unit the result is truncated to
FULL_PATTERNS = {
    "yyyy-MM-dd HH:mm:ss.SSS": "ms",
    "dd/MM/yyyy hh:mm:ss.SSS a": "ms",
    "yyyyMMddHHmmssSSS": "ms",
    "EEEE, MMMM d, yyyy HH:mm:ss": "s",
    "EEE MMM dd HH:mm:ss zzz yyyy": "s",
    "D yyyy k:mm": "min",
    "MMM d yyyy K:mm a": "min",
    "G yyyy-MM-dd HH": "h",
    "d LLLL y": "day",
}
STEP = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "day": timedelta(days=1),
}
instants = st.datetimes(min_value=datetime(1800, 1, 2), max_value=datetime(9998, 12, 30)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def truncate(d: datetime, unit: str) -> datetime:
    """Truncate a UTC instant (UTC wall time) to the unit."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((d - epoch) // STEP[unit]) * STEP[unit]


@pytest.mark.parametrize("pattern", list(FULL_PATTERNS))
@given(instant=instants)
def test_round_trip_in_utc(pattern: str, instant: datetime) -> None:
    text = fmt(instant, pattern, UTC_CTX)
    assert parse(text, pattern, UTC_CTX) == truncate(instant, FULL_PATTERNS[pattern])


@pytest.mark.parametrize(
    "pattern", ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyyMMddHHmmssSSSZ", "d MMM yyyy HH:mm:ss.SSS z"]
)
@given(instant=instants.filter(lambda d: d.year >= 1980))  # whole-minute offsets, CET/CEST names
def test_round_trip_with_zone_is_exact_even_in_the_repeated_hour(
    pattern: str, instant: datetime
) -> None:
    exact = truncate(instant, "ms")
    assert parse(fmt(exact, pattern), pattern) == exact


@given(instant=instants)
def test_round_trip_in_amsterdam_without_zone(instant: datetime) -> None:
    pattern = "yyyy-MM-dd HH:mm:ss.SSS"
    exact = truncate(instant, "ms")
    text = fmt(exact, pattern)
    back = parse(text, pattern)
    assert fmt(back, pattern) == text  # the text always survives
    if back != exact:  # only the second pass of a repeated hour reads as the first
        assert exact.astimezone(AMS).fold == 1 and back == exact - timedelta(hours=1)


@given(instant=instants.filter(lambda d: 1975 <= d.year <= 2074))
def test_round_trip_two_digit_years_within_the_window(instant: datetime) -> None:
    pattern = "dd.MM.yy HH:mm"
    assert parse(fmt(instant, pattern, UTC_CTX), pattern, UTC_CTX) == truncate(instant, "min")


@pytest.mark.parametrize("ctx", [UTC_CTX, EvalContext(now=lambda: NOW, week_start=1)])
@given(instant=instants.filter(lambda d: 1801 <= d.year <= 9997))
def test_round_trip_week_dates(ctx: EvalContext, instant: datetime) -> None:
    pattern = "YYYY-'W'ww-u"
    assert parse(fmt(instant, pattern, ctx), pattern, ctx) == truncate(instant, "day")


# --- DecimalFormat -------------------------------------------------------------------------

decimals = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=6
)


@pytest.mark.parametrize("locale", ["en-US", "nl-NL", "fr-FR", "de-CH"])
@given(value=decimals)
def test_decimal_pattern_round_trip(locale: str, value: Decimal) -> None:
    pattern = "#,##0.###"
    ctx = EvalContext(locale=locale)
    text = FUNCTIONS["formatDecimal"](ctx, value, pattern, locale)
    expected = value.quantize(Decimal("0.001"), ROUND_HALF_EVEN)
    assert FUNCTIONS["parseDecimal"](ctx, text, pattern) == expected


@given(value=decimals)
def test_default_format_decimal_groups_and_keeps_eight_digits(value: Decimal) -> None:
    text = FUNCTIONS["formatDecimal"](CTX, value)
    assert FUNCTIONS["parseDecimal"](CTX, text.replace(",", "")) == value.quantize(
        Decimal("1e-8"), ROUND_HALF_EVEN
    )
    assert "E" not in text and "e" not in text


def test_ambiguous_zone_abbreviations_get_the_right_long_name() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from nanoflow.runtime.functions.date_patterns import zone_name

    instant = datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert zone_name(instant.astimezone(ZoneInfo("Asia/Kolkata")), long=True) == (
        "India Standard Time"
    )
    assert zone_name(instant.astimezone(ZoneInfo("Europe/Dublin")), long=True) == (
        "Greenwich Mean Time"
    )
