"""What the server database enforces, on SQLite and PostgreSQL: `unique` attributes (unique
indexes: case-insensitive strings, empty values apart, concurrent writers), AutoNumbers assigned
on insert (in commit order, none lost or shared between concurrent writers, none used by a
rolled-back call), and both on a database made before they existed or migrated to them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from server_support import write_app
from shop_server import Shop, serve_shop
from sqlalchemy import text

from nanoflow.compiler import App, load
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.session import Session
from nanoflow.runtime.values import MendixError
from nanoflow.server.database import ServerDatabase
from nanoflow.server.errors import IncompatibleDatabase
from nanoflow.server.execution import run_microflow
from nanoflow.server.store import ServerStore
from nanoflow.server.urls import DatabaseTarget

WRITERS = 6


@pytest.fixture
async def shop(target: DatabaseTarget) -> AsyncIterator[Shop]:
    async with serve_shop(target) as served:
        yield served


async def customers(shop: Shop) -> list[Any]:
    rows = await shop.rows('SELECT "Shop.Customer.Email" FROM "o:Shop.Customer"')
    return sorted((r[0] for r in rows), key=lambda v: (v is None, v))


# ---- unique ----------------------------------------------------------------------------------


async def test_a_unique_value_is_refused_the_second_time(shop: Shop) -> None:
    assert (await shop.call("bob", "Shop.Stamp", code=7)).result
    body = await shop.fails("bob", "Shop.Stamp", 422, "flow_error", code=7)
    assert body.error.message == (
        "Shop.Stamp: Code must be unique, and another object already has the value 7"
    )
    assert await shop.rows('SELECT "Shop.Stamp.Code" FROM "o:Shop.Stamp"') == [(7,)]
    assert (await shop.call("bob", "Shop.Stamp", code=8)).result


async def test_unique_strings_ignore_case_and_empty_values_repeat(shop: Shop) -> None:
    for email in ("ann@example.com", None, None, "", ""):
        assert (await shop.call("alice", "Shop.CreateCustomerUnchecked", name="x",
                                email=email)).result
    body = await shop.fails("alice", "Shop.CreateCustomerUnchecked", 422, "flow_error",
                            name="y", email="ANN@Example.com")
    assert "Shop.Customer: Email must be unique" in body.error.message
    assert "'ANN@Example.com'" in body.error.message
    assert await customers(shop) == ["", "", "ann@example.com", None, None]


async def test_concurrent_writers_of_one_unique_value_get_it_once(shop: Shop) -> None:
    async def stamp() -> Any:
        try:
            return await run_microflow(shop.db, shop.caller("bob"), "Shop.Stamp", {"code": 42})
        except FlowError as error:
            return error.message

    outcomes = await asyncio.gather(*(stamp() for _ in range(WRITERS)))
    assert outcomes.count(True) == 1
    refused = [o for o in outcomes if o is not True]
    assert len(refused) == WRITERS - 1
    assert all("Shop.Stamp: Code must be unique" in str(o) for o in refused)
    assert await shop.rows('SELECT "Shop.Stamp.Code" FROM "o:Shop.Stamp"') == [(42,)]


async def test_a_store_write_breaking_uniqueness_leaves_the_transaction_usable(
    shop: Shop,
) -> None:
    async with shop.db.write() as conn:
        session = Session(shop.app, store=ServerStore(shop.db, conn))
        first = session.create("Shop.Stamp", {"Code": 1})
        await session.commit(first, "$first")
        second = session.create("Shop.Stamp", {"Code": 1})
        with pytest.raises(MendixError, match="Code must be unique"):
            await session.commit(second, "$second")
        assert second.committed is None  # the failed commit left it uncommitted
        second["Code"] = 2
        await session.commit(second, "$second")
    codes = await shop.rows('SELECT "Shop.Stamp.Code" FROM "o:Shop.Stamp" ORDER BY 1')
    assert codes == [(1,), (2,)]


# ---- AutoNumber ------------------------------------------------------------------------------


async def test_autonumbers_count_up_across_users(shop: Shop) -> None:
    numbers = [
        (await shop.call(user, "Shop.CreateOrder", note=f"n{i}", total="1")).result
        for i, user in enumerate(["alice", "carol", "bob", "alice"])
    ]
    assert numbers == [1, 2, 3, 4]
    stored = sorted(row[0] for row in (await shop.orders()).values())
    assert stored == [1, 2, 3, 4]


async def test_a_rolled_back_call_uses_no_number(shop: Shop) -> None:
    assert (await shop.call("alice", "Shop.CreateOrder", note="a", total="1")).result == 1
    await shop.fails("alice", "Shop.Fail", 422, "flow_error", msg="no")
    assert (await shop.call("alice", "Shop.CreateOrder", note="b", total="1")).result == 2


async def test_concurrent_writers_get_distinct_numbers(shop: Shop) -> None:
    async def create(n: int) -> Any:
        return await run_microflow(
            shop.db, shop.caller("carol"), "Shop.CreateOrder", {"note": f"c{n}", "total": 1}
        )

    numbers = await asyncio.gather(*(create(n) for n in range(WRITERS)))
    assert sorted(numbers) == list(range(1, WRITERS + 1))
    stored = {note: row[0] for note, row in (await shop.orders()).items()}
    assert sorted(stored.values()) == list(range(1, WRITERS + 1))
    assert {f"c{n}": number for n, number in enumerate(numbers)} == stored


async def test_a_list_commit_numbers_each_new_object(shop: Shop) -> None:
    async with shop.db.write() as conn:
        session = Session(shop.app, store=ServerStore(shop.db, conn))
        orders = [session.create("Shop.Order", {"Note": f"o{i}"}) for i in range(3)]
        await session.commit(orders, "$orders")
        assert [o["Number"] for o in orders] == [1, 2, 3]
        orders[0]["Note"] = "changed"
        await session.commit(orders, "$orders")  # stored ones keep their numbers
        assert [o["Number"] for o in orders] == [1, 2, 3]


# ---- databases made before, and migrations ---------------------------------------------------

PLAIN = """
module Shop
entity Item {
  Code: String
  Serial: AutoNumber
}
"""
UNIQUE = PLAIN.replace("  Code: String\n", "  Code: String unique\n")


def app_of(tmp_path: Path, name: str, source: str) -> App:
    return load(write_app(tmp_path / name, source))


async def add_items(db: ServerDatabase, app: App, codes: list[str | None]) -> None:
    async with db.write() as conn:
        session = Session(app, store=ServerStore(db, conn))
        await session.commit([session.create("Shop.Item", {"Code": c}) for c in codes], "items")


async def test_making_an_attribute_unique_migrates_when_values_differ(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    plain, unique = app_of(tmp_path, "plain", PLAIN), app_of(tmp_path, "unique", UNIQUE)
    async with await ServerDatabase.open(plain, target) as db:
        await add_items(db, plain, ["a", "B", None])
    async with await ServerDatabase.open(unique, target) as db:
        assert any("Shop.Item.Code changed" in change for change in db.migrated)
        with pytest.raises(MendixError, match=r"Shop\.Item: Code must be unique"):
            await add_items(db, unique, ["b"])
        await add_items(db, unique, ["c", None])
    async with await ServerDatabase.open(plain, target) as db:  # and back: the index goes
        await add_items(db, plain, ["c"])


async def test_making_an_attribute_unique_is_refused_when_values_repeat(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    plain, unique = app_of(tmp_path, "plain", PLAIN), app_of(tmp_path, "unique", UNIQUE)
    async with await ServerDatabase.open(plain, target) as db:
        await add_items(db, plain, ["a", "A"])
    with pytest.raises(IncompatibleDatabase) as refused:
        await ServerDatabase.open(unique, target)
    assert "Shop.Item.Code is now unique" in str(refused.value)
    assert "Nothing was changed" in str(refused.value)
    async with await ServerDatabase.open(plain, target) as db:  # still the old model
        await add_items(db, plain, ["a"])


async def test_a_database_made_before_enforcement_gets_it_on_opening(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """A database of the same model without the unique index and the counter rows (what an
    older server made) gets both, the counter starting above the numbers already used."""
    unique = app_of(tmp_path, "unique", UNIQUE)
    async with await ServerDatabase.open(unique, target) as db:
        await add_items(db, unique, ["a", "b"])
        async with db.write() as conn:
            await conn.execute(text('DROP INDEX "ux:Shop.Item:Code"'))
            await conn.execute(text("DELETE FROM nf_autonumbers"))
    async with await ServerDatabase.open(unique, target) as db:
        assert db.migrated == []
        with pytest.raises(MendixError, match="must be unique"):
            await add_items(db, unique, ["A"])
        await add_items(db, unique, ["c"])
        async with db.read() as conn:
            serials = (await conn.execute(text(
                'SELECT "Shop.Item.Code", "Shop.Item.Serial" FROM "o:Shop.Item" ORDER BY 2'
            ))).all()
        assert [tuple(r) for r in serials] == [("a", 1), ("b", 2), ("c", 3)]
