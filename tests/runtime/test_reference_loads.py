"""Following references loads objects by their known entity, in one query per reference set,
whatever the number of entities in the app; deleting does not decode lazily loaded objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.source import SourceFile


def shop(extra_entities: int) -> App:
    others = "\n".join(f"entity Other{i} {{ Name: String }}" for i in range(extra_entities))
    offline = "\n".join(f"  Other{i}: all" for i in range(extra_entities))
    source = f"""
module Shop
entity Order {{ Number: Integer }}
entity Tag {{ Name: String }}
entity Customer {{ Name: String }}
{others}
association Order_Tags from Order to many Tag
association Order_Customer from Order to Customer
offline {{
  Order: all
  Tag: all
  Customer: all
{offline}
}}
nanoflow Tags($order: Order) returns Integer {{
  return count($order/Order_Tags)
}}
nanoflow CustomerName($order: Order) returns String {{
  return $order/Order_Customer/Customer/Name
}}
"""
    result = compile_sources([SourceFile("shop.nf", source)])
    assert result.app is not None, result.diagnostics
    return result.app


async def statements(app: App, path: Path, flow: str) -> list[str]:
    """The SQL statements a fresh session runs for `flow` on a stored order."""
    store = await DeviceStore.open(path, app)
    try:
        async with Session(app, store=store) as setup:
            tags = [setup.create("Shop.Tag", {"Name": f"t{i}"}) for i in range(3)]
            customer = setup.create("Shop.Customer", {"Name": "Ann"})
            order = setup.create(
                "Shop.Order", {"Shop.Order_Tags": tags, "Shop.Order_Customer": customer}
            )
            await setup.commit([*tags, customer, order], "the objects")
            order_id = order.id
        seen: list[str] = []
        async with Session(app, store=store) as session:
            [loaded] = await session.load_many([order_id], "Shop.Order")
            await store.trace(seen.append)
            result = await session.call(flow, order=loaded)
            await store.trace(None)
        assert result in (3, "Ann")
        return seen
    finally:
        await store.close()


@pytest.mark.parametrize("flow", ["Shop.Tags", "Shop.CustomerName"])
async def test_following_a_reference_is_one_query_whatever_the_app_size(
    tmp_path: Path, flow: str
) -> None:
    small = await statements(shop(0), tmp_path / "small.db", flow)
    large = await statements(shop(12), tmp_path / "large.db", flow)
    assert len(small) == len(large) == 1, (small, large)


async def test_delete_does_not_decode_unrelated_loaded_objects(tmp_path: Path) -> None:
    app = shop(0)
    async with Session(app, store=tmp_path / "d.db") as session:
        tags = [session.create("Shop.Tag", {"Name": f"t{i}"}) for i in range(20)]
        customer = session.create("Shop.Customer", {"Name": "Ann"})
        order = session.create("Shop.Order", {"Shop.Order_Customer": customer})
        await session.commit([*tags, customer, order], "the objects")
        ids = [t.id for t in tags]
        order_id = order.id
        del tags, order
        session.objects.clear()
        loaded = await session.load_many(ids, "Shop.Tag")
        [order] = await session.load_many([order_id], "Shop.Order")
        assert all(t._row is not None for t in loaded)  # lazily decoded
        await session.delete(customer, "$customer")
        assert all(t._row is not None for t in loaded)  # still undecoded
        assert order["Shop.Order_Customer"] is None  # the holder of the reference forgot it
