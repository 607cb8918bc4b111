"""The generated decoder of uploaded attribute values (`nanoflow.server.wire_decoding`) gives
what the per-value readers of `runtime.wire` give, refuses what they refuse, and refuses values
that are no member value at all (the upload model leaves checking them to it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.compiler import compile_sources
from nanoflow.runtime.wire import WireError, member_kinds, reader
from nanoflow.server.database import server_schema
from nanoflow.server.wire_decoding import attribute_decoder
from nanoflow.source import SourceFile

SOURCE = """
module Wire
enumeration Grade { Low 'Low'  High 'High' }
entity Item {
  Name: String(20)
  Secret: HashedString
  Amount: Decimal
  Stamp: DateTime
  Rank: Grade
  Active: Boolean
  Count: Integer
  Big: Long
  Number: AutoNumber
}
entity Tag { Label: String }
association Item_Tag from Item to Tag
"""

_result = compile_sources([SourceFile("wire.nf", SOURCE)])
assert _result.app is not None, [str(d) for d in _result.diagnostics]
KINDS = member_kinds(server_schema(_result.app).layout("Wire.Item"))
DECODE = attribute_decoder("Wire.Item", KINDS)
ATTRIBUTES = sorted(m for m, (k, _e) in KINDS.items() if k not in ("Ref", "RefSet"))

SAMPLES = ["Low", "High", "Middle", "12.5", "-0.00000001", "1e3", "NaN", "x1", "a\x00b",
           "2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05+02:00", "2026-01-02"]  # fmt: skip
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(SAMPLES),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
members = st.sampled_from([*ATTRIBUTES, "Wire.Item_Tag", "Unknown", "Other.Name"])


def _expected(attributes: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """The readers' result (None: refused)."""
    decoded: dict[str, Any] = {}
    for member, value in attributes.items():
        kind, enum = KINDS.get(member, (None, None))
        if kind is None or kind in ("Ref", "RefSet"):
            if value is not None and value.__class__ not in (bool, int, str):
                return None  # not a member value at all
            continue
        try:
            decoded[member] = None if value is None else reader(kind, enum)(value)
        except WireError:
            return None
    nul = [m for m, v in decoded.items() if isinstance(v, str) and "\x00" in v]
    return decoded, sorted(nul)


@given(st.dictionaries(members, values, max_size=6))
def test_the_generated_decoder_gives_what_the_readers_give(attributes: dict[str, Any]) -> None:
    expected = _expected(attributes)
    if expected is None:
        with pytest.raises(WireError):
            DECODE(attributes)
        return
    decoded, nul = DECODE(attributes)
    assert decoded == expected[0]
    assert sorted(nul) == expected[1]


def test_a_list_for_a_member_the_server_does_not_know_is_refused() -> None:
    with pytest.raises(WireError, match=r"Unknown: \[1\] is not a member value"):
        DECODE({"Name": "n", "Unknown": [1]})
    with pytest.raises(WireError, match=r"Unknown: 1\.5 is not a member value"):
        DECODE({"Name": "n", "Unknown": 1.5})
    assert DECODE({"Name": "n", "Unknown": 2}) == ({"Name": "n"}, [])


def test_texts_with_nul_are_named() -> None:
    decoded, nul = DECODE({"Name": "a\x00b", "Secret": "\x00", "Rank": "Low"})
    assert decoded["Name"] == "a\x00b"
    assert sorted(nul) == ["Name", "Secret"]


@given(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), None])),
    st.sampled_from(["Z", "+00:00", ""]),
)
def test_date_times_read_as_converted_to_utc_milliseconds(moment: datetime, suffix: str) -> None:
    """The reader's shortcut for text already in UTC gives what the conversion gives."""
    text = moment.replace(tzinfo=None).isoformat() + (suffix if moment.tzinfo is UTC else "")
    if moment.tzinfo not in (UTC, None):
        text = moment.isoformat()
    read = reader("DateTime")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        with pytest.raises(WireError):
            read(text)
        return
    expected = parsed.astimezone(UTC)
    expected = expected.replace(microsecond=expected.microsecond // 1000 * 1000)
    found = read(text)
    assert found == expected
    assert found.tzinfo is UTC and found.utcoffset() == timedelta(0)
