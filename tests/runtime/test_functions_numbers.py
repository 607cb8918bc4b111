"""Numbers: rounding modes, exact decimals, Long overflow, toString/parse round trips."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.runtime.functions import FUNCTIONS, EvalContext
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, MendixError

AWAY = EvalContext()
EVEN = EvalContext(rounding="half_even")
WIDE = Context(prec=200)
decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**18), max_value=10**18)
longs = st.integers(LONG_MIN, LONG_MAX)


@given(decimals, st.integers(-5, 12))
def test_round_modes_match_decimal_quantize(value: Decimal, places: int) -> None:
    quantum = Decimal((0, (1,), -places))
    for ctx, mode in ((AWAY, ROUND_HALF_UP), (EVEN, ROUND_HALF_EVEN)):
        result = FUNCTIONS["round"](ctx, value, places)
        assert isinstance(result, Decimal)
        assert result == value.quantize(quantum, mode, WIDE)
        assert abs(result - value) <= quantum / 2


@given(decimals)
def test_round_to_integer_gives_an_int(value: Decimal) -> None:
    result = FUNCTIONS["round"](AWAY, value)
    assert type(result) is int
    assert result == int(value.quantize(Decimal(1), ROUND_HALF_UP))


def test_round_keeps_exact_digits_beyond_34() -> None:
    long_decimal = Decimal("1.00000000000000000000000000000000000000015")
    assert FUNCTIONS["round"](AWAY, long_decimal, 40) == Decimal(
        "1.0000000000000000000000000000000000000002"
    )
    assert FUNCTIONS["round"](AWAY, Decimal("2.5"), 10**9) == Decimal("2.5")
    assert FUNCTIONS["round"](AWAY, Decimal("123.456"), -(10**9)) == 0
    assert FUNCTIONS["round"](AWAY, 7, 2) == Decimal(7)


def test_round_to_integer_outside_long_is_an_error() -> None:
    with pytest.raises(MendixError, match=r"round: the result .* does not fit a Long"):
        FUNCTIONS["round"](AWAY, Decimal("1e19"))


def test_max_min_result_types() -> None:
    assert type(FUNCTIONS["max"](AWAY, 1, 2)) is int
    assert type(FUNCTIONS["max"](AWAY, 1, Decimal(0))) is Decimal
    assert FUNCTIONS["min"](AWAY, Decimal("1.50"), 2) == Decimal("1.5")
    with pytest.raises(MendixError, match="argument 1 is a Boolean"):
        FUNCTIONS["max"](AWAY, True, 1)


def test_pow_is_exact_for_integer_exponents_and_bounded_otherwise() -> None:
    exact = FUNCTIONS["pow"](AWAY, Decimal("1.1"), 40)
    assert exact == WIDE.power(Decimal("1.1"), 40)
    assert exact.as_tuple().exponent == -40  # all 42 digits, no 34-digit rounding
    assert FUNCTIONS["pow"](AWAY, 2, Decimal("3.0")) == 8
    assert FUNCTIONS["pow"](AWAY, 3, -1) == Decimal("0.3333333333333333333333333333333333")
    big = FUNCTIONS["pow"](AWAY, Decimal("1.0000001"), 10**7)
    assert Decimal("2.718") < big < Decimal("2.719")
    with pytest.raises(MendixError, match="too large"):
        FUNCTIONS["pow"](AWAY, 10, 10**18)


@given(longs)
def test_abs_keeps_the_type_and_fails_only_on_the_smallest_long(value: int) -> None:
    if value == LONG_MIN:
        with pytest.raises(MendixError):
            FUNCTIONS["abs"](AWAY, value)
    else:
        assert FUNCTIONS["abs"](AWAY, value) == abs(value)


@given(decimals)
def test_to_string_is_plain_and_parses_back(value: Decimal) -> None:
    text = FUNCTIONS["toString"](AWAY, value)
    assert "E" not in text and "e" not in text
    assert not ("." in text and text.endswith("0"))
    assert FUNCTIONS["parseDecimal"](AWAY, text) == value


@given(longs)
def test_integers_round_trip_through_strings(value: int) -> None:
    assert FUNCTIONS["parseInteger"](AWAY, FUNCTIONS["toString"](AWAY, value)) == value


@given(st.decimals(min_value=0, max_value=10**6, places=4))
def test_sqrt_squares_back(value: Decimal) -> None:
    root = FUNCTIONS["sqrt"](AWAY, value)
    assert isinstance(root, Decimal)
    assert abs(root * root - value) <= Decimal("1e-25") * max(value, Decimal(1))


def test_random_uses_the_context_source() -> None:
    ctx = EvalContext(random=lambda: 0.999)
    assert FUNCTIONS["random"](ctx) == Decimal("0.999")
    value = FUNCTIONS["random"](AWAY)
    assert isinstance(value, Decimal) and 0 <= value < 1
