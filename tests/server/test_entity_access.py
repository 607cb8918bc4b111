"""`with entity access` on SQLite and PostgreSQL: a microflow that declares it applies its
caller's rules to retrieves, commits and deletes (each right positive and negative); one that
does not sees and changes everything; nested calls keep each flow's own setting."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from shop_server import Shop, serve_shop

from nanoflow.server.urls import DatabaseTarget


@pytest.fixture
async def shop(target: DatabaseTarget) -> AsyncIterator[Shop]:
    async with serve_shop(target) as served:
        await served.call("alice", "Shop.CreateOrder", note="a1", total="1")
        await served.call("alice", "Shop.CreateOrder", note="a2", total="2")
        await served.call("carol", "Shop.CreateOrder", note="c1", total="3")
        yield served


async def notes(shop: Shop) -> list[str]:
    return sorted(n for (n,) in await shop.rows('SELECT "Shop.Order.Note" FROM "o:Shop.Order"'))


# ---- retrieves -----------------------------------------------------------------------------


async def test_retrieves_see_what_the_caller_may_read(shop: Shop) -> None:
    assert (await shop.call("alice", "Shop.CountOrders")).result == 2
    assert (await shop.call("carol", "Shop.CountOrders")).result == 1
    assert (await shop.call("bob", "Shop.CountOrders")).result == 3


async def test_without_entity_access_a_microflow_sees_everything(shop: Shop) -> None:
    assert (await shop.call("alice", "Shop.CountAllOrders")).result == 3


async def test_nested_calls_keep_each_flows_own_setting(shop: Shop) -> None:
    # secured caller, unsecured callee, secured again after the call returns
    assert (await shop.call("alice", "Shop.CountViaSub")).result == "2/3/2"
    # unsecured caller, secured callee
    assert (await shop.call("alice", "Shop.CountViaSecured")).result == "2/3"


async def test_retrieve_by_association_applies_the_target_entitys_rules(shop: Shop) -> None:
    await shop.call("alice", "Shop.CreateOrderWithCustomer", name="Dormant", active=False)
    assert (await shop.call("alice", "Shop.CustomerOfFirstOrder")).result == "none"
    assert (await shop.call("bob", "Shop.CustomerOfFirstOrder")).result == "Dormant"


async def test_retrieve_by_association_shows_a_readable_target(shop: Shop) -> None:
    await shop.call("alice", "Shop.CreateOrderWithCustomer", name="Awake", active=True)
    assert (await shop.call("alice", "Shop.CustomerOfFirstOrder")).result == "Awake"


# ---- commits -------------------------------------------------------------------------------


async def test_creating_needs_the_create_right(shop: Shop) -> None:
    body = await shop.fails("alice", "Shop.CreateCustomer", 422, "flow_error",
                            name="Ann", email="ann@example.com")
    assert body.error.message == "user `alice` may not create Shop.Customer objects"
    assert await shop.rows('SELECT id FROM "o:Shop.Customer"') == []
    assert (await shop.call("bob", "Shop.CreateCustomer", name="Ann", email="a@x.org")).result
    assert (await shop.call("alice", "Shop.CreateCustomerUnchecked", name="Bo", email=None)).result
    assert len(await shop.rows('SELECT id FROM "o:Shop.Customer"')) == 2


async def test_a_new_object_may_only_have_writable_members_set(shop: Shop) -> None:
    before = await shop.orders()
    body = await shop.fails("alice", "Shop.CreateSecretOrder", 422, "flow_error")
    assert "may not set `Secret` of Shop.Order" in body.error.message
    assert await shop.orders() == before
    assert (await shop.call("bob", "Shop.CreateSecretOrder")).result == 4


async def test_changing_needs_writable_members_of_a_covered_object(shop: Shop) -> None:
    assert (await shop.call("alice", "Shop.ChangeOrders", note="n", secret=None)).result == 2
    assert await notes(shop) == ["c1", "n", "n"]
    before = await shop.orders()
    body = await shop.fails("alice", "Shop.ChangeOrders", 422, "flow_error", note="m", secret="s")
    assert "may not change `Secret` of Shop.Order" in body.error.message
    assert await shop.orders() == before
    assert (await shop.call("bob", "Shop.ChangeOrders", note="m", secret="s")).result == 3
    assert {row[2] for row in (await shop.orders()).values()} == {"s"}


async def test_changing_an_object_no_rule_covers_is_refused(shop: Shop) -> None:
    carols = (await shop.orders())["c1"][0]
    body = await shop.fails("alice", "Shop.ChangeOrderByNumber", 422, "flow_error",
                            number=carols, note="stolen")
    assert body.error.message == (
        "user `alice` may not change this Shop.Order: no access rule of their roles covers it"
    )
    assert "c1" in await shop.orders()
    assert (await shop.call("carol", "Shop.ChangeOrderByNumber", number=carols, note="ok")).result
    assert "ok" in await shop.orders()


# ---- deletes -------------------------------------------------------------------------------


async def test_deleting_needs_the_delete_right(shop: Shop) -> None:
    own = (await shop.orders())["a1"][0]
    body = await shop.fails("alice", "Shop.DeleteOrderByNumber", 422, "flow_error", number=own)
    assert body.error.message == "user `alice` may not delete this Shop.Order"
    assert "a1" in await shop.orders()
    assert (await shop.call("bob", "Shop.DeleteOrderByNumber", number=own)).result
    assert "a1" not in await shop.orders()


async def test_without_entity_access_a_microflow_may_delete_anything(shop: Shop) -> None:
    carols = (await shop.orders())["c1"][0]
    assert (await shop.call("alice", "Shop.DeleteOrderByNumberUnchecked", number=carols)).result
    assert sorted(await shop.orders()) == ["a1", "a2"]
