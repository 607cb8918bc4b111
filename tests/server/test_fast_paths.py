"""The server's fast paths give exactly what the one-by-one paths give: a batched upload (new
objects checked and written together) against the same upload applied object by object, and a
download page built by the generated row functions against the decoded one. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from server_support import server_url
from sqlalchemy import text
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.store import codec
from nanoflow.runtime.wire import to_wire
from nanoflow.server import downloads, uploads, wire_values
from nanoflow.server.urls import DatabaseTarget, resolve
from nanoflow.source import SourceFile

SOURCE = """
module Fast
role Member
enumeration Grade {
  Low 'Low'
  High 'High'
}
entity Base with owner {
  Name: String(20) required
  Code: String unique
  Amount: Decimal
  Stamp: DateTime
  Rank: Grade
  Active: Boolean
  Big: Long
  Number: AutoNumber
}
entity Special extends Base { Extra: String }
entity Tag { Label: String }
entity Bag { Title: String }
entity Checked { Note: String  on before commit BCo_Checked }
entity Limited with owner { Visible: String  Hidden: String  Code: Integer }
entity Mine with owner { Note: String }
association Base_Tag from Base to Tag
association Bag_Tags from Bag to many Tag
access Base for Member { create, delete, read *, write * }
access Special for Member { create, delete, read *, write * }
access Tag for Member { create, delete, read *, write * }
access Bag for Member { create, read *, write * }
access Checked for Member { create, read *, write * }
access Limited for Member { create, read (Visible), write (Visible, Code) }
access Mine for Member { create, read *, write * where [System.owner = '[%CurrentUser%]'] }
offline {
  Base: all
  Special: all
  Tag: all
  Bag: all
  Checked: all
  Limited: all
  Mine: all
}
microflow BCo_Checked($c: Checked) returns Boolean {
  change $c (Note = $c/Note + '!')
  return true
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("fast.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@pytest.fixture
async def second(target: DatabaseTarget, tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    """Another empty database of the same kind as `target`."""
    async with server_url(
        "sqlite" if target.is_sqlite else "postgresql", tmp_path, "second"
    ) as url:
        yield resolve(url, tmp_path)


def _ids() -> dict[str, str]:
    return {
        name: str(uuid.uuid4())
        for name in ("T1", "T2", "T3", "T9", "B1", "B2", "B3", "B4", "B5", "B6", "S1", "C1",
                     "G1", "G2", "X1", "M1", "T5", "L1", "L2", "O1", "O2")
    }  # fmt: skip


def _upload(ids: dict[str, str], device_id: str, sequence: int) -> dict[str, Any]:
    """Batchable runs broken by refusals, failed validations, a unique clash, a handler, a
    change and an unknown entity: each must end as it does when applied one by one."""

    def new(key: str, entity: str, **attributes: Any) -> dict[str, Any]:
        return {"id": ids[key], "entity": entity, "kind": "new", "attributes": attributes}

    b1 = new("B1", "Fast.Base", Name="b1", Code="c1", Amount="12.50",
             Stamp="2026-01-02T03:04:05.678Z", Rank="High", Active=True, Big=2**40)  # fmt: skip
    b1["references"] = {"Fast.Base_Tag": ids["T1"]}
    b2 = new("B2", "Fast.Base", Name="b2")
    b2["references"] = {"Fast.Base_Tag": ids["T9"]}  # T9 comes later: dangling
    g1 = new("G1", "Fast.Bag", Title="g1")
    g1["reference_sets"] = {"Fast.Bag_Tags": {"added": [ids["T1"], ids["T9"]]}}
    g2 = new("G2", "Fast.Bag", Title="g2")
    g2["reference_sets"] = {"Fast.Bag_Tags": {"added": [ids["T1"], ids["M1"]]}}
    objects = [
        # a run that is written as one batch, except the changes its checks send one by one
        new("T1", "Fast.Tag", Label="t1"),
        b1,  # refers to T1, created just before it in the same batch
        b2,  # refused: dangling
        new("T9", "Fast.Tag", Label="t9"),
        g1,
        new("S1", "Fast.Special", Name="s1", Extra="x", Code="c2", Amount="-0.00000001"),
        # states of a batch: some members readable; a rule with an XPath (read back)
        new("L1", "Fast.Limited", Visible="v1", Code=1),
        new("L2", "Fast.Limited", Visible="v2"),
        new("O1", "Fast.Mine", Note="o1"),
        new("O2", "Fast.Mine"),
        new("B1", "Fast.Base", Name="again"),  # refused: a used id
        new("T3", "Fast.Tag"),
        new("T3", "Fast.Tag", Label="twice in one upload"),  # refused: a used id
        g2,  # refused: dangling
        new("B5", "Fast.Base", Name="b5", Amount="0"),
        new("T5", "Fast.Tag", Label="t5"),
        {"id": ids["T5"], "entity": "Fast.Tag", "kind": "deleted"},  # one by one
        new("T5", "Fast.Tag", Label="back"),  # refused: the id existed
        new("T2", "Fast.Tag", Label="t2"),
        new("C1", "Fast.Checked", Note="n"),  # a handler: one by one
        # a run the database refuses as a batch: applied again one by one
        new("B3", "Fast.Base", Name="far too long for twenty"),
        new("B4", "Fast.Base", Name="b4", Code="C1"),  # unique regardless of case
        new("B6", "Fast.Base", Code="c6"),  # Name is required
        new("X1", "Fast.Nope", Name="x"),
        {"id": ids["B1"], "entity": "Fast.Base", "kind": "changed", "attributes": {"Big": 7}},
    ]
    return {"device_id": device_id, "sequence": sequence, "objects": objects}


def _changes(ids: dict[str, str], device_id: str, sequence: int) -> dict[str, Any]:
    """Runs of changes of existing objects, broken by refusals, a twice-changed object, a gone
    one, a deletion, a reference-set change, a handler, a unique clash and a failed validation:
    each must end as it does when applied one by one."""

    def changed(key: str, entity: str, **attributes: Any) -> dict[str, Any]:
        return {"id": ids[key], "entity": entity, "kind": "changed", "attributes": attributes}

    b2 = changed("B2", "Fast.Base")
    b2["references"] = {"Fast.Base_Tag": ids["T3"]}
    dangling = changed("B1", "Fast.Base")
    dangling["references"] = {"Fast.Base_Tag": ids["M1"]}  # never uploaded
    g1 = changed("G1", "Fast.Bag")
    g1["reference_sets"] = {"Fast.Bag_Tags": {"added": [ids["T2"]], "removed": [ids["T1"]]}}
    objects = [
        # a run written as one, except the changes its checks send one by one
        changed("T1", "Fast.Tag", Label="t1 again"),
        changed("T2", "Fast.Tag", Label="t2 again"),
        changed("B5", "Fast.Base", Amount="3.5", Stamp="2026-05-06T07:08:09.010Z"),
        changed("L1", "Fast.Limited", Visible="v1 again", Code=5),
        changed("L2", "Fast.Limited", Hidden="h"),  # refused: not writable
        changed("O1", "Fast.Mine", Note="o1 again"),  # a rule with an XPath
        changed("G1", "Fast.Bag", Title="g1 again"),  # a reference set, left alone
        changed("B1", "Fast.Base", Name="b1"),  # the value it has
        changed("S1", "Fast.Special", Extra="y"),
        changed("S1", "Fast.Base", Name="s1 as a Base"),  # sent as its generalization
        changed("T5", "Fast.Tag", Label="gone"),  # refused: deleted
        changed("T2", "Fast.Tag", Label="t2 twice"),  # a second change of one object
        changed("X1", "Fast.Tag", Label="never was"),  # refused: no such object
        b2,
        dangling,  # refused: the reference points nowhere
        {"id": ids["T9"], "entity": "Fast.Tag", "kind": "deleted"},
        # a run the database refuses (a unique clash): applied one by one
        changed("B5", "Fast.Base", Code="C1"),
        changed("T1", "Fast.Tag", Label="t1 third"),
        g1,  # a reference-set change: on its own
        # a run whose validation fails: applied one by one
        changed("B1", "Fast.Base", Name="far too long for twenty"),
        changed("T2", "Fast.Tag", Label="t2 third"),
        changed("C1", "Fast.Checked", Note="m"),  # a handler: on its own
        changed("T3", "Fast.Tag", Label="t3"),
    ]
    return {"device_id": device_id, "sequence": sequence, "objects": objects}


async def _apply(app: App, target: DatabaseTarget, ids: dict[str, str]) -> dict[str, Any]:
    """Upload through the endpoint; the answers, the stored rows and the failures, with the
    user's and device's ids and failure ids replaced by placeholders."""
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw-1", ["Fast.Member"])
        async with server.client() as client:
            login = (
                await client.post("/api/v1/login", json={"user": "ann", "password": "ann-pw-1"})
            ).json()
            headers = {"Authorization": f"Bearer {login['token']}"}
            answers = []
            for sequence in (1, 2, 3):  # the second finds every id used
                make = _changes if sequence == 3 else _upload
                answer = await client.post(
                    "/api/v1/upload",
                    json=make(ids, login["device_id"], sequence),
                    headers=headers,
                )
                assert answer.status_code == 200, answer.text
                answers.append(answer.json())
            pages = {}
            for entity in ("Fast.Base", "Fast.Tag", "Fast.Bag", "Fast.Checked", "Fast.Limited",
                           "Fast.Mine"):  # fmt: skip
                page = await client.get(f"/api/v1/download/{entity}", headers=headers)
                assert page.status_code == 200, page.text
                pages[entity] = {k: v for k, v in page.json().items() if k != "cursor"}
        tables: dict[str, list[Any]] = {}
        async with server.db.read() as conn:
            for table in server.db.schema.tables.values():
                if table.sql == '"o:System.SynchronizationFailure"':
                    continue
                rows = await conn.execute(text(f"SELECT * FROM {table.sql} ORDER BY id"))
                tables[table.sql] = [[str(v) for v in r] for r in rows.all()]
            failures = await conn.execute(
                text(
                    'SELECT "System.SynchronizationFailure.ObjectId", '
                    '"System.SynchronizationFailure.Reason", '
                    '"System.SynchronizationFailure.ObjectContent" '
                    'FROM "o:System.SynchronizationFailure" ORDER BY 1, 2'
                )
            )
            failed = [list(r) for r in failures.all()]
        found = json.dumps(
            {"answers": answers, "pages": pages, "tables": tables, "failures": failed}
        )
        found = found.replace(login["user_id"], "<user>").replace(login["device_id"], "<device>")
        for n, failure_id in enumerate(
            o["failure_id"] for a in answers for o in a["outcomes"] if o["failure_id"]
        ):
            found = found.replace(failure_id, f"<failure {n}>")
        result: dict[str, Any] = json.loads(found)
        return result


async def test_a_batched_upload_ends_as_one_applied_object_by_object(
    app: App,
    target: DatabaseTarget,
    second: DatabaseTarget,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _ids()
    batched = await _apply(app, target, ids)
    monkeypatch.setattr(uploads.Uploads, "_batchable", lambda self, access, item, rights: False)
    one_by_one = await _apply(app, second, ids)
    outcomes = {o["id"]: o for o in batched["answers"][0]["outcomes"]}
    assert outcomes[ids["B1"]]["state"]["references"]["Fast.Base_Tag"] == ids["T1"]
    assert outcomes[ids["B2"]]["status"] == "failed"  # dangling: T9 came later
    assert outcomes[ids["G1"]]["state"]["reference_sets"]["Fast.Bag_Tags"] == sorted(
        [ids["T1"], ids["T9"]]
    )
    assert outcomes[ids["S1"]]["state"]["attributes"]["Amount"] == "-0.00000001"
    assert "unique" in outcomes[ids["B4"]]["reason"]
    assert outcomes[ids["L1"]]["state"]["attributes"] == {"Visible": "v1", "Code": 1}
    assert outcomes[ids["L1"]]["state"]["references"] == {}
    assert outcomes[ids["O1"]]["state"]["references"]["System.owner"] == "<user>"
    again = {o["id"]: o["status"] for o in batched["answers"][1]["outcomes"]}
    applied = sorted(k for k, i in ids.items() if again.get(i) == "applied")
    assert applied == ["B1", "B2"]  # the change, and B2 now that T9 exists
    changes = {o["id"]: o for o in batched["answers"][2]["outcomes"]}
    assert changes[ids["L1"]]["state"]["attributes"] == {"Visible": "v1 again", "Code": 5}
    assert changes[ids["B5"]]["state"]["attributes"]["Amount"] == "3.50000000"
    refused = sorted(k for k, i in ids.items() if changes.get(i, {}).get("status") == "failed")
    assert refused == ["B1", "B5", "L2", "T5", "X1"], refused  # B1 twice, B5 unique
    assert batched["failures"] == one_by_one["failures"]
    assert batched == one_by_one


async def test_generated_download_rows_equal_decoded_ones(
    app: App, target: DatabaseTarget, second: DatabaseTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids()
    fast = await _apply(app, target, ids)
    monkeypatch.setattr(downloads.Downloads, "generated", False)
    decoded = await _apply(app, second, ids)
    assert fast["pages"]["Fast.Base"]["rows"]  # Base, Special: generated rows
    assert fast["pages"]["Fast.Bag"]["rows"]  # a reference set
    assert fast["pages"] == decoded["pages"]


@given(st.integers(min_value=-62135596800000, max_value=253402300799999))
def test_stored_date_times_become_wire_text_as_decoded(ms: int) -> None:
    assert wire_values.wire_datetime(ms) == to_wire("DateTime", codec.decode_datetime(ms))


@given(
    st.decimals(
        min_value=Decimal("-99999999999999999999.99999999"),
        max_value=Decimal("99999999999999999999.99999999"),
        places=8,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_stored_decimals_become_wire_text_as_decoded(value: Decimal) -> None:
    stored = codec.encode_decimal_strict(value)
    assert wire_values.wire_decimal(stored) == to_wire("Decimal", codec.decode_decimal(stored))


@given(
    st.one_of(st.none(), st.integers(min_value=-62135596800000, max_value=253402300799999)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.decimals(min_value=-(10**6), max_value=10**6, places=8)),
)
def test_generated_state_attributes_are_the_decoded_values_on_the_wire(
    app: App, ms: int | None, flag: bool | None, amount: Decimal | None
) -> None:
    """The states' generated readers (`wire_values.attribute_reader`, date-times and Booleans
    inlined) against decoding each stored value and `to_wire`."""
    from nanoflow.server.database import server_schema

    layout = server_schema(app).layout("Fast.Base")
    members = [(m, layout.attributes[m]) for m in ("Stamp", "Active", "Amount")]
    row: list[Any] = [None] * (len(layout.table.columns) + 2)
    stored = {
        "Stamp": ms,
        "Active": None if flag is None else int(flag),
        "Amount": None if amount is None else codec.encode_decimal_strict(amount),
    }
    for member, column in members:
        row[layout.table.position(column.name)] = stored[member]
    read = wire_values.attribute_reader(layout, members, native=False)
    expected = {
        m: None if stored[m] is None else to_wire(c.kind, codec.decoder(c.kind, None)(stored[m]))
        for m, c in members
    }
    assert read(row) == expected
