"""The store contract: commit with validation and change tracking, rollback, delete, files,
storage items and concurrent use, on every store backend (through a session and the store
interface); plus the device store's own layout (`device` fixture)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from store_backends import BACKENDS, Harness, open_store

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.store import CONTENTS
from nanoflow.runtime.store.fingerprint import describe, fingerprint
from nanoflow.runtime.values import EnumValue, MendixError, MxObject
from nanoflow.source import SourceFile

SOURCE = """
module Shop

enumeration Status { Open 'Open' Closed 'Closed' }

entity Customer with owner {
  Name: String(10) required
  Code: String
  Age: Integer
  Big: Long
  Limit: Decimal
  Vip: Boolean
  Since: DateTime
  Kind: Status
  Blob: Binary
  index (Name)
}

entity Order {
  Number: Long
  Total: Decimal
  Status: Status = Open
  PlacedAt: DateTime
  index (Status, PlacedAt)
}

entity SpecialOrder extends Order { Reason: String }

entity Tag { Name: String }

entity Photo extends System.Image { Caption: String }

association Order_Customer from Order to Customer
association Order_Tags from Order to many Tag
association Photo_Order from Photo to Order

offline {
  Customer: all
  Order: all
  Tag: all
  Photo: all
}
"""


@cache
def app() -> App:
    result = compile_sources([SourceFile("shop.nf", SOURCE)])
    assert result.app is not None, result.diagnostics
    return result.app


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_store(request.param, app(), tmp_path) as opened:
        yield opened


@pytest.fixture
async def device(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_store("device", app(), tmp_path) as opened:
        yield opened


def customer(id_: str = "c1", **values: Any) -> MxObject:
    return MxObject("Shop.Customer", id_, {"Name": "Ann", **values})


# ---- schema ------------------------------------------------------------------------------------


async def test_schema_follows_the_offline_profile(device: Harness) -> None:
    tables = {r[0] for r in device.sql("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "o:Shop.Customer",
        "o:Shop.Order",
        "o:Shop.Tag",
        "o:System.FileDocument",
        "r:Shop.Order_Tags",
        "nf_meta",
        "nf_deleted",
        "nf_files",
        "nf_items",
        "nf_cursors",
    } <= tables
    assert "o:System.User" not in tables

    def columns(table: str) -> list[tuple[Any, ...]]:
        return device.sql(f'SELECT name FROM pragma_table_info("{table}")')

    order = {r[0] for r in columns("o:Shop.Order")}
    assert {
        "id",
        "entity",
        "Shop.Order.Number",
        "Shop.SpecialOrder.Reason",
        "Shop.Order_Customer",
        "_origin",
        "_state",
        "_changed",
        "_version",
    } <= order
    photo = {r[0] for r in columns("o:System.FileDocument")}
    assert {
        "System.FileDocument.Name",
        "System.FileDocument.Size",
        "Shop.Photo.Caption",
        "Shop.Photo_Order",
    } <= photo
    assert "System.owner" in {r[0] for r in columns("o:Shop.Customer")}
    assert device.store.schema.layout("Shop.Order").family == ("Shop.Order", "Shop.SpecialOrder")


async def test_indexes_and_pragmas(device: Harness) -> None:
    indexes = {
        r[0]: r[1]
        for r in device.sql(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND name LIKE 'ix:%'"
        )
    }
    assert 'nf_lower("Shop.Customer.Name")' in indexes["ix:Shop.Customer:Name"]
    assert '"Shop.Order.Status", "Shop.Order.PlacedAt"' in indexes["ix:Shop.Order:Status,PlacedAt"]
    assert "ix:o:Shop.Order:Shop.Order_Customer" in indexes
    assert "ix:o:Shop.Order:entity" in indexes  # Order and SpecialOrder share the table
    assert "ix:o:Shop.Customer:entity" not in indexes
    assert "ix:r:Shop.Order_Tags" in indexes
    assert (device.sql("PRAGMA journal_mode"))[0][0] == "wal"


async def test_meta_holds_the_model_fingerprint(device: Harness) -> None:
    description = describe(app().names)
    assert await device.store.get_meta("fingerprint") == fingerprint(description)
    assert await device.store.get_meta("model") == json.loads(json.dumps(description))
    assert await device.store.get_meta("device_id") is None
    await device.store.set_meta("session", {"user": "u1", "roles": ["Shop.User"], "tz": "UTC"})
    assert (await device.store.get_meta("session"))["roles"] == ["Shop.User"]


# ---- commit ------------------------------------------------------------------------------------


async def test_commit_writes_typed_values(store: Harness) -> None:
    since = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    obj = customer(
        Code="x",
        Age=-(2**31),
        Big=-(2**63),
        Limit=Decimal("-12345678901234567890.12345678"),
        Vip=True,
        Since=since,
        Kind=EnumValue.of("Shop.Status", "Closed"),
        Blob=b"\x00\x01",
    )
    obj["System.owner"] = "u1"
    await store.commit([obj])
    assert obj.new is False
    assert obj.committed == obj.values
    before = dict(obj.values)
    obj["Name"] = "Changed later"  # the committed snapshot is copied on the first change
    assert obj.committed == before and obj["Name"] == "Changed later"
    obj["Name"] = before["Name"]
    row = await store.get("Shop.Customer", "c1")
    assert row == {"$id": "c1", "$entity": "Shop.Customer", **obj.values}


async def test_commit_a_list_and_specializations(store: Harness) -> None:
    objs = [MxObject("Shop.Order", f"o{i}", {"Number": i}) for i in range(5)]
    objs.append(MxObject("Shop.SpecialOrder", "s1", {"Number": 9, "Reason": "r"}))
    objs.append(customer())
    await store.commit(objs)
    assert await store.count("Shop.Order") == 6
    assert await store.count("Shop.SpecialOrder") == 1
    assert await store.count("Shop.Customer") == 1


async def test_commit_of_many_objects(device: Harness) -> None:
    objs = [
        MxObject("Shop.Order", values={"Number": i, "Total": Decimal(i) / 8}) for i in range(10_000)
    ]
    await device.commit(objs)
    assert await device.count("Shop.Order") == 10_000
    pending = await device.store.pending_changes()
    assert {p["state"] for p in pending} == {"new"}
    assert pending[0]["changed"] == ["Number", "Total"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Name": None}, "Shop.Customer: Name is required"),
        ({"Name": ""}, "Shop.Customer: Name is required"),
        ({"Name": "x" * 11}, "Shop.Customer: Name is longer than 10 characters"),
        ({"Age": 2**31}, "Shop.Customer: Age: 2147483648 is outside the range of Integer"),
        ({"Big": 2**63}, "Shop.Customer: Big: 9223372036854775808 is outside the range of Long"),
        ({"Limit": Decimal("1E+20")}, "Shop.Customer: Limit: 1E+20 has more than 20 digits"),
        ({"Limit": 1.5}, "Shop.Customer: Limit cannot hold a value of type float"),
        ({"Age": "7"}, "Shop.Customer: Age cannot hold a value of type String"),
        ({"Age": True}, "Shop.Customer: Age cannot hold a value of type Boolean"),
        ({"Vip": 1}, "Shop.Customer: Vip cannot hold a value of type Integer"),
        ({"Since": "2020"}, "Shop.Customer: Since cannot hold a value of type String"),
        ({"Kind": "Nope"}, "Shop.Customer: Kind: `Nope` is not a value of Shop.Status"),
        ({"Kind": EnumValue.of("Other.E", "Open")}, "Shop.Customer: Kind cannot hold"),
        ({"Code": 5}, "Shop.Customer: Code cannot hold a value of type Integer"),
        ({"System.owner": 5}, "Shop.Customer: System.owner cannot hold a value of type Integer"),
    ],
)
async def test_validation_failure_writes_nothing(
    store: Harness, values: dict[str, Any], message: str
) -> None:
    good = customer("c0")
    bad = customer("c1", **values)
    order = MxObject("Shop.Order", "o1", {"Number": 1})
    with pytest.raises(MendixError, match=message.replace("+", r"\+")):
        await store.commit([good, order, bad])
    assert await store.count("Shop.Customer") == 0
    assert await store.count("Shop.Order") == 0
    assert good.committed is None and good.new


async def test_reference_set_values_are_validated(store: Harness) -> None:
    order = MxObject("Shop.Order", "o1", {"Shop.Order_Tags": "t1"})
    with pytest.raises(MendixError, match="must hold a list of objects"):
        await store.commit([order])


async def test_commit_is_one_transaction(device: Harness) -> None:
    """A database failure on the second table of a commit leaves nothing of the first."""
    device.sql(
        'CREATE TRIGGER refuse BEFORE INSERT ON "o:Shop.Order" '
        "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
    )
    with pytest.raises(Exception, match="refused by trigger"):
        await device.commit([customer(), MxObject("Shop.Order", "o1", {})])
    device.sql("DROP TRIGGER refuse")
    assert await device.count("Shop.Customer") == 0
    await device.commit([customer()])  # the store is usable afterwards
    assert await device.count("Shop.Customer") == 1


async def test_change_tracking(device: Harness) -> None:
    obj = customer(Code="a", Age=1)
    await device.commit([obj])
    [pending] = await device.store.pending_changes()
    assert pending["state"] == "new" and pending["origin"] == "device"
    assert pending["changed"] == ["Age", "Code", "Name"]
    obj["Code"] = "b"
    await device.commit([obj])
    [pending] = await device.store.pending_changes()
    assert pending["state"] == "new"

    device.mark_synced()
    assert await device.store.pending_changes() == []
    await device.commit([obj])  # nothing changed: stays synced
    assert await device.store.pending_changes() == []
    obj["Age"] = 2
    await device.commit([obj])
    [pending] = await device.store.pending_changes()
    assert (pending["state"], pending["origin"], pending["changed"]) == (
        "changed",
        "server",
        ["Age"],
    )
    assert pending["values"]["Age"] == 2
    obj["Code"] = "c"
    obj["System.owner"] = "u9"
    await device.commit([obj])
    [pending] = await device.store.pending_changes()
    assert pending["changed"] == ["Age", "Code", "System.owner"]


async def test_reference_set_changes_are_tracked(device: Harness) -> None:
    tags = [MxObject("Shop.Tag", f"t{i}", {"Name": str(i)}) for i in range(3)]
    order = MxObject("Shop.Order", "o1", {"Number": 1, "Shop.Order_Tags": ("t0", "t1")})
    await device.commit([*tags, order])
    device.mark_synced("o:Shop.Order")
    order["Shop.Order_Tags"] = ("t1", "t0")  # same set
    await device.commit([order])
    assert [p for p in await device.store.pending_changes() if p["$id"] == "o1"] == []
    order["Shop.Order_Tags"] = (tags[2],)  # objects are stored by id
    await device.commit([order])
    row = await device.get(None, "o1")
    assert row is not None and row["Shop.Order_Tags"] == ("t2",)
    changes = [p for p in await device.store.pending_changes() if p["$id"] == "o1"]
    assert changes[0]["changed"] == ["Shop.Order_Tags"]


async def test_committed_is_a_snapshot(store: Harness) -> None:
    obj = customer()
    await store.commit([obj])
    obj["Name"] = "Bea"
    assert obj.committed is not None and obj.committed["Name"] == "Ann"
    assert obj.changed_members == {"Name"}


# ---- rollback ----------------------------------------------------------------------------------


async def test_rollback_restores_the_committed_values(store: Harness) -> None:
    obj = customer(Age=3)
    await store.commit([obj])
    obj["Name"] = "Changed"
    obj["Age"] = None
    await store.rollback(obj)
    assert obj.values["Name"] == "Ann" and obj.values["Age"] == 3
    assert obj.changed_members == set()
    fresh = customer("c9", Name="New")
    await store.rollback(fresh)
    assert fresh.values == {"Name": "New"} and fresh.committed is None


# ---- delete ------------------------------------------------------------------------------------


async def test_delete_of_device_objects_removes_them(device: Harness) -> None:
    obj = customer()
    await device.commit([obj])
    await device.delete([obj])
    assert await device.get(None, "c1") is None
    assert await device.store.pending_changes() == []
    assert device.sql("SELECT count(*) FROM nf_deleted") == [(0,)]


async def test_delete_of_server_objects_is_pending(device: Harness) -> None:
    objs = [customer("c1"), customer("c2")]
    await device.commit(objs)
    device.mark_synced()
    await device.delete(objs[:1])
    assert await device.get(None, "c1") is None
    assert await device.count("Shop.Customer") == 1
    [pending] = await device.store.pending_changes()
    assert (pending["$id"], pending["$entity"], pending["state"]) == (
        "c1",
        "Shop.Customer",
        "deleted",
    )
    [(data,)] = device.sql("SELECT data FROM nf_deleted")
    assert json.loads(data)["Shop.Customer.Name"] == "Ann"


async def test_delete_clears_references_and_set_entries(device: Harness) -> None:
    c1, tag = customer(), MxObject("Shop.Tag", "t1", {"Name": "x"})
    order = MxObject("Shop.Order", "o1", {"Shop.Order_Customer": "c1", "Shop.Order_Tags": ("t1",)})
    owner = MxObject("Shop.Order", "o2", {"Shop.Order_Tags": ("t1",)})
    await device.commit([c1, tag, order, owner])
    await device.delete([c1, tag, owner])
    row = await device.get(None, "o1")
    assert row is not None
    assert row["Shop.Order_Customer"] is None and row["Shop.Order_Tags"] == ()
    assert device.sql('SELECT count(*) FROM "r:Shop.Order_Tags"') == [(0,)]


async def test_delete_of_uncommitted_objects_does_nothing(device: Harness) -> None:
    await device.delete([customer()])
    assert await device.store.pending_changes() == []


# ---- files and storage items -------------------------------------------------------------------


async def test_files(device: Harness) -> None:
    photo = MxObject("Shop.Photo", "p1", {"Name": "a.png", "HasContents": True, "Size": 3})
    await device.commit([photo])
    assert await device.store.read_file("p1") is None
    await device.store.write_file("p1", b"abc")
    assert await device.store.read_file("p1") == b"abc"
    device.mark_synced("o:System.FileDocument")
    await device.store.write_file("p1", b"xyz")
    [pending] = await device.store.pending_changes()
    assert pending["state"] == "changed" and pending["changed"] == [CONTENTS]
    device.sql("UPDATE \"o:System.FileDocument\" SET _state = 'new'")
    await device.delete([photo])
    assert await device.store.read_file("p1") is None


async def test_storage_items(device: Harness) -> None:
    assert await device.store.get_item("k") is None
    await device.store.set_item("k", "v1")
    await device.store.set_item("k", "v2")
    assert await device.store.get_item("k") == "v2"
    await device.store.remove_item("k")
    assert await device.store.get_item("k") is None
    await device.store.remove_item("missing")


# ---- concurrency -------------------------------------------------------------------------------


async def test_concurrent_commits_are_whole(device: Harness) -> None:
    """Each commit writes one customer and one order; readers always see equal counts."""
    seen: list[tuple[int, int]] = []

    async def writer(n: int) -> None:
        for i in range(20):
            key = f"{n}-{i}"
            await device.commit(
                [
                    customer(f"c{key}"),
                    MxObject("Shop.Order", f"o{key}", {"Shop.Order_Customer": f"c{key}"}),
                ]
            )
            await asyncio.sleep(0)

    async def reader() -> None:
        for _ in range(40):
            orders = await device.count("Shop.Order")
            customers = await device.count("Shop.Customer")
            seen.append((orders, customers))

    async def other_work() -> None:
        for _ in range(10):
            await asyncio.sleep(0)
            await device.store.set_item("x", "y")
            await device.store.remove_item("x")

    await asyncio.gather(*(writer(n) for n in range(6)), reader(), reader(), other_work())
    assert await device.count("Shop.Order") == 120
    assert await device.count("Shop.Customer") == 120
    assert all(0 <= o <= 120 for o, _ in seen)

    # a reader's two queries are separate units of work, but never see half a commit
    def both() -> tuple[int, int]:
        rows = device.sql(
            'SELECT (SELECT count(*) FROM "o:Shop.Order"), '
            '(SELECT count(*) FROM "o:Shop.Customer")',
        )
        return rows[0][0], rows[0][1]

    assert both() == (120, 120)


async def test_reads_never_see_an_open_transaction(device: Harness) -> None:
    """A read waits for a running unit of work: here a commit of many orders that fails at
    its last row, with readers running while its transaction is open."""
    device.sql(
        'CREATE TRIGGER refuse BEFORE INSERT ON "o:Shop.Order" '
        "WHEN NEW.\"Shop.Order.Number\" = 19999 BEGIN SELECT RAISE(ABORT, 'cut off'); END"
    )
    orders = [MxObject("Shop.Order", values={"Number": i}) for i in range(20_000)]
    seen: list[int] = []
    task = asyncio.create_task(device.commit([customer("c1"), *orders]))

    async def reader() -> None:
        while not task.done():
            seen.append(await device.count("Shop.Customer"))
            await asyncio.sleep(0)

    await asyncio.gather(reader(), reader())
    with pytest.raises(Exception, match="cut off"):
        await task
    assert set(seen) <= {0}
    assert await device.count("Shop.Order") == 0


# ---- ordering of stored values -----------------------------------------------------------------


async def test_decimal_order_and_comparisons_in_sql(store: Harness) -> None:
    import random

    rng = random.Random(7)
    values = [Decimal(rng.randint(-(10**28) + 1, 10**28 - 1)).scaleb(-8) for _ in range(150)]
    values += [Decimal(0), Decimal("-0.00000001"), Decimal("0.00000001"), Decimal(-1), Decimal(1)]
    objs = [MxObject("Shop.Order", f"o{i:03}", {"Total": v}) for i, v in enumerate(values)]
    await store.commit(objs)
    rows = await store.retrieve("Shop.Order", (("Total", False),))
    assert [r["Total"] for r in rows] == sorted(values)
    rows = await store.retrieve("Shop.Order", (("Total", True),), 10, 5)
    assert [r["Total"] for r in rows] == sorted(values, reverse=True)[5:15]


async def test_strings_sort_and_compare_ignoring_case(store: Harness) -> None:
    names = ["ÄBC", "äbd", "Abc", "abd", "Zed", "éclair", "Éclat", "b"]
    await store.commit([MxObject("Shop.Tag", f"t{i}", {"Name": n}) for i, n in enumerate(names)])
    rows = await store.retrieve("Shop.Tag", (("Name", False),))
    got = [r["Name"] for r in rows]
    assert got == sorted(names, key=lambda n: (n.lower(), f"t{names.index(n)}"))
