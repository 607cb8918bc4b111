"""The device store's side of synchronization: outgoing changes, settling an upload, applying
downloaded pages; commits made while a synchronization runs are never settled or overwritten."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import pytest
from store_backends import Harness, open_store

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.store import sync
from nanoflow.runtime.store.sync import ServerObject, Settled
from nanoflow.runtime.values import MxObject
from nanoflow.source import SourceFile

SOURCE = """
module Shop
entity Customer { Name: String(10) required  Age: Integer }
entity Order { Number: Integer  Note: String }
entity Tag { Name: String }
association Order_Customer from Order to Customer
association Order_Tags from Order to many Tag
offline {
  Customer: all
  Order: all
  Tag: all
}
"""


@cache
def app() -> App:
    result = compile_sources([SourceFile("shop.nf", SOURCE)])
    assert result.app is not None, result.diagnostics
    return result.app


@pytest.fixture
async def device(tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_store("device", app(), tmp_path) as opened:
        yield opened


async def synced(device: Harness, *objects: MxObject) -> None:
    """Commit objects and settle them as the server took them (they now come from it)."""
    await device.commit(objects)
    changes = await sync.outgoing(device.store)
    settled = [
        Settled(c, ServerObject(c.id, c.entity, 1, dict(o.values)))
        for c in changes
        for o in objects
        if o.id == c.id
    ]
    await sync.settle(device.store, settled)
    assert await sync.outgoing(device.store) == []


async def test_new_objects_upload_the_members_a_flow_set_referenced_first(device: Harness) -> None:
    session = device.session
    tag = session.create("Shop.Tag", {"Name": "red"})
    customer = session.create("Shop.Customer", {"Name": "Ann"})
    order = session.create(
        "Shop.Order", {"Number": 1, "Shop.Order_Customer": customer, "Shop.Order_Tags": [tag]}
    )
    await device.commit([order, customer, tag])
    changes = await sync.outgoing(device.store)
    assert [c.id for c in changes].index(order.id) == 2  # after what it references
    by_id = {c.id: c for c in changes}
    sent = by_id[order.id]
    assert sent.kind == "new"
    assert sent.values == {"Number": 1, "Shop.Order_Customer": customer.id}
    assert sent.added == {"Shop.Order_Tags": [tag.id]}
    assert by_id[customer.id].values == {"Name": "Ann"}  # Age (a default) is not sent


async def test_changed_objects_upload_changed_members_and_set_deltas(device: Harness) -> None:
    tags = [MxObject("Shop.Tag", f"t{i}", {"Name": str(i)}) for i in range(3)]
    order = MxObject("Shop.Order", "o1", {"Number": 1, "Note": "a", "Shop.Order_Tags": ("t0",)})
    await synced(device, *tags, order)
    order["Note"] = "b"
    order["Shop.Order_Tags"] = ("t1", "t2")
    await device.commit([order])
    order["Shop.Order_Tags"] = ("t0", "t1")  # t0 back: its removal cancels out
    await device.commit([order])
    [change] = await sync.outgoing(device.store)
    assert (change.kind, change.values) == ("changed", {"Note": "b"})
    assert change.added == {"Shop.Order_Tags": ["t1"]}
    assert change.removed == {}


async def test_deletes_upload_with_all_but_not_with_selected_ids(device: Harness) -> None:
    c1 = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    c2 = MxObject("Shop.Customer", "c2", {"Name": "Bob"})
    await synced(device, c1, c2)
    await device.delete([c1])
    c2["Age"] = 3
    await device.commit([c2])
    everything = await sync.outgoing(device.store)
    assert {(c.id, c.kind) for c in everything} == {("c1", "deleted"), ("c2", "changed")}
    selected = await sync.outgoing(device.store, ids=["c1", "c2"])
    assert [(c.id, c.kind) for c in selected] == [("c2", "changed")]


async def test_settling_takes_the_server_state_unless_written_again(device: Harness) -> None:
    a = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    b = MxObject("Shop.Customer", "c2", {"Name": "Bob"})
    await device.commit([a, b])
    changes = {c.id: c for c in await sync.outgoing(device.store)}
    b["Age"] = 40  # a flow commits while the upload is on its way
    await device.commit([b])
    await sync.settle(
        device.store,
        [
            Settled(changes["c1"], ServerObject("c1", "Shop.Customer", 7, {"Name": "ANN"})),
            Settled(changes["c2"], ServerObject("c2", "Shop.Customer", 8, {"Name": "BOB"})),
        ],
    )
    assert (await device.get("Shop.Customer", "c1") or {})["Name"] == "ANN"
    kept = await device.get("Shop.Customer", "c2")
    assert kept is not None and (kept["Name"], kept["Age"]) == ("Bob", 40)
    [pending] = await sync.outgoing(device.store)
    assert pending.id == "c2"


async def test_settling_removes_what_the_server_does_not_have(device: Harness) -> None:
    a = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    order = MxObject("Shop.Order", "o1", {"Shop.Order_Customer": "c1"})
    await synced(device, order)
    await device.commit([a])
    [change] = await sync.outgoing(device.store)
    removed = await sync.settle(device.store, [Settled(change, None)])
    assert removed == ["c1"]
    assert await device.get(None, "c1") is None
    # an object as the server has it keeps its references (the server clears them when it
    # deletes; an object only gone for this user may still be there)
    assert (await device.get(None, "o1") or {})["Shop.Order_Customer"] == "c1"


async def test_settled_deletes_are_forgotten(device: Harness) -> None:
    c1 = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    await synced(device, c1)
    await device.delete([c1])
    [change] = await sync.outgoing(device.store)
    await sync.settle(device.store, [Settled(change, None)])
    assert await sync.outgoing(device.store) == []


async def test_a_refused_delete_brings_the_object_back_at_the_servers_state(
    device: Harness,
) -> None:
    c1 = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    await synced(device, c1)
    await device.delete([c1])
    [change] = await sync.outgoing(device.store)
    state = ServerObject("c1", "Shop.Customer", 7, {"Name": "Ann", "Age": 3})
    assert await sync.settle(device.store, [Settled(change, state)]) == []
    assert await sync.outgoing(device.store) == []
    back = await device.get("Shop.Customer", "c1")
    assert back is not None and (back["Name"], back["Age"]) == ("Ann", 3)


async def test_a_local_delete_leaves_the_references_of_server_objects_alone(
    device: Harness,
) -> None:
    """The server clears them when it applies the delete; a refused one brings the object
    back, and the references are right."""
    c1 = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    t1 = MxObject("Shop.Tag", "t1", {"Name": "red"})
    synced_order = MxObject(
        "Shop.Order", "o1", {"Shop.Order_Customer": "c1", "Shop.Order_Tags": ("t1",)}
    )
    await synced(device, c1, t1, synced_order)
    mine = MxObject("Shop.Order", "o2", {"Shop.Order_Customer": "c1", "Shop.Order_Tags": ("t1",)})
    await device.commit([mine])
    await device.delete([c1, t1])
    kept = await device.get("Shop.Order", "o1") or {}
    assert (kept["Shop.Order_Customer"], kept["Shop.Order_Tags"]) == ("c1", ("t1",))
    cleared = await device.get("Shop.Order", "o2") or {}
    assert (cleared["Shop.Order_Customer"], cleared["Shop.Order_Tags"]) == (None, ())


async def test_removing_objects_keeps_the_references_others_hold_to_them(
    device: Harness,
) -> None:
    """An object the user no longer sees may still be on the server, referenced."""
    c1 = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    t1 = MxObject("Shop.Tag", "t1", {"Name": "red"})
    order = MxObject("Shop.Order", "o1", {"Shop.Order_Customer": "c1", "Shop.Order_Tags": ("t1",)})
    await synced(device, c1, t1, order)
    applied = await sync.apply_page(device.store, [], ["c1", "t1"])
    assert sorted(applied.removed) == ["c1", "t1"]
    kept = await device.get("Shop.Order", "o1") or {}
    assert (kept["Shop.Order_Customer"], kept["Shop.Order_Tags"]) == ("c1", ("t1",))


async def test_a_page_leaves_objects_with_local_changes_alone(device: Harness) -> None:
    mine = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    gone = MxObject("Shop.Customer", "c2", {"Name": "Bob"})
    await synced(device, mine, gone)
    mine["Age"] = 5
    await device.commit([mine])
    applied = await sync.apply_page(
        device.store,
        [
            ServerObject("c1", "Shop.Customer", 9, {"Name": "Server"}),
            ServerObject("c3", "Shop.Customer", 9, {"Name": "New"}),
        ],
        ["c2", "c1"],
        ("Shop.Customer", "cursor-1"),
    )
    assert [o.id for o in applied.written] == ["c3"]
    assert applied.removed == ["c2"]
    assert applied.skipped == ["c1"]
    assert (await device.get(None, "c1") or {})["Age"] == 5
    assert (await device.get(None, "c3") or {})["Name"] == "New"
    assert await sync.cursor_of(device.store, "Shop.Customer") == "cursor-1"


async def test_server_objects_need_not_satisfy_device_validation(device: Harness) -> None:
    """A member the user may not read does not come down; `required` is the server's job."""
    await sync.apply_page(
        device.store,
        [ServerObject("c1", "Shop.Customer", 1, {"Age": 3})],
        [],
    )
    assert (await device.get(None, "c1") or {})["Name"] is None


async def test_clear_from_device_keeps_pending_changes(device: Harness) -> None:
    a = MxObject("Shop.Customer", "c1", {"Name": "Ann"})
    b = MxObject("Shop.Customer", "c2", {"Name": "Bob"})
    await synced(device, a, b)
    b["Age"] = 1
    await device.commit([b])
    removed, kept = await sync.clear_entity(device.store, "Shop.Customer")
    assert (removed, kept) == (["c1"], 1)


async def test_refresh_keeps_uncommitted_changes_and_empties_removed_objects(
    device: Harness,
) -> None:
    session = device.session
    ann = session.create("Shop.Customer", {"Name": "Ann", "Age": 1})
    bob = session.create("Shop.Customer", {"Name": "Bob"})
    await device.commit([ann, bob])
    ann["Age"] = 2  # typed by a user, not committed
    held = [ann, bob]
    session.refresh([(ann.id, {"Name": "ANN", "Age": 1})], [bob.id])
    assert (ann["Name"], ann["Age"]) == ("ANN", 2)
    assert ann.committed == {"Name": "ANN", "Age": 1}
    assert ann.changed_members == {"Age"}
    assert bob.is_empty and [o for o in held if not o.removed] == [ann]
