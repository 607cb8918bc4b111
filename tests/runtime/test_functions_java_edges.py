"""The edge cases of every math and string function, against the behaviour Java documents for
the method Mendix runs (`java.math.BigDecimal`, `java.lang.Math`, `java.lang.String`,
`java.net.URLEncoder`/`URLDecoder`): zeros, negatives, empty strings, empty arguments and the
ends of each type's range. Where Nanoflow deliberately differs (nanoflows run JavaScript on the
client, and a Long overflow is an error rather than a wrap-around), the row says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from nanoflow.runtime.functions import FUNCTIONS, EvalContext
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, MendixError

CTX = EvalContext()
EVEN = EvalContext(rounding="half_even")


class Err(NamedTuple):
    """A MendixError whose message contains `text`."""

    text: str


def D(text: str) -> Decimal:
    return Decimal(text)


CASES: list[tuple[str, tuple[Any, ...], Any, str]] = [
    # ---- pow: BigDecimal.pow(n) for integral exponents, Math.pow otherwise
    ("pow", (0, 0), D("1"), "BigDecimal.pow: x.pow(0) returns 1 even if x is 0"),
    ("pow", (D("0.0"), 0), D("1"), "BigDecimal.pow(0) of any zero"),
    ("pow", (0, D("0.0")), D("1"), "an integral Decimal exponent is an int exponent"),
    ("pow", (-5, 0), D("1"), "BigDecimal.pow(0)"),
    ("pow", (0, 3), D("0"), "zero to a positive power"),
    ("pow", (-2, 3), D("-8"), "negative base, odd power"),
    ("pow", (-2, 2), D("4"), "negative base, even power"),
    ("pow", (2, -1), D("0.5"), "BigDecimal.pow(-1, mc): 1 / 2"),
    ("pow", (0, -1), Err("zero cannot be raised to a negative power"), "BigDecimal: 1 / 0"),
    ("pow", (0, D("0.5")), D("0"), "Math.pow(+0, y > 0) is +0"),
    ("pow", (0, D("-0.5")), Err("not a finite real number"), "Math.pow(+0, y < 0) is +Infinity"),
    ("pow", (-8, D("0.5")), Err("not a finite real number"), "Math.pow(x < 0, non-integer) is NaN"),
    ("pow", (16, D("0.5")), D("4"), "Math.pow(16, 0.5)"),
    ("pow", (None, 2), Err("pow: the number is empty"), "empty argument"),
    # ---- sqrt: BigDecimal.sqrt(MathContext.DECIMAL128)
    ("sqrt", (0,), D("0"), "sqrt(0) = 0"),
    ("sqrt", (D("-0.0"),), D("0"), "negative zero is zero"),
    ("sqrt", (-1,), Err("negative"), "BigDecimal.sqrt of a negative number throws"),
    ("sqrt", (None,), Err("empty"), "empty argument"),
    # ---- abs: Math.abs / BigDecimal.abs
    ("abs", (0,), 0, "abs(0) = 0"),
    ("abs", (D("-0.0"),), D("0.0"), "BigDecimal.abs(-0.0)"),
    ("abs", (LONG_MAX,), LONG_MAX, "the largest Long"),
    ("abs", (-LONG_MAX,), LONG_MAX, "the smallest Long but one"),
    (
        "abs",
        (LONG_MIN,),
        Err("does not fit a Long"),
        "Math.abs(Long.MIN_VALUE) overflows to itself (negative); Nanoflow reports the overflow",
    ),
    # ---- round: BigDecimal.setScale with HALF_UP (the default setting) or HALF_EVEN
    ("round", (D("2.5"),), 3, "HALF_UP rounds away from zero"),
    ("round", (D("-2.5"),), -3, "HALF_UP: -2.5 to -3"),
    ("round", (D("-0.4"),), 0, "rounds to zero"),
    ("round", (D("0.125"), 2), D("0.13"), "HALF_UP at two places"),
    ("round", (LONG_MAX,), LONG_MAX, "an integer rounds to itself"),
    ("round", (D("9223372036854775807.5"),), Err("does not fit a Long"), "beyond a Long"),
    ("round", (D("1250"), -2), D("1300"), "negative precision: to hundreds"),
    # ---- floor / ceil: Math.floor / Math.ceil as Long
    ("floor", (D("-0.5"),), -1, "Math.floor(-0.5) = -1"),
    ("ceil", (D("-0.5"),), 0, "Math.ceil(-0.5) = -0.0, read as 0"),
    ("floor", (LONG_MIN,), LONG_MIN, "the smallest Long"),
    ("ceil", (D("9223372036854775807.1"),), Err("does not fit a Long"), "beyond a Long"),
    # ---- max / min
    ("max", (0, D("-0.0")), D("0"), "equal values"),
    ("max", (LONG_MIN, LONG_MAX), LONG_MAX, "the ends of Long"),
    ("min", (LONG_MIN, LONG_MAX), LONG_MIN, "the ends of Long"),
    ("min", (1, None), Err("argument 2 is empty"), "empty argument"),
    # ---- length / case: String.length, toUpperCase, toLowerCase
    ("length", ("",), 0, '"".length() = 0'),
    ("length", (None,), 0, "empty reads as ''"),
    ("toUpperCase", ("",), "", "empty string"),
    ("toUpperCase", ("ß",), "SS", '"ß".toUpperCase() = "SS"'),
    ("toLowerCase", ("ÀB",), "àb", "Unicode lower case"),
    ("toLowerCase", (None,), "", "empty reads as ''"),
    # ---- substring: String.substring(begin[, begin + length])
    ("substring", ("abc", 3), "", '"abc".substring(3) = ""'),
    ("substring", ("abc", 0), "abc", "from the start"),
    ("substring", ("abc", 1, 0), "", "length 0"),
    ("substring", ("", 0), "", '"".substring(0) = ""'),
    ("substring", ("abc", 4), Err("past the end"), "StringIndexOutOfBoundsException"),
    ("substring", ("abc", -1), Err("negative"), "StringIndexOutOfBoundsException"),
    ("substring", ("abc", 2, 2), Err("past the end"), "end beyond the length"),
    ("substring", ("abc", 0, -1), Err("negative"), "negative length"),
    # ---- find / findLast: String.indexOf / lastIndexOf
    ("find", ("abc", ""), 0, '"abc".indexOf("") = 0'),
    ("find", ("", ""), 0, '"".indexOf("") = 0'),
    ("find", ("abc", "c", 5), -1, "fromIndex beyond the length finds nothing"),
    ("find", ("abc", "", 5), 3, '"abc".indexOf("", 5) = 3 (the length)'),
    ("find", ("abc", "a", -1), 0, "a negative fromIndex is 0"),
    ("find", ("abc", "d"), -1, "not found"),
    ("findLast", ("abc", ""), 3, '"abc".lastIndexOf("") = 3'),
    ("findLast", ("", ""), 0, '"".lastIndexOf("") = 0'),
    ("findLast", ("abca", "a", 2), 0, "lastIndexOf(str, 2)"),
    (
        "findLast",
        ("abc", "a", -1),
        0,
        "Java's lastIndexOf gives -1 for a negative fromIndex; nanoflows run JavaScript's "
        "lastIndexOf, which reads it as 0 (test_functions_cases has the same row)",
    ),
    ("findLast", ("abc", "c", 10), 2, "fromIndex beyond the length searches all"),
    # ---- contains / startsWith / endsWith
    ("contains", ("", ""), True, '"".contains("")'),
    ("contains", ("abc", ""), True, "every string contains ''"),
    ("contains", ("", "a"), False, "'' contains nothing else"),
    ("startsWith", ("abc", ""), True, '"abc".startsWith("")'),
    ("startsWith", ("", "a"), False, "''.startsWith('a')"),
    ("endsWith", ("", ""), True, '"".endsWith("")'),
    ("endsWith", (None, "a"), False, "empty reads as ''"),
    # ---- trim: JavaScript String.prototype.trim (nanoflows)
    ("trim", ("  ",), "", "only white space"),
    ("trim", ("\u00a0a\u3000",), "a", "JavaScript trims Unicode white space"),
    ("trim", ("",), "", "empty string"),
    # ---- isMatch / replaceAll / replaceFirst: String.matches / replaceAll / replaceFirst
    ("isMatch", ("", ""), True, '"".matches("")'),
    ("isMatch", ("abc", "b"), False, "matches the whole string only"),
    ("isMatch", ("a", "("), Err("isMatch"), "PatternSyntaxException"),
    ("replaceAll", ("abc", "", "-"), "-a-b-c-", '"abc".replaceAll("", "-")'),
    ("replaceFirst", ("abc", "", "-"), "-abc", '"abc".replaceFirst("", "-")'),
    ("replaceAll", ("", "x", "y"), "", "empty string"),
    ("replaceAll", ("a.b", "\\Q.\\E", "$1"), "a$1b", "\\Q..\\E quoting; literal replacement"),
    # ---- urlEncode / urlDecode: URLEncoder / URLDecoder with UTF-8
    ("urlEncode", ("",), "", "empty string"),
    ("urlEncode", (" *~",), "+*%7E", "space is +, * stays, ~ is encoded"),
    ("urlEncode", ("é",), "%C3%A9", "UTF-8 bytes"),
    ("urlDecode", ("+%2B",), " +", "+ is a space"),
    ("urlDecode", ("%",), Err("malformed escape"), "IllegalArgumentException"),
    ("urlDecode", ("%G1",), Err("malformed escape"), "IllegalArgumentException"),
    ("urlDecode", ("",), "", "empty string"),
    # ---- parseInteger / parseDecimal: Long.parseLong / new BigDecimal(String)
    ("parseInteger", ("9223372036854775807",), LONG_MAX, "Long.MAX_VALUE"),
    ("parseInteger", ("-9223372036854775808",), LONG_MIN, "Long.MIN_VALUE"),
    ("parseInteger", ("9223372036854775808",), Err("does not fit a Long"), "overflow"),
    ("parseInteger", ("1" * 5000,), Err("does not fit a Long"), "a 5000-digit number"),
    ("parseInteger", ("1_000",), Err("is not an Integer"), "NumberFormatException"),
    ("parseInteger", ("٣",), Err("is not an Integer"), "ASCII digits only"),
    ("parseInteger", ("",), Err("is not an Integer"), "NumberFormatException"),
    ("parseDecimal", ("NaN",), Err("is not a Decimal"), "new BigDecimal(\"NaN\") throws"),
    ("parseDecimal", ("Infinity",), Err("is not a Decimal"), "no infinities"),
    ("parseDecimal", ("1e999999999",), Err("is not a Decimal"), "refused, not expanded"),
    ("parseDecimal", ("-0.0",), D("-0.0"), "negative zero parses"),
]


@pytest.mark.parametrize(
    ("fn", "args", "expected", "java"), CASES, ids=[f"{c[0]}{c[1]!r}" for c in CASES]
)
def test_edge_cases_follow_java(fn: str, args: tuple[Any, ...], expected: Any, java: str) -> None:
    function = FUNCTIONS[fn]
    if isinstance(expected, Err):
        with pytest.raises(MendixError, match=expected.text):
            function(CTX, *args)
        return
    result = function(CTX, *args)
    assert result == expected, java
    assert type(result) is type(expected), java


def test_half_even_rounding_setting() -> None:
    assert FUNCTIONS["round"](EVEN, D("2.5")) == 2
    assert FUNCTIONS["round"](EVEN, D("-2.5")) == -2
    assert FUNCTIONS["round"](EVEN, D("0.125"), 2) == D("0.12")


def test_every_math_and_string_function_has_edge_cases() -> None:
    from nanoflow.runtime.functions import math, strings

    covered = {case[0] for case in CASES}
    assert set(math.REGISTRY) - {"random"} <= covered
    assert set(strings.REGISTRY) <= covered
