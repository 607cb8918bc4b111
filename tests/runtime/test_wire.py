"""Member values on the wire: every kind round-trips, and values that do not fit are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.runtime.values import LONG_MAX, LONG_MIN, EnumValue
from nanoflow.runtime.wire import WireError, datetime_text, from_wire, to_wire

MS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
DECIMALS = st.decimals(
    min_value=Decimal("-1e20"), max_value=Decimal("1e20"), places=8, allow_nan=False
)


@given(
    st.one_of(
        st.tuples(st.just("String"), st.text()),
        st.tuples(st.just("Long"), st.integers(LONG_MIN, LONG_MAX)),
        st.tuples(st.just("Decimal"), DECIMALS),
        st.tuples(st.just("Boolean"), st.booleans()),
        st.tuples(st.just("DateTime"), MS),
        st.tuples(st.just("Binary"), st.binary()),
        st.tuples(st.just("RefSet"), st.lists(st.uuids().map(str), unique=True).map(tuple)),
    )
)
def test_values_round_trip(case: tuple[str, Any]) -> None:
    kind, value = case
    assert from_wire(kind, to_wire(kind, value)) == value


def test_wire_forms() -> None:
    moment = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert datetime_text(moment) == "2025-03-01T09:00:00.123Z"
    assert to_wire("Decimal", Decimal("1E+3")) == "1000"
    assert to_wire("Enum", EnumValue.of("M.E", "Open")) == "Open"
    assert from_wire("Enum", "Open", "M.E") is EnumValue.of("M.E", "Open")
    assert from_wire("DateTime", "2025-03-01T09:00:00.1239Z") == datetime(
        2025, 3, 1, 9, 0, 0, 123000, tzinfo=UTC
    )
    assert from_wire("RefSet", None) == ()


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("Integer", "1"),
        ("Integer", True),
        ("Decimal", "NaN"),
        ("Decimal", "1e99999999999999999999"),
        ("Decimal", 1.5),
        ("Boolean", 1),
        ("DateTime", "2025-03-01T09:00:00"),
        ("DateTime", "yesterday"),
        ("Binary", "***"),
        ("RefSet", "a"),
        ("String", 5),
    ],
)
def test_values_that_do_not_fit_are_refused(kind: str, value: Any) -> None:
    with pytest.raises(WireError):
        from_wire(kind, value)
