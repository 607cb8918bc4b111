"""Value encoding of the device store: order-preserving decimals, date-times, case folding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.runtime.store import codec

DIGITS_28 = 10**28 - 1
decimals = st.integers(min_value=-DIGITS_28, max_value=DIGITS_28).map(
    lambda units: Decimal(units).scaleb(-8)
)


@given(decimals, decimals)
def test_decimal_encoding_preserves_order(a: Decimal, b: Decimal) -> None:
    ea, eb = codec.encode_decimal(a), codec.encode_decimal(b)
    assert (ea < eb) == (a < b)
    assert (ea == eb) == (a == b)


@given(decimals)
def test_decimal_encoding_round_trips_exactly(value: Decimal) -> None:
    decoded = codec.decode_decimal(codec.encode_decimal(value))
    assert decoded == value
    assert codec.encode_decimal_strict(value) == codec.encode_decimal(value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("0", "0E-8"),
        ("-0", "0E-8"),
        ("1.5", "1.50000000"),
        ("100", "100.00000000"),
        ("-100", "-100.00000000"),
        ("-0.00000001", "-1E-8"),
        ("99999999999999999999.99999999", "99999999999999999999.99999999"),
        ("-99999999999999999999.99999999", "-99999999999999999999.99999999"),
    ],
)
def test_decimals_decode_with_eight_places(text: str, shown: str) -> None:
    assert str(codec.decode_decimal(codec.encode_decimal(Decimal(text)))) == shown
    assert codec.encode_decimal_strict(Decimal(text)) == codec.encode_decimal(Decimal(text))


def test_decimal_text_is_readable() -> None:
    assert codec.encode_decimal(Decimal("1234.5")) == "P00000000000000001234.50000000"
    assert codec.encode_decimal(Decimal("-3.5")) == "N99999999999999999996.50000000"


def test_decimal_encoding_rounds_half_even_and_bounds() -> None:
    assert codec.decode_decimal(codec.encode_decimal(Decimal("0.000000005"))) == 0
    assert codec.decode_decimal(codec.encode_decimal(Decimal("0.000000015"))) == Decimal(
        "0.00000002"
    )
    assert codec.encode_units(10**28) == codec.DECIMAL_ABOVE
    assert codec.encode_units(-(10**28)) == codec.DECIMAL_BELOW
    assert (
        codec.DECIMAL_BELOW
        < codec.encode_decimal(Decimal(-(10**19)))
        < codec.encode_decimal(Decimal(10**19))
        < codec.DECIMAL_ABOVE
    )
    with pytest.raises(ValueError):
        codec.encode_decimal_strict(Decimal(10**20))
    with pytest.raises(TypeError):
        codec.encode_decimal_strict(1.5)


@given(st.datetimes(timezones=st.just(UTC)))
def test_datetimes_are_epoch_milliseconds(value: datetime) -> None:
    ms = codec.encode_datetime(value)
    back = codec.decode_datetime(ms)
    assert back.tzinfo is not None
    assert timedelta(0) <= value - back < timedelta(milliseconds=1)


def test_naive_datetimes_are_utc() -> None:
    assert codec.encode_datetime(datetime(1970, 1, 1, 0, 0, 1)) == 1000


@pytest.mark.parametrize(
    ("text", "folded"),
    [("ÄBC", "äbc"), ("İstanbul", "istanbul"), ("ΟΔΟΣ", "οδοσ"), ("Straße", "straße"), ("", "")],
)
def test_fold_is_per_character_lower_case(text: str, folded: str) -> None:
    assert codec.fold(text) == folded
    assert len(codec.fold(text)) == len(text)
