"""A positive and an error case for every library function (list functions included), and a
check that the registry matches the checker's signature table."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest

from nanoflow import functions as signatures
from nanoflow.runtime.functions import FUNCTIONS, LIST_FUNCTIONS, EvalContext
from nanoflow.runtime.values import EnumValue, MendixError, MxObject

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
CTX = EvalContext(timezone=AMS, now=lambda: NOW, random=lambda: 0.25)


def L(*parts: int) -> datetime:
    """A local wall time in Amsterdam as a UTC instant."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=AMS).astimezone(UTC)


def U(*parts: int) -> datetime:
    """A UTC time."""
    y, mo, d, h, mi, s, ms = (*parts, 0, 0, 0, 0, 0, 0)[:7]
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)


class Err(NamedTuple):
    """An expected MendixError whose message contains `text`."""

    text: str


class Case(NamedTuple):
    fn: str
    args: tuple[Any, ...]
    expect: Any
    lists: bool = False


def D(text: str) -> Decimal:
    return Decimal(text)


def obj(**values: Any) -> MxObject:
    return MxObject("Test.Item", values=values)


A = obj(Name="banana", Qty=3, Price=D("2.50"), Day=L(2024, 1, 2))
B = obj(Name="Apple", Qty=1, Price=D("1.25"), Day=L(2024, 1, 1))
C = obj(Name="cherry", Qty=None, Price=D("4"), Day=None)
GONE = obj(Name="gone", Qty=100, Price=D("100"))
GONE.removed = True
ITEMS = [A, B, C, GONE]
ENUM = EnumValue.of("Shop.Status", "Open")


def is_long(o: MxObject) -> bool:
    return len(o["Name"]) > 5


CASES: list[Case] = [
    # math
    Case("max", (1, D("2.5"), 2), D("2.5")),
    Case("max", (L(2024, 1, 1), L(2025, 1, 1)), L(2025, 1, 1)),
    Case("max", (1,), Err("two or more")),
    Case("max", (1, None), Err("argument 2 is empty")),
    Case("min", (3, 2, 7), 2),
    Case("min", (1, L(2024, 1, 1)), Err("cannot compare DateTime")),
    Case("round", (D("2.345"), 2), D("2.35")),
    Case("round", (D("1250"), -2), D("1300")),
    Case("round", (None,), Err("round: the number is empty")),
    Case("round", (D("1"), None), Err("the precision is empty")),
    Case("random", (), D("0.25")),
    Case("floor", (D("-0.5"),), -1),
    Case("floor", (D("1e30"),), Err("does not fit a Long")),
    Case("ceil", (D("0.1"),), 1),
    Case("ceil", ("1",), Err("not a number")),
    Case("pow", (2, -2), D("0.25")),
    Case("pow", (0, -1), Err("negative power")),
    Case("pow", (-8, D("0.5")), Err("not a finite real number")),
    Case("abs", (D("-1.50"),), D("1.50")),
    Case("abs", (-(2**63),), Err("does not fit a Long")),
    Case("sqrt", (D("0.25"),), D("0.5")),
    Case("sqrt", (-4,), Err("negative")),
    # strings
    Case("toUpperCase", ("straße",), "STRASSE"),
    Case("toUpperCase", (5,), Err("not a String")),
    Case("toLowerCase", (None,), ""),
    Case("toLowerCase", (True,), Err("not a String")),
    Case("length", ("héllo",), 5),
    Case("length", (5,), Err("not a String")),
    Case("substring", ("hello", 5), ""),
    Case("substring", ("hello", -1), Err("negative")),
    Case("substring", ("hello", 1, -1), Err("negative")),
    Case("find", ("abcabc", "c", 3), 5),
    Case("find", ("abc", "", 10), 3),
    Case("find", ("abc", "a", None), Err("the start position is empty")),
    Case("findLast", ("abcabc", "a"), 3),
    Case("findLast", ("abcabc", "a", -3), 0),
    Case("findLast", ("abc", "a", "x"), Err("not an Integer")),
    Case("contains", (None, ""), True),
    Case("contains", (1, "a"), Err("not a String")),
    Case("startsWith", ("abc", ""), True),
    Case("startsWith", ("abc", 1), Err("not a String")),
    Case("endsWith", (None, "a"), False),
    Case("endsWith", ([], "a"), Err("not a String")),
    Case("trim", ("\u00a0\t x \ufeff",), "x"),
    Case("trim", (1,), Err("not a String")),
    Case("isMatch", ("a.b", "\\Qa.b\\E"), True),
    Case("isMatch", ("a", "("), Err("invalid regular expression")),
    Case("replaceAll", ("aaa", "a*", "-"), "--"),
    Case("replaceAll", ("a", "[", "-"), Err("invalid regular expression")),
    Case("replaceFirst", ("a1b2", "[0-9]", "#"), "a#b2"),
    Case("replaceFirst", ("a", "(?<", "-"), Err("invalid regular expression")),
    Case("urlEncode", ("é/ü",), "%C3%A9%2F%C3%BC"),
    Case("urlEncode", (1,), Err("not a String")),
    Case("urlDecode", ("%C3%A9+x",), "é x"),
    Case("urlDecode", ("100%",), Err("malformed escape")),
    Case("urlDecode", ("%zz",), Err("malformed escape")),
    # special checks and enumerations
    Case("isNew", (MxObject("Test.Item", new=True),), True),
    Case("isNew", (None,), Err("the object is empty")),
    Case("isNew", (GONE,), Err("the object is empty")),
    Case("isSynced", (A,), True),
    Case("isSynced", ("x",), Err("expected an object")),
    Case("isSyncing", (), False),
    Case("getCaption", (ENUM,), "Open"),
    Case("getCaption", (None,), ""),
    Case("getCaption", ("Open",), Err("expected an enumeration value")),
    Case("getKey", (ENUM,), "Open"),
    Case("getKey", (1,), Err("expected an enumeration value")),
    # date creation
    Case("dateTime", (2024, 2, 30), L(2024, 3, 1)),
    Case("dateTime", (2024, 13), Err("month 13 is out of range 1 to 12")),
    Case("dateTime", (2024, 1, 1, 24), Err("hour 24 is out of range 0 to 23")),
    Case("dateTime", (2024, None), Err("the month is empty")),
    Case("dateTimeUTC", (2024, 3, 31, 2, 30), U(2024, 3, 31, 2, 30)),
    Case("dateTimeUTC", (10000,), Err("year 10000 is out of range")),
    Case("dateTimeUTC", (2024, 1, 1, 0, 60), Err("minute 60")),
    # between
    Case("calendarMonthsBetween", (L(2024, 1, 31), L(2024, 2, 29, 23)), 1),
    Case("calendarMonthsBetween", (L(2024, 3, 31), L(2024, 1, 31)), 2),
    Case("calendarMonthsBetween", (None, L(2024, 1, 1)), Err("the first date is empty")),
    Case("calendarYearsBetween", (L(2024, 2, 29), L(2025, 2, 28)), 1),
    Case("calendarYearsBetween", (L(2024, 3, 1), L(2025, 2, 28)), 0),
    Case("calendarYearsBetween", (L(2024, 1, 1), "x"), Err("not a DateTime")),
    # epoch
    Case("dateTimeToEpoch", (U(1970, 1, 1, 0, 0, 1, 5),), 1005),
    Case("dateTimeToEpoch", (U(1969, 12, 31, 23, 59, 59, 999),), -1),
    Case("dateTimeToEpoch", (None,), Err("the date is empty")),
    Case("epochToDateTime", (-1,), U(1969, 12, 31, 23, 59, 59, 999)),
    Case("epochToDateTime", (10**18,), Err("outside the supported dates")),
    # conversion
    Case("toString", (D("1E+3"),), "1000"),
    Case("toString", (D("-0.000"),), "0"),
    Case("toString", (D("0.10"),), "0.1"),
    Case("toString", (-5,), "-5"),
    Case("toString", (False,), "false"),
    Case("toString", (ENUM,), "Open"),
    Case("toString", (U(2024, 7, 1, 12),), "Mon Jul 01 14:00:00 CEST 2024"),
    Case("toString", (A,), Err("cannot convert a Test.Item")),
    Case("parseInteger", (" -12 ",), -12),
    Case("parseInteger", ("1.0", None), None),
    Case("parseInteger", ("9223372036854775807",), 2**63 - 1),
    Case("parseInteger", ("9223372036854775808",), Err("does not fit a Long")),
    Case("parseInteger", ("x", D("1.5")), Err("must be an Integer")),
    Case("parseInteger", (None,), Err("is not an Integer")),
    Case("parseDecimal", ("-1.5e3",), D("-1500")),
    Case("parseDecimal", (".5",), D("0.5")),
    Case("parseDecimal", ("1,5", 7), D("7")),
    Case("parseDecimal", ("NaN",), Err("is not a Decimal")),
    Case("parseDecimal", ("1e999999",), Err("is not a Decimal")),
    Case("parseDecimal", ("12%", "#%"), D("0.12")),
    Case("parseDecimal", ("(1.5)", "0.0;(0.0)"), D("-1.5")),
    Case("parseDecimal", ("x", "#E0"), Err("not supported")),
    Case("formatDecimal", (D("1234567.891"),), "1,234,567.891"),
    Case("formatDecimal", (D("0.123456789"),), "0.12345679"),
    Case("formatDecimal", (12,), "12"),
    Case("formatDecimal", (D("-1234.5"), "#,##0.00", "de-DE"), "-1.234,50"),
    Case("formatDecimal", (D("-1.5"), "0.0;(0.0)"), "(1.5)"),
    Case("formatDecimal", (D("0.125"), "0.00"), "0.12"),
    Case("formatDecimal", (D("0.135"), "0.00"), "0.14"),
    Case("formatDecimal", (D("-0.001"), "0.0"), "-0.0"),
    Case("formatDecimal", (D("0"), "#.##"), "0"),
    Case("formatDecimal", (D("0.5"), "#.##"), ".5"),
    Case("formatDecimal", (D("12"), "#."), "12."),
    Case("formatDecimal", (D("7"), "000"), "007"),
    Case("formatDecimal", (D("0.256"), "0.0\u2030"), "256.0\u2030"),
    Case("formatDecimal", (D("5"), "'#'0' it''s'"), "#5 it's"),
    Case("formatDecimal", (D("5"), "\u00a4\u00a4 0"), "USD 5"),
    Case("formatDecimal", (D("1"), "0.0E0"), Err("not supported")),
    Case("formatDecimal", (D("1"), "0.#0"), Err("malformed fraction")),
    Case("formatDecimal", (D("1"), "'abc"), Err("unterminated quote")),
    Case("formatDecimal", (None,), Err("the value is empty")),
    # deprecated Mendix 7 Float functions (NF701), on Decimals
    Case("toFloat", (3,), D("3")),
    Case("toFloat", (D("2.50"),), D("2.50")),
    Case("toFloat", ("3",), Err("not a number")),
    Case("parseFloat", ("1.5",), D("1.5")),
    Case("parseFloat", ("x", 2), D("2")),
    Case("parseFloat", ("x",), Err("'x' is not a Decimal")),
    Case("formatFloat", (D("1234.5"),), "1,234.5"),
    Case("formatFloat", (None,), Err("the value is empty")),
    Case("floatsEqual", (D("0.51"), D("0.50"), 1), True),
    Case("floatsEqual", (D("0.51"), D("0.50"), 2), False),
    Case("floatsEqual", (D("0.1"), D("0.2"), 1), False),
    Case("floatsEqual", (149, 100, -2), True),
    Case("floatsEqual", (D("1e-30"), 0, 29), True),
    Case("floatsEqual", (None, 1, 2), Err("the first number is empty")),
    Case("floatsEqual", (1, 1, D("0.5")), Err("not an Integer")),
    Case("currenciesEqual", (D("2.001"), D("2.002"), 2), True),
    Case("currenciesEqual", (1, "1", 2), Err("not a number")),
    Case("formatDateTime", (L(2024, 7, 1, 15, 5),), "7/1/24, 3:05 PM"),
    Case("formatDateTime", (L(2024, 7, 1), "yyyy-bb"), Err("illegal pattern letter 'b'")),
    Case("formatDateTime", (None, "yyyy"), Err("the date is empty")),
    Case(
        "formatDateTimeUTC", (L(2024, 7, 1, 1, 30), "yyyy-MM-dd HH:mm zzz"), "2024-06-30 23:30 UTC"
    ),
    Case("formatDateTimeUTC", (L(2024, 7, 1), "'open"), Err("unterminated quote")),
    Case("formatDate", (L(2024, 12, 31, 23, 30),), "12/31/24"),
    Case("formatDate", (None,), Err("the date is empty")),
    Case("formatDateUTC", (L(2024, 1, 1, 0, 30),), "12/31/23"),
    Case("formatDateUTC", ("2024",), Err("not a DateTime")),
    Case("formatTime", (L(2024, 1, 1, 0, 5),), "12:05 AM"),
    Case("formatTime", (None,), Err("the date is empty")),
    Case("formatTimeUTC", (L(2024, 1, 1, 12, 5),), "11:05 AM"),
    Case("formatTimeUTC", (1,), Err("not a DateTime")),
    Case("parseDateTime", ("1/2/24 3:04 PM", "M/d/yy h:mm a"), L(2024, 1, 2, 15, 4)),
    Case("parseDateTime", ("x", "yyyy", None), None),
    Case("parseDateTime", ("2024", "yyyy-bb", L(2024, 1, 1)), Err("illegal pattern letter")),
    Case("parseDateTime", ("2024", "yyyy", "x"), L(2024, 1, 1)),
    Case("parseDateTime", ("x", "yyyy", "x"), Err("the default value is a String")),
    Case("parseDateTimeUTC", ("2024-03-31 02:30", "yyyy-MM-dd HH:mm"), U(2024, 3, 31, 2, 30)),
    Case("parseDateTimeUTC", ("", "yyyy"), Err("'' does not match the pattern 'yyyy'")),
    # lists
    Case("count", (ITEMS,), 3, True),
    Case("count", (None,), 0, True),
    Case("count", (5,), Err("expected a list"), True),
    Case("length", (ITEMS,), 3, True),
    Case("length", ([1],), Err("holds an Integer, not an object"), True),
    Case("sum", (ITEMS, "Qty"), 4, True),
    Case("sum", (ITEMS, "Price"), D("7.75"), True),
    Case("sum", ([], "Qty"), 0, True),
    Case("sum", (ITEMS, "Name"), Err("not a number"), True),
    Case("average", (ITEMS, "Qty"), D("2"), True),
    Case("average", (ITEMS, "Price"), D("2.583333333333333333333333333333333"), True),
    Case("average", ([C], "Qty"), None, True),
    Case("average", (ITEMS, ""), Err("expected a member name"), True),
    Case("minimum", (ITEMS, "Price"), D("1.25"), True),
    Case("minimum", (ITEMS, "Day"), L(2024, 1, 1), True),
    Case("minimum", ([], "Price"), None, True),
    Case("minimum", ([obj(Flag=True)], "Flag"), Err("has no order"), True),
    Case("maximum", (ITEMS, "Qty"), 3, True),
    Case("maximum", ([obj(X=1), obj(X="a")], "X"), Err("cannot be compared"), True),
    Case("head", (ITEMS,), A, True),
    Case("head", ([GONE],), None, True),
    Case("head", ("x",), Err("expected a list"), True),
    Case("tail", (ITEMS,), [B, C], True),
    Case("tail", (1,), Err("expected a list"), True),
    Case("find", (ITEMS, "Qty", D("1.0")), B, True),
    Case("find", (ITEMS, "Name", "gone"), None, True),
    Case("find", (ITEMS, None, 1), Err("expected a member name"), True),
    Case("filter", (ITEMS, "Qty", ""), [C], True),
    Case("filter", (ITEMS, 3, 1), Err("expected a member name"), True),
    Case("findWhere", (ITEMS, is_long), A, True),
    Case("findWhere", (ITEMS, lambda o: o["Name"]), Err("gave a String, not a Boolean"), True),
    Case("filterWhere", (ITEMS, is_long), [A, C], True),
    Case("filterWhere", (ITEMS, lambda o: None), Err("gave empty"), True),
    Case("sort", (ITEMS, [("Name", False)]), [B, A, C], True),
    Case("sort", (ITEMS, []), Err("at least one member"), True),
    Case("sort", (ITEMS, ["Name"]), Err("expected (member, descending)"), True),
    Case("union", ([A, B], [B, C, A]), [A, B, C], True),
    Case("union", (5, []), Err("expected a list"), True),
    Case("intersect", ([A, B, GONE], [GONE, B, C]), [B], True),
    Case("intersect", ([1], []), Err("not an object"), True),
    Case("subtract", ([A, B, C, A], [B]), [A, C], True),
    Case("subtract", ([], {}), Err("expected a list"), True),
    Case("contains", (ITEMS, B), True, True),
    Case("contains", (ITEMS, GONE), False, True),
    Case("contains", (ITEMS, [A, C]), True, True),
    Case("contains", (ITEMS, None), False, True),
    Case("contains", (ITEMS, 5), Err("expected an object or a list"), True),
    Case("equals", ([A, B], [B, A, A]), True, True),
    Case("equals", ([A], [A, B]), False, True),
    Case("equals", ([A], "x"), Err("expected a list"), True),
    Case("isEmpty", ([GONE],), True, True),
    Case("isEmpty", (ITEMS,), False, True),
    Case("isEmpty", (0,), Err("expected a list"), True),
    Case("range", (ITEMS, 1, 0), [B, C], True),
    Case("range", (ITEMS, 0, 2), [A, B], True),
    Case("range", (ITEMS, 5, 1), [], True),
    Case("range", (ITEMS, -1, 0), Err("the offset -1 is negative"), True),
    Case("range", (ITEMS, 0, -1), Err("the amount -1 is negative"), True),
    Case("all", (ITEMS, lambda o: o["Price"] > 1), True, True),
    Case("all", ([], lambda o: False), True, True),
    Case("all", (ITEMS, lambda o: 1), Err("not a Boolean"), True),
    Case("any", (ITEMS, lambda o: o["Qty"] == 100), False, True),
    Case("any", (ITEMS, lambda o: "x"), Err("not a Boolean"), True),
    Case("reduce", (ITEMS, "", lambda acc, o: acc + o["Name"][0]), "bAc", True),
    Case("reduce", (7, 0, lambda acc, o: acc), Err("expected a list"), True),
]

# The generated families: add/subtract, between, trim/begin/end (one base date each).
BASE = L(2024, 1, 31, 10, 30)
BASE_UTC = U(2024, 1, 31, 10, 30)
ADDS = {  # unit: (wall time after adding 1, wall time after subtracting 1)
    "Milliseconds": ((2024, 1, 31, 10, 30, 0, 1), (2024, 1, 31, 10, 29, 59, 999)),
    "Seconds": ((2024, 1, 31, 10, 30, 1), (2024, 1, 31, 10, 29, 59)),
    "Minutes": ((2024, 1, 31, 10, 31), (2024, 1, 31, 10, 29)),
    "Hours": ((2024, 1, 31, 11, 30), (2024, 1, 31, 9, 30)),
    "Days": ((2024, 2, 1, 10, 30), (2024, 1, 30, 10, 30)),
    "Weeks": ((2024, 2, 7, 10, 30), (2024, 1, 24, 10, 30)),
    "Months": ((2024, 2, 29, 10, 30), (2023, 12, 31, 10, 30)),
    "Quarters": ((2024, 4, 30, 10, 30), (2023, 10, 31, 10, 30)),
    "Years": ((2025, 1, 31, 10, 30), (2023, 1, 31, 10, 30)),
}
for _unit, (_added, _subtracted) in ADDS.items():
    CASES += [
        Case(f"add{_unit}", (BASE, 1), L(*_added)),
        Case(f"subtract{_unit}", (BASE, 1), L(*_subtracted)),
        Case(f"add{_unit}", (None, 1), Err(f"add{_unit}: the date is empty")),
        Case(f"subtract{_unit}", (BASE, None), Err("the amount is empty")),
    ]
    if _unit not in ("Milliseconds", "Seconds", "Minutes", "Hours"):
        CASES += [
            Case(f"add{_unit}UTC", (BASE_UTC, 1), U(*_added)),
            Case(f"subtract{_unit}UTC", (BASE_UTC, 1), U(*_subtracted)),
            Case(f"add{_unit}UTC", (BASE_UTC, 10**15), Err("outside the supported dates")),
            Case(f"subtract{_unit}UTC", ("x", 1), Err("not a DateTime")),
        ]
    else:
        CASES.append(Case(f"add{_unit}", (BASE, 10**18), Err("outside the supported dates")))

SPAN = (L(2024, 1, 15, 12), L(2024, 1, 1))  # 14.5 days
BETWEEN = {
    "milliseconds": D("1252800000"),
    "seconds": D("1252800"),
    "minutes": D("20880"),
    "hours": D("348"),
    "days": D("14.5"),
    "weeks": D("2.0714285714285716"),
}
for _unit, _value in BETWEEN.items():
    CASES += [
        Case(f"{_unit}Between", SPAN, _value),
        Case(f"{_unit}Between", (SPAN[0], None), Err("the second date is empty")),
    ]

WHEN = L(2024, 5, 15, 10, 41, 59, 123)  # a Wednesday
EARLY = L(2024, 5, 15, 1, 30)  # still 14 May in UTC
PERIODS = {
    "trimToSeconds": (WHEN, L(2024, 5, 15, 10, 41, 59)),
    "trimToMinutes": (WHEN, L(2024, 5, 15, 10, 41)),
    "trimToHours": (WHEN, L(2024, 5, 15, 10)),
    "trimToDays": (WHEN, L(2024, 5, 15)),
    "trimToMonths": (WHEN, L(2024, 5, 1)),
    "trimToYears": (WHEN, L(2024, 1, 1)),
    "trimToHoursUTC": (EARLY, U(2024, 5, 14, 23)),
    "trimToDaysUTC": (EARLY, U(2024, 5, 14)),
    "trimToMonthsUTC": (EARLY, U(2024, 5, 1)),
    "trimToYearsUTC": (EARLY, U(2024, 1, 1)),
    "beginOfDay": (WHEN, L(2024, 5, 15)),
    "beginOfWeek": (WHEN, L(2024, 5, 12)),
    "beginOfMonth": (WHEN, L(2024, 5, 1)),
    "beginOfYear": (WHEN, L(2024, 1, 1)),
    "endOfDay": (WHEN, L(2024, 5, 15, 23, 59, 59, 999)),
    "endOfWeek": (WHEN, L(2024, 5, 18, 23, 59, 59, 999)),
    "endOfMonth": (WHEN, L(2024, 5, 31, 23, 59, 59, 999)),
    "endOfYear": (WHEN, L(2024, 12, 31, 23, 59, 59, 999)),
}
for _name, (_input, _output) in PERIODS.items():
    CASES += [Case(_name, (_input,), _output), Case(_name, (None,), Err("the date is empty"))]


def _table(case: Case) -> dict[str, Callable[..., Any]]:
    return LIST_FUNCTIONS if case.lists else FUNCTIONS


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[f"{'list:' if c.lists else ''}{c.fn}-{i}" for i, c in enumerate(CASES)],
)
def test_case(case: Case) -> None:
    fn = _table(case)[case.fn]
    if isinstance(case.expect, Err):
        with pytest.raises(MendixError) as info:
            fn(CTX, *case.args)
        assert case.expect.text in info.value.message
        assert info.value.message.startswith(case.fn) or "[%" in info.value.message
    else:
        result = fn(CTX, *case.args)
        assert type(result) is type(case.expect), f"{result!r} is not a {type(case.expect)}"
        assert result == case.expect


def test_every_function_has_a_positive_and_an_error_case() -> None:
    no_error_possible = {"random", "isSyncing"}
    for lists, table in ((False, FUNCTIONS), (True, LIST_FUNCTIONS)):
        ok = {c.fn for c in CASES if c.lists == lists and not isinstance(c.expect, Err)}
        bad = {c.fn for c in CASES if c.lists == lists and isinstance(c.expect, Err)}
        assert set(table) - ok == set()
        assert set(table) - bad - no_error_possible == set()


def test_registry_matches_the_checker_signatures() -> None:
    expected = dict(signatures.FUNCTIONS) | dict(signatures.STRING_OVERLOADS)
    assert set(FUNCTIONS) == set(expected)
    assert set(LIST_FUNCTIONS) == set(signatures.LIST_FUNCTIONS)
    for name, signature in expected.items():
        params = list(inspect.signature(FUNCTIONS[name]).parameters.values())[1:]
        variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        required = sum(1 for p in params if p.default is p.empty and p.kind is not p.VAR_POSITIONAL)
        if variadic:
            continue  # max/min/dateTime/parseDecimal take their arguments as *args
        assert required == signature.min_args, name
        assert len(params) == len(signature.params), name


@pytest.mark.parametrize("name", ["dateTime", "dateTimeUTC", "max", "min", "parseDecimal"])
def test_variadic_functions_check_their_arity(name: str) -> None:
    fn = FUNCTIONS[name]
    too_many = (1,) * 7 if name.startswith("dateTime") else ("1", "#", 1, 2)
    if name in ("max", "min"):
        too_many = ()
    with pytest.raises(MendixError):
        fn(CTX, *too_many)
