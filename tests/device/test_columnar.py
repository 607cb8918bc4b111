"""The download fast path (`columnar.store_rows`, `sync.apply_rows`) against the general path
(`columnar.server_objects` then `sync.apply_page`): over generated pages — nulls, Decimals and
date-times of every shape, wrong types, references, reference sets, specializations, unknown
columns, removals, objects with local changes — both leave identical stores, or both refuse
the page and leave the store as it was."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from nanoflow.compiler import App, compile_sources
from nanoflow.protocol.wire import format_datetime
from nanoflow.runtime.store import DeviceStore, sync
from nanoflow.runtime.store.columnar import (
    BAD,
    WireRows,
    fast_datetime,
    fast_decimal,
    server_objects,
    store_rows,
)
from nanoflow.runtime.store.rows import make_builder
from nanoflow.runtime.values import MendixError
from nanoflow.runtime.wire import WireError, from_wire
from nanoflow.source import SourceFile

SOURCE = """
module Lab
enumeration Level {
  Low 'Low'
  High 'High'
}
entity Sample {
  Name: String(20)
  Count: Integer
  Big: Long
  Amount: Decimal
  Done: Boolean
  At: DateTime
  Level: Level
  Blob: Binary
}
entity Special extends Sample { Extra: String  Score: Decimal }
entity Tag { Name: String }
association Sample_Tag from Sample to Tag
association Sample_Tags from Sample to many Tag
offline {
  Sample: all
  Tag: all
}
"""

COLUMNS = {
    "Lab.Sample.Name": "String",
    "Lab.Sample.Count": "Integer",
    "Lab.Sample.Big": "Long",
    "Lab.Sample.Amount": "Decimal",
    "Lab.Sample.Done": "Boolean",
    "Lab.Sample.At": "DateTime",
    "Lab.Sample.Level": "Enum",
    "Lab.Sample.Blob": "Binary",
    "Lab.Special.Extra": "String",
    "Lab.Special.Score": "Decimal",
    "Lab.Sample_Tag": "Ref",
    "Lab.Sample_Tags": "RefSet",
    "Lab.Sample.Ghost": "String",  # a member this device's model does not know
}
IDS = [f"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a{n:02x}" for n in range(12)]
TAGS = [f"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b{n:02x}" for n in range(4)]


@cache
def app() -> App:
    result = compile_sources([SourceFile("lab.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


# ---- wire values of every shape ---------------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
WRONG = st.one_of(st.integers(-3, 3), st.booleans(), st.floats(allow_nan=False), st.just([]))
DECIMALS = st.decimals(
    min_value=Decimal("-1e21"), max_value=Decimal("1e21"), allow_nan=False, allow_infinity=False
).map(lambda d: format(d, "f"))
ODD_DECIMALS = st.sampled_from(
    ["1e3", "-1E-9", " 1.5", "+2", "1_000", "5.", ".5", "-0", "-0.00", "00012.50000000",
     "0.000000005", "0.000000015", "99999999999999999999.99999999", "100000000000000000000",
     "-99999999999999999999.999999995", "NaN", "Infinity", "", "١٢", "abc"]
)  # fmt: skip
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))])
ODD_MOMENTS = st.one_of(
    st.tuples(MOMENTS, OFFSETS).map(lambda p: p[0].replace(tzinfo=p[1]).isoformat()),
    MOMENTS.map(lambda d: d.isoformat()),  # no time zone
    st.sampled_from(["2024-05-01", "2024-05-01T25:00:00Z", "yesterday", ""]),
)

GOOD: dict[str, st.SearchStrategy[Any]] = {
    "String": st.text(max_size=25),
    "Integer": st.integers(-(2**31), 2**31 - 1),
    "Long": st.integers(-(2**63), 2**63 - 1),
    "Decimal": st.one_of(DECIMALS, DECIMALS.map(lambda t: t if "." in t else t + ".5")),
    "Boolean": st.booleans(),
    "DateTime": MOMENTS.map(lambda d: format_datetime(d.replace(tzinfo=UTC))),
    "Enum": st.sampled_from(["Low", "High"]),
    "Binary": st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode()),
    "Ref": st.sampled_from(TAGS),
    "RefSet": st.lists(st.sampled_from(TAGS), max_size=4),
}
ODD: dict[str, st.SearchStrategy[Any]] = {
    "String": WRONG,
    "Integer": st.one_of(st.sampled_from([2**31, -(2**31) - 1, "7"]), WRONG),
    "Long": st.one_of(st.sampled_from([2**63, -(2**63) - 1]), WRONG),
    "Decimal": st.one_of(ODD_DECIMALS, st.integers(-(10**22), 10**22), WRONG),
    "Boolean": st.one_of(st.integers(0, 1), st.just("true")),
    "DateTime": st.one_of(ODD_MOMENTS, WRONG),
    "Enum": st.one_of(st.just("Medium"), WRONG),
    "Binary": st.one_of(st.just("!!"), WRONG),
    "Ref": WRONG,
    "RefSet": st.one_of(st.just([1]), WRONG),
}


def _value(kind: str) -> st.SearchStrategy[Any]:
    """Mostly good values (the fast path), some nulls, a few odd ones (which the general path
    converts or refuses)."""
    return st.integers(0, 19).flatmap(
        lambda n: st.none() if n < 2 else ODD[kind] if n == 2 else GOOD[kind]
    )


@st.composite
def pages(draw: st.DrawFn) -> tuple[WireRows, list[str]]:
    """A page as a server might send it (each object once), with values of every shape."""
    columns = draw(st.lists(st.sampled_from(sorted(COLUMNS)), unique=True, max_size=len(COLUMNS)))
    rows = []
    for object_id in draw(st.lists(st.sampled_from(IDS), max_size=8, unique=True)):
        entity = draw(st.sampled_from(["Lab.Sample"] * 10 + ["Lab.Special"] * 9 + ["Lab.Tag"]))
        odd_version = draw(st.integers(0, 19)) == 0
        odd = st.sampled_from([True, "1", None, -1, 2**63])
        version: Any = draw(odd if odd_version else st.integers(0, 2**63 - 1))
        row = [object_id, entity, version]
        row += [draw(_value(COLUMNS[c])) for c in columns]
        if draw(st.integers(0, 40)) == 0:
            row = row[:-1] if draw(st.booleans()) else [*row, None]  # a row of the wrong width
        rows.append(row)
    removed = draw(st.lists(st.sampled_from(IDS), max_size=3, unique=True))
    return WireRows("Lab.Sample", columns, rows), removed


# ---- the two paths ----------------------------------------------------------------------------


async def _prepared(path: Path) -> DeviceStore:
    """A store holding some objects from the server, one of them changed on the device and one
    deleted there (pending: both paths must leave them alone)."""
    store = await DeviceStore.open(path, app())
    first = WireRows(
        "Lab.Sample",
        ["Lab.Sample.Name", "Lab.Sample.Count", "Lab.Sample_Tags"],
        [[i, "Lab.Sample", 1, f"n{n}", n, TAGS[:2]] for n, i in enumerate(IDS[:6])],
    )
    await sync.apply_page(store, server_objects(store, first), [])
    db = store._db()
    await db.execute("""UPDATE "o:Lab.Sample" SET _state = 'changed' WHERE id = ?""", (IDS[1],))
    await db.execute("""DELETE FROM "o:Lab.Sample" WHERE id = ?""", (IDS[2],))
    await db.execute(
        "INSERT INTO nf_deleted (id, entity, version, data) VALUES (?, 'Lab.Sample', 1, '{}')",
        (IDS[2],),
    )
    return store


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}
    finally:
        conn.close()


async def _general(store: DeviceStore, page: WireRows, removed: list[str]) -> str | None:
    try:
        objects = server_objects(store, page)
        await sync.apply_page(store, objects, removed, ("Lab.Sample", "c1"))
    except (WireError, MendixError) as error:
        return type(error).__name__
    return None


async def _fast(store: DeviceStore, page: WireRows, removed: list[str]) -> str | None:
    try:
        await sync.apply_rows(store, page, removed, ("Lab.Sample", "c1"))
    except (WireError, MendixError) as error:
        return type(error).__name__
    return None


async def _compare(pages_: list[tuple[WireRows, list[str]]], tmp: Path) -> None:
    general = await _prepared(tmp / "general.sqlite")
    fast = await _prepared(tmp / "fast.sqlite")
    try:
        for page, removed in pages_:
            refused = await _general(general, page, removed)
            assert (refused is None) == (await _fast(fast, page, removed) is None), page
    finally:
        await general.close()
        await fast.close()
    assert _dump(tmp / "fast.sqlite") == _dump(tmp / "general.sqlite")


@given(st.lists(pages(), min_size=1, max_size=3))
@example([(WireRows("Lab.Sample", ["Lab.Sample.Count"], [[IDS[1], "Lab.Sample", 0, 2**31]]), [])])
def test_fast_and_general_paths_give_identical_stores(
    pages_: list[tuple[WireRows, list[str]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_compare(pages_, Path(tmp)))


# ---- the fast path is taken -----------------------------------------------------------------


async def test_ordinary_rows_never_leave_the_fast_path(tmp_path: Path) -> None:
    """Rows as the server writes them convert without the general path (whose builder here
    fails), and come out as the general path stores them."""
    store = await DeviceStore.open(tmp_path / "d.sqlite", app())
    try:
        layout = store.schema.layout("Lab.Special")
        general = make_builder(layout, {"Lab.Level": frozenset({"Low", "High"})}, lenient=True)

        def refuse(*_args: Any) -> Any:
            raise AssertionError("the general path was taken")

        store._server_builders["Lab.Special"] = refuse
        columns = sorted(COLUMNS)
        row = {
            "Lab.Sample.Name": "pump", "Lab.Sample.Count": -3, "Lab.Sample.Big": 2**40,
            "Lab.Sample.Amount": "-12.50000000", "Lab.Sample.Done": True,
            "Lab.Sample.At": "1969-12-31T23:59:59.999Z", "Lab.Sample.Level": "High",
            "Lab.Sample.Blob": "AAE=", "Lab.Special.Extra": None,
            "Lab.Special.Score": "4802.16000000", "Lab.Sample_Tag": TAGS[0],
            "Lab.Sample_Tags": TAGS, "Lab.Sample.Ghost": "x",
        }  # fmt: skip
        wire = [IDS[0], "Lab.Special", 7, *(row[c] for c in columns)]
        page = WireRows("Lab.Sample", columns, [wire])
        [converted] = store_rows(store, page)
        values = {
            member: from_wire(kind, row[column], enum)
            for member, column, kind, enum in [
                (m, c.name, c.kind, c.enum) for m, c in layout.slots() if c.name in row
            ]
        }
        assert converted.rows == [general(IDS[0], values, 7)]
        assert converted.refsets == {"Lab.Sample_Tags": [(IDS[0], t) for t in TAGS]}
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", "P00000000000000000012.50000000"),
        ("0", "P00000000000000000000.00000000"),
        ("-0.00", "P00000000000000000000.00000000"),
        ("-12.5", "N99999999999999999987.50000000"),
        ("1e3", BAD),
        ("12.123456789", BAD),
        ("١٢", BAD),
        (12, BAD),
    ],
)
def test_fast_decimal(text: Any, expected: Any) -> None:
    assert fast_decimal(text) == expected


def test_fast_datetime() -> None:
    assert fast_datetime("1970-01-01T00:00:00.001Z") == 1
    assert fast_datetime("1969-12-31T23:59:59.999Z") == -1
    assert fast_datetime("2024-05-01T08:30:00.000+00:00") == 1714552200000
    assert fast_datetime("2024-05-01T10:30:00.000+02:00") is BAD  # the general path converts it
    assert fast_datetime("2024-05-01T08:30:00") is BAD
