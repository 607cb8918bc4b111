"""Java `SimpleDateFormat` patterns: formatting and lenient parsing, with en_US names.

Pattern letters: G y Y M L d D E u w W F a H k K h m s S, plus the zone letters z Z X (Mendix
allows those in microflows only; here they work everywhere). Other ASCII letters are errors;
text in single quotes is literal and `''` is a quote.

Parsing follows Java's lenient `parse(String)`: white space before a field is skipped, a numeric
field followed directly by another field reads exactly as many digits as its letter count
(`yyyyMMdd`), out-of-range values roll over (`35-11-2015` as `dd-MM-yyyy` is 5 December 2015),
missing fields default to 1970-01-01 00:00:00.000, and text after the pattern is ignored. A year
read from exactly two digits with `y`/`yy` lands in the nanoflow window of 50 years around now.
The day is resolved from year/month/day, else year/day-of-year (`D`), else week-year/week/weekday
(`Y`/`w`/`E`/`u`); `W`, `F` and weekday names are read but do not move the date otherwise.
Dates use the proleptic Gregorian calendar (Java switches to Julian before October 1582).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Final, NamedTuple

from nanoflow.runtime.functions.locales import (
    AM_PM,
    AMBIGUOUS_LONG_NAMES,
    DAYS,
    DAYS_SHORT,
    ERAS,
    MONTHS,
    MONTHS_SHORT,
    ZONE_LONG_NAMES,
    ZONE_OFFSETS,
)

PATTERN_LETTERS: Final = frozenset("GyYMLdDEuwWFaHkKhmsSzZX")
#: `Date.toString()` in Java, which Mendix's `toString(DateTime)` shows.
JAVA_DATE_STRING: Final = "EEE MMM dd HH:mm:ss zzz yyyy"
_MAX_ORDINAL: Final = date.max.toordinal()
_OFFSET_RE: Final = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d\d))?", re.IGNORECASE)
_ABBREVIATION_RE: Final = re.compile(r"[A-Za-z]{2,6}")


class PatternError(ValueError):
    """The pattern itself is invalid (an error even when a default value is given)."""


class WeekRules(NamedTuple):
    """First day of the week (0 = Sunday) and the days of the new year week 1 must hold."""

    first_day: int = 0
    min_days: int = 1


@dataclass(frozen=True, slots=True)
class Field:
    """A run of one pattern letter, such as `yyyy`."""

    letter: str
    count: int


Token = Field | str


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Token, ...]:
    """The pattern as fields and literal text."""
    tokens: list[Token] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            i += 1
            while True:
                if i >= n:
                    raise PatternError(f"unterminated quote in the pattern {pattern!r}")
                if pattern[i] == "'":
                    if not pattern.startswith("''", i):
                        break
                    i += 1
                literal.append(pattern[i])
                i += 1
            i += 1
        elif ch.isascii() and ch.isalpha():
            if ch not in PATTERN_LETTERS:
                raise PatternError(f"illegal pattern letter {ch!r} in {pattern!r}")
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            if ch == "X" and j - i > 3:
                raise PatternError(f"'X' may be repeated at most 3 times in {pattern!r}")
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(Field(ch, j - i))
            i = j
        else:
            literal.append(ch)
            i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


# --- weeks ---------------------------------------------------------------------------------


def _jan1(year: int) -> int:
    """Proleptic ordinal of 1 January of `year` (years 0 and 10000 included for week maths)."""
    if year <= 0:
        return 1 - 366
    if year > 9999:
        return _MAX_ORDINAL + 1
    return date(year, 1, 1).toordinal()


def _week_start(first_ordinal: int, week: WeekRules) -> int:
    """Ordinal of the first day of week 1 of a period starting at `first_ordinal`."""
    offset = (first_ordinal % 7 - week.first_day) % 7  # ordinal % 7 is JavaScript's getDay()
    start = first_ordinal - offset
    return start + 7 if 7 - offset < week.min_days else start


def week_of_year(day: date, week: WeekRules) -> tuple[int, int]:
    """(week-year, week number) of a date."""
    ordinal = day.toordinal()
    for year in (day.year + 1, day.year, day.year - 1):
        start = _week_start(_jan1(year), week)
        if ordinal >= start:
            return year, (ordinal - start) // 7 + 1
    raise AssertionError("unreachable")  # pragma: no cover


def week_of_month(day: date, week: WeekRules) -> int:
    """Week number within the month (0 for days before week 1)."""
    start = _week_start(day.replace(day=1).toordinal(), week)
    return (day.toordinal() - start) // 7 + 1


# --- formatting ----------------------------------------------------------------------------


def format_datetime(value: datetime, tz: tzinfo, pattern: str, week: WeekRules) -> str:
    """`value` shown in zone `tz` with a SimpleDateFormat pattern."""
    local = value.astimezone(tz)
    return "".join(
        token if isinstance(token, str) else _format_field(local, token, week)
        for token in compile_pattern(pattern)
    )


def _pad(value: int, count: int) -> str:
    return f"{value:0{count}d}"


def _year(year: int, count: int) -> str:
    return f"{year % 100:02d}" if count == 2 else _pad(year, count)


def _format_field(local: datetime, field: Field, week: WeekRules) -> str:
    letter, count = field.letter, field.count
    js_day = (local.weekday() + 1) % 7
    match letter:
        case "G":
            return ERAS[1]
        case "y":
            return _year(local.year, count)
        case "Y":
            return _year(week_of_year(local.date(), week)[0], count)
        case "M" | "L":
            if count >= 3:
                return (MONTHS if count >= 4 else MONTHS_SHORT)[local.month - 1]
            return _pad(local.month, count)
        case "d":
            return _pad(local.day, count)
        case "D":
            return _pad(local.timetuple().tm_yday, count)
        case "E":
            return (DAYS if count >= 4 else DAYS_SHORT)[js_day]
        case "u":
            return _pad(local.isoweekday(), count)
        case "w":
            return _pad(week_of_year(local.date(), week)[1], count)
        case "W":
            return _pad(week_of_month(local.date(), week), count)
        case "F":
            return _pad((local.day - 1) // 7 + 1, count)
        case "a":
            return AM_PM[local.hour >= 12]
        case "H":
            return _pad(local.hour, count)
        case "k":
            return _pad(local.hour or 24, count)
        case "K":
            return _pad(local.hour % 12, count)
        case "h":
            return _pad(local.hour % 12 or 12, count)
        case "m":
            return _pad(local.minute, count)
        case "s":
            return _pad(local.second, count)
        case "S":
            return _pad(local.microsecond // 1000, count)
        case "z":
            return zone_name(local, long=count >= 4)
        case "Z":
            return _offset_text(local, colon=False, hours_only=False)
        case _:  # X
            if local.utcoffset() == timedelta(0):
                return "Z"
            return _offset_text(local, colon=count == 3, hours_only=count == 1)


def _offset_minutes(local: datetime) -> int:
    offset = local.utcoffset() or timedelta(0)
    return int(offset.total_seconds()) // 60


def _offset_text(local: datetime, colon: bool, hours_only: bool) -> str:
    minutes = _offset_minutes(local)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    if hours_only:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


def zone_name(local: datetime, long: bool = False) -> str:
    """The zone's abbreviation (`CET`), its long name for the common ones, or `GMT+03:00`."""
    name = local.tzname() or ""
    if _ABBREVIATION_RE.fullmatch(name):
        if not long:
            return name
        ambiguous = AMBIGUOUS_LONG_NAMES.get((name, _offset_minutes(local)))
        return ambiguous or ZONE_LONG_NAMES.get(name, name)
    minutes = _offset_minutes(local)
    if minutes == 0:
        return "GMT"
    return "GMT" + _offset_text(local, colon=True, hours_only=False)


# --- parsing -------------------------------------------------------------------------------

_MONTH_NAMES: Final = tuple(
    (name, i + 1) for names in (MONTHS, MONTHS_SHORT) for i, name in enumerate(names)
)
_DAY_NAMES: Final = tuple((name, i) for names in (DAYS, DAYS_SHORT) for i, name in enumerate(names))
_TEXT_FIELDS: Final = {
    "G": tuple((name, i) for i, name in enumerate(ERAS)),
    "E": _DAY_NAMES,
    "a": tuple((name, i) for i, name in enumerate(AM_PM)),
    "M": _MONTH_NAMES,
    "L": _MONTH_NAMES,
}
_ZONE_NAMES: Final = tuple(ZONE_OFFSETS.items())
# Where each letter's value is kept (M and L are one field, so are H and k, h and K).
_SLOT: Final = {"L": "M", "k": "H", "K": "h", "u": "E"}


def parse_datetime(
    text: str, pattern: str, tz: tzinfo, now: datetime, week: WeekRules
) -> datetime | None:
    """The instant `text` denotes under `pattern` in zone `tz`, or None if it does not parse."""
    tokens = compile_pattern(pattern)
    values: dict[str, int] = {}
    two_digit: set[str] = set()
    offset: int | None = None
    pos = 0
    for i, token in enumerate(tokens):
        if isinstance(token, str):
            if not text.startswith(token, pos):
                return None
            pos += len(token)
            continue
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        letter, count = token.letter, token.count
        if letter in "zZX":
            zone_match = _parse_zone(text, pos)
            if zone_match is None:
                return None
            offset, pos = zone_match
            continue
        if letter in "GEa" or (letter in "ML" and count >= 3):
            name_match = _match_name(text, pos, _TEXT_FIELDS[letter])
            if name_match is None:
                return None
            value, pos = name_match
        else:
            obey = i + 1 < len(tokens) and isinstance(tokens[i + 1], Field)
            number_match = _parse_number(text, pos, count if obey else None)
            if number_match is None:
                return None
            value, end = number_match
            if letter in "yY" and count <= 2 and end - pos == 2 and text[pos:end].isdigit():
                two_digit.add(letter)
            pos = end
            value = _normalise(letter, value)
        values[_SLOT.get(letter, letter)] = value
    now_year = now.astimezone(tz).year
    for letter in two_digit:
        values[letter] = _window(values[letter], now_year)
    try:
        wall = _resolve(values, week)
        if wall is None:
            return None
        if offset is not None:
            return (wall - timedelta(minutes=offset)).replace(tzinfo=UTC)
        return wall.replace(tzinfo=tz).astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _normalise(letter: str, value: int) -> int:
    if letter == "k" and value == 24:
        return 0
    if letter == "h" and value == 12:
        return 0
    if letter == "u":
        return value % 7
    return value


def _window(two_digits: int, now_year: int) -> int:
    """A two-digit year placed within 50 years either side of now (the nanoflow rule)."""
    start = now_year - 50
    year = start - start % 100 + two_digits
    return year + 100 if year < start else year


def _resolve(values: dict[str, int], week: WeekRules) -> datetime | None:
    year = values.get("y", 1970)
    if values.get("G", 1) == 0:
        year = 1 - year
    if "M" in values or "d" in values or not ("D" in values or "w" in values):
        y, month0 = divmod(year * 12 + values.get("M", 1) - 1, 12)
        if not 1 <= y <= 9999:
            return None
        ordinal = date(y, month0 + 1, 1).toordinal() + values.get("d", 1) - 1
    elif "D" in values:
        ordinal = _jan1(year) + values["D"] - 1
    else:
        week_year = values.get("Y", year)
        weekday = values.get("E", week.first_day)
        start = _week_start(_jan1(week_year), week)
        ordinal = start + (values["w"] - 1) * 7 + (weekday - week.first_day) % 7
    if not 1 <= ordinal <= _MAX_ORDINAL:
        return None
    pm = values.get("a", 0) * 12
    hour = values["H"] if "H" in values else values.get("h", 0) + pm
    return datetime.fromordinal(ordinal) + timedelta(
        hours=hour,
        minutes=values.get("m", 0),
        seconds=values.get("s", 0),
        milliseconds=values.get("S", 0),
    )


def _parse_number(text: str, pos: int, width: int | None) -> tuple[int, int] | None:
    end = len(text) if width is None else min(len(text), pos + width)
    j = pos
    negative = j < end and text[j] == "-"
    if negative:
        j += 1
    start = j
    while j < end and "0" <= text[j] <= "9":
        j += 1
    if j == start:
        return None
    value = int(text[start:j])
    return (-value if negative else value), j


def _match_name(text: str, pos: int, names: tuple[tuple[str, int], ...]) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    best_length = 0
    for name, value in names:
        if len(name) > best_length and text[pos : pos + len(name)].lower() == name.lower():
            best, best_length = (value, pos + len(name)), len(name)
    return best


def _parse_zone(text: str, pos: int) -> tuple[int, int] | None:
    match = _OFFSET_RE.match(text, pos)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return sign * minutes, match.end()
    return _match_name(text, pos, _ZONE_NAMES)
