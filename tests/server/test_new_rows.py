"""Rows of uploaded new objects made straight from the wire (`nanoflow.server.new_rows`) are
the rows the general path builds: decoding the change, giving the object its initial values
and building its row. Whatever the general path refuses, the row maker refuses too (the upload
then takes the general path, which says why); what the row maker makes is exactly that row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoflow.compiler import compile_sources
from nanoflow.runtime.program import NOW, Program
from nanoflow.runtime.store.rows import make_builder
from nanoflow.runtime.wire import member_kinds
from nanoflow.server.database import server_schema
from nanoflow.server.new_rows import new_rows
from nanoflow.server.wire_decoding import attribute_decoder
from nanoflow.source import SourceFile

SOURCE = """
module Rows
enumeration Grade { Low 'Low'  High 'High' }
entity Tag { Label: String }
entity Item with owner {
  Name: String(12) required
  Note: String = 'none'
  Secret: HashedString
  Amount: Decimal = 1.5
  Stamp: DateTime
  Rank: Grade = Low
  Active: Boolean = true
  Count: Integer
  Big: Long
  Data: Binary
}
association Item_Tag from Item to Tag
entity Numbered { Number: AutoNumber }
entity Bag { Title: String }
association Bag_Tags from Bag to many Tag
"""

USER = str(uuid.uuid4())
SEQ = 42
_app = compile_sources([SourceFile("rows.nf", SOURCE)]).app
assert _app is not None
SCHEMA = server_schema(_app)
ENUMS = {q: frozenset(e.values) for q, e in _app.names.enums.items()}
PROGRAM = Program.of(_app)
MOMENT = datetime(2026, 12, 6, 9, 0, 0, 123000, tzinfo=UTC)


def _initial() -> dict[str, Any]:
    """`Session.initial_values` of an Item for USER at MOMENT."""
    values = {k: (MOMENT if v is NOW else v) for k, v in PROGRAM.defaults("Rows.Item").items()}
    values["System.owner"] = USER
    return values


def _general(
    native: bool, attributes: dict[str, Any], references: dict[str, Any]
) -> tuple[Any, ...]:
    """The row the general path writes (raises for what it does not apply as a batch)."""
    layout = SCHEMA.layout("Rows.Item")
    kinds = member_kinds(layout)
    decoded, nul = attribute_decoder("Rows.Item", kinds)(attributes)
    if nul:
        raise ValueError("NUL: refused one by one")
    values = {**_initial(), **decoded}
    for member, target in references.items():
        if member in layout.references:
            values[member] = target
    row = make_builder(layout, ENUMS, native=native)("id-1", values, None)
    return ("id-1", "Rows.Item", *row[1:-1], SEQ)


SAMPLES = ["Low", "High", "Mid", "12.5", "-0.000000001", "1e400", "NaN", "Infinity", "",
           "2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.6789+01:00", "2026-01-02T03:04:05",
           "aGVsbG8=", "not base64!", "x\x00y"]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.text(max_size=14),
    st.floats(allow_nan=False),
    st.sampled_from(SAMPLES),
    st.lists(st.integers(), max_size=1),
)
members = st.sampled_from(
    ["Name", "Note", "Secret", "Amount", "Stamp", "Rank", "Active", "Count", "Big", "Data",
     "Unknown"]
)  # fmt: skip
references = st.dictionaries(
    st.sampled_from(["Rows.Item_Tag", "System.owner", "Rows.Nope"]),
    st.one_of(st.none(), st.just(str(uuid.uuid4()))),
    max_size=2,
)


@pytest.mark.parametrize("native", [False, True], ids=["sqlite", "postgresql"])
@given(attributes=st.dictionaries(members, scalars, max_size=8), refs=references)
def test_rows_made_from_the_wire_are_the_general_paths_rows(
    native: bool, attributes: dict[str, Any], refs: dict[str, Any]
) -> None:
    maker = new_rows(SCHEMA.layout("Rows.Item"), ENUMS, native)
    assert maker is not None
    initial = maker.initial(_initial())
    try:
        expected = _general(native, attributes, refs)
    except Exception:  # refused (422, a refusal, or applied one by one): the maker refuses too
        with pytest.raises(Exception):  # noqa: B017
            maker.make("id-1", attributes, refs, initial, SEQ)
        return
    if "System.owner" in refs:  # the server sets the owner: a device may not
        with pytest.raises(Exception):  # noqa: B017
            maker.make("id-1", attributes, refs, initial, SEQ)
        return
    try:
        made = maker.make("id-1", attributes, refs, initial, SEQ)
    except Exception:
        # left to the general path: only a member the entity does not have
        assert "Unknown" in attributes
        return
    assert made == expected


def test_a_usual_new_object_is_made_straight_from_the_wire() -> None:
    maker = new_rows(SCHEMA.layout("Rows.Item"), ENUMS, False)
    assert maker is not None
    attributes = {"Name": "n", "Amount": "2.25", "Stamp": "2026-01-02T03:04:05.678Z",
                  "Rank": "High", "Active": False, "Count": 3, "Data": "aGVsbG8="}  # fmt: skip
    refs = {"Rows.Item_Tag": str(uuid.uuid4())}
    made = maker.make("id-1", attributes, refs, maker.initial(_initial()), SEQ)
    assert made == _general(False, attributes, refs)
    assert made[-1] == SEQ and USER in made


def test_entities_the_store_numbers_or_links_take_the_general_path() -> None:
    assert new_rows(SCHEMA.layout("Rows.Numbered"), ENUMS, False) is None
    assert new_rows(SCHEMA.layout("Rows.Bag"), ENUMS, False) is None


@pytest.mark.parametrize(
    "attributes",
    [
        {"Name": "x\x00y"},  # NUL: refused one by one, with its reason
        {"Name": "n", "Secret": "\x00"},
        {"Name": "n", "Unknown": [1]},  # no member value: 422
        {"Name": "n", "Amount": "NaN"},
        {"Name": "n", "Count": True},
        {"Name": "n", "Rank": "Mid"},
        {"Name": "far too long a name"},
        {"Note": "no name"},  # Name is required
    ],
)
def test_what_the_general_path_refuses_the_row_maker_refuses(attributes: dict[str, Any]) -> None:
    maker = new_rows(SCHEMA.layout("Rows.Item"), ENUMS, False)
    assert maker is not None
    with pytest.raises(Exception):  # noqa: B017
        _general(False, attributes, {})
    with pytest.raises(Exception):  # noqa: B017
        maker.make("id-1", attributes, {}, maker.initial(_initial()), SEQ)
