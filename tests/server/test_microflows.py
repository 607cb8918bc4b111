"""`POST /api/v1/microflows/{name}` on SQLite and PostgreSQL: allowed roles, wire arguments and
results, the caller as `[%CurrentUser%]`, flow errors rolled back, owner reassignment,
`synchronize to device` filtered by the caller's read rules, and event handlers run in a
session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from shop_server import Shop, serve_shop

from nanoflow.runtime.errors import FlowError
from nanoflow.server.execution import open_session, run_handler
from nanoflow.server.store import ServerStore
from nanoflow.server.urls import DatabaseTarget


@pytest.fixture
async def shop(target: DatabaseTarget) -> AsyncIterator[Shop]:
    async with serve_shop(target) as served:
        yield served


# ---- who may call what --------------------------------------------------------------------


async def test_allowed_roles_are_checked(shop: Shop) -> None:
    assert (await shop.call("bob", "Shop.BossOnly")).result == 2
    body = await shop.fails("alice", "Shop.BossOnly", 403, "forbidden")
    assert "alice" in body.error.message and "Shop.Boss" in body.error.message


async def test_microflow_without_allow_is_server_internal(shop: Shop) -> None:
    for user in ("alice", "bob"):
        body = await shop.fails(user, "Shop.Internal", 403, "forbidden")
        assert "server-internal" in body.error.message


async def test_unknown_microflow_is_not_found(shop: Shop) -> None:
    body = await shop.fails("alice", "Shop.CountOrder", 404, "not_found")
    assert "Shop.CountOrders" in body.error.message  # did you mean
    await shop.fails("alice", "Nope", 404, "not_found")
    await shop.fails("alice", "Shop.Level", 404, "not_found")  # not a microflow


async def test_a_token_is_needed(shop: Shop) -> None:
    answer = await shop.client.post("/api/v1/microflows/Shop.Me", json={"arguments": {}})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"


async def test_object_parameters_cannot_come_from_a_device(shop: Shop) -> None:
    body = await shop.fails("alice", "Shop.TakesOrder", 400, "invalid_request", order=None)
    assert "primitive" in body.error.message


# ---- arguments and results ----------------------------------------------------------------


async def test_every_primitive_kind_travels_as_a_wire_value(shop: Shop) -> None:
    result = await shop.call(
        "alice", "Shop.Echo", s="it's", i=-7, l=2**62, d="12.50", b=True,
        t="2025-03-01T09:30:00.250Z", lv="High",
    )  # fmt: skip
    assert result.result == "it's|-7|4611686018427387904|12.5|true|2025-03-01 09:30:00.250|High"
    assert (await shop.call("alice", "Shop.NextDay", t="2025-02-28T23:00:00.000Z")).result == (
        "2025-03-01T23:00:00.000Z"
    )
    assert (await shop.call("alice", "Shop.Half", d="5")).result == "2.5"
    assert (await shop.call("alice", "Shop.LevelOf", n=11)).result == "High"
    nothing = await shop.call("alice", "Shop.Nothing", s="x")
    assert nothing.result is None and nothing.to_device == [] and nothing.removed_from_device == []


async def test_empty_arguments_are_null(shop: Shop) -> None:
    assert (await shop.call("alice", "Shop.IsEmpty", t=None, s=None)).result is True
    assert (await shop.call("alice", "Shop.IsEmpty", t=None, s="")).result is True
    assert (await shop.call("alice", "Shop.IsEmpty", t=None, s="x")).result is False


async def test_wrong_missing_and_unknown_arguments_are_refused(shop: Shop) -> None:
    body = await shop.fails(
        "alice", "Shop.Echo", 422, "invalid_request",
        s=1, i=2**31, l="7", d="twelve", b="yes", t="2025-03-01 09:30", colour="red",
    )  # fmt: skip
    problems = {(d.loc[-1], d.type) for d in body.error.details}
    assert problems == {
        ("s", "wrong_type"), ("i", "wrong_type"), ("l", "wrong_type"), ("d", "wrong_type"),
        ("b", "wrong_type"), ("t", "wrong_type"), ("lv", "missing"),
        ("colour", "unknown_parameter"),
    }  # fmt: skip
    assert all(d.loc[:2] == ["body", "arguments"] for d in body.error.details)
    body = await shop.fails("alice", "Shop.LevelOf", 422, "invalid_request", n=True)
    assert "Integer" in body.error.message
    body = await shop.fails(
        "alice", "Shop.Echo", 422, "invalid_request",
        s="", i=1, l=1, d="1", b=True, t="2025-03-01T09:30:00Z", lv="Medium",
    )  # fmt: skip
    assert "Shop.Level" in body.error.message


async def test_a_body_that_is_not_a_call_is_refused(shop: Shop) -> None:
    headers = {"Authorization": f"Bearer {shop.tokens['alice']}"}
    answer = await shop.client.post(
        "/api/v1/microflows/Shop.Me", json={"arguments": {}, "extra": 1}, headers=headers
    )
    assert answer.status_code == 422
    answer = await shop.client.post(
        "/api/v1/microflows/Shop.Me", content=b"{", headers={
            **headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "malformed_json"


# ---- the caller, errors and transactions ---------------------------------------------------


async def test_the_caller_is_the_current_user(shop: Shop) -> None:
    assert (await shop.call("carol", "Shop.Me")).result == "carol"
    await shop.call("carol", "Shop.CreateOrder", note="mine", total="1")
    assert (await shop.orders())["mine"][1] == "carol"


async def test_a_flow_error_answers_its_message_and_writes_nothing(shop: Shop) -> None:
    counter = await shop.rows("SELECT n FROM nf_counter")
    body = await shop.fails("alice", "Shop.Fail", 422, "flow_error", msg="Out of stock")
    assert body.error.message == "Out of stock"
    assert body.error.details[0].loc[0] == "Shop.Fail"
    assert body.error.details[0].message == "raise"
    assert await shop.orders() == {}  # the order committed before the error is rolled back
    assert await shop.rows("SELECT n FROM nf_counter") == counter


async def test_a_handled_error_keeps_the_transaction_going(shop: Shop) -> None:
    """A unique violation handled by the flow leaves the transaction usable (on PostgreSQL
    too: the failed write ran in a savepoint), and the flow's other writes are kept."""
    result = await shop.call("alice", "Shop.Handled")
    assert result.result == (
        "Shop.Customer: Email must be unique, and another object already has the value "
        "'DUP@example.com'"
    )
    names = await shop.rows('SELECT "Shop.Customer.Name" FROM "o:Shop.Customer"')
    assert sorted(n for (n,) in names) == ["first", "third"]


async def test_a_microflow_may_hand_objects_to_another_user(shop: Shop) -> None:
    await shop.call("alice", "Shop.CreateOrder", note="a1", total="1")
    await shop.call("alice", "Shop.CreateOrder", note="a2", total="2")
    await shop.call("carol", "Shop.CreateOrder", note="c1", total="3")
    assert (await shop.call("alice", "Shop.CountOrders")).result == 2
    assert (await shop.call("alice", "Shop.HandOver", to="carol")).result == 2
    owners = {note: row[1] for note, row in (await shop.orders()).items()}
    assert owners == {"a1": "carol", "a2": "carol", "c1": "carol"}
    assert (await shop.call("alice", "Shop.CountOrders")).result == 0
    assert (await shop.call("carol", "Shop.CountOrders")).result == 3


# ---- synchronize to device -----------------------------------------------------------------


async def test_synchronize_to_device_sends_only_what_the_caller_may_read(shop: Shop) -> None:
    await shop.call("alice", "Shop.CreateOrder", note="push", total="1.5")
    await shop.call("carol", "Shop.CreateOrder", note="push", total="2")
    await shop.call("bob", "Shop.CreateCustomer", name="Ann", email="ann@example.com")

    alice = await shop.call("alice", "Shop.Push", note="push")
    assert [s.entity for s in alice.to_device] == ["Shop.Order", "Shop.Customer"]
    order, customer = alice.to_device
    # not Secret: not readable for a clerk
    assert set(order.attributes) == {"Number", "Total", "Note"}
    assert Decimal(str(order.attributes["Total"])) == Decimal("1.5")
    assert order.attributes["Number"] == 1 and order.attributes["Note"] == "push"
    assert set(order.references) == {"Shop.Order_Customer"}  # not System.owner
    assert order.version > 0
    assert set(customer.attributes) == {"Name", "Active"}  # read (Name, Active): no Email
    assert customer.attributes["Name"] == "Ann"
    assert len(alice.removed_from_device) == 1  # carol's order

    bob = await shop.call("bob", "Shop.Push", note="push")
    assert len(bob.to_device) == 3 and bob.removed_from_device == []
    everything = {s.id: s for s in bob.to_device}
    assert {"Number", "Total", "Note", "Secret"} <= set(everything[order.id].attributes)
    assert "System.owner" in everything[order.id].references
    assert alice.removed_from_device[0] in everything


async def test_synchronize_to_device_removes_deleted_and_unstored_objects(shop: Shop) -> None:
    result = await shop.call("bob", "Shop.PushDeleted")
    assert result.to_device == [] and len(result.removed_from_device) == 2


# ---- event handlers ------------------------------------------------------------------------


async def test_run_handler_runs_a_microflow_on_an_object_in_a_session(shop: Shop) -> None:
    async with shop.db.write() as conn:
        session = await open_session(shop.db, ServerStore(shop.db, conn), shop.caller("alice"))
        order = session.create("Shop.Order", {"Total": Decimal("2.345")})
        assert await run_handler(session, "Shop.BCo_Order", order) is True
        assert str(order["Total"]) == "2.35" and order["Note"] == "checked by High"
        order["Total"] = Decimal(-1)
        assert await run_handler(session, "Shop.BCo_Order", order) is False
        order["Note"] = "bad"
        with pytest.raises(FlowError, match="handler failed for bad") as raised:
            await run_handler(session, "Shop.BadHandler", order)
        assert raised.value.flow == "Shop.BadHandler"
        with pytest.raises(FlowError, match="only parameter"):
            await run_handler(session, "Shop.Echo", order)
