"""`synchronize all` end to end: a device's changes reach the server through its access rules,
and another device of another user gets exactly what its rules grant."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Shop
role Clerk
role Boss
entity Customer with owner { Name: String(40) required  Credit: Decimal }
entity Order with owner { Number: Integer  Note: String }
entity Tag { Name: String }
association Order_Customer from Order to Customer
association Order_Tags from Order to many Tag
access Customer for Clerk {
  create, delete, read *, write * where [System.owner = '[%CurrentUser%]']
}
access Customer for Boss { read * }
access Order for Clerk {
  create, read *, write (Number, Note, Order_Customer, Order_Tags)
  where [System.owner = '[%CurrentUser%]']
}
access Order for Boss { read *, write (Note) }
access Tag for Clerk { create, read *, write * }
access Tag for Boss { read * }
offline {
  Customer: all
  Order: all
  Tag: all
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("shop.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_changes_go_up_and_come_down_by_the_rules(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Shop.Clerk"])
        await server.users.add("bob", "bob-pw", ["Shop.Clerk"])
        await server.users.add("boss", "boss-pw", ["Shop.Boss"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            s = ann.session
            tag = s.create("Shop.Tag", {"Name": "red"})
            customer = s.create("Shop.Customer", {"Name": "Acme", "Credit": Decimal("12.50")})
            order = s.create(
                "Shop.Order",
                {"Number": 7, "Shop.Order_Customer": customer, "Shop.Order_Tags": [tag]},
            )
            await s.commit([tag, customer, order], "the objects")
            await ann.synchronize()
            assert ann.sync.last is not None and ann.sync.last.failed == 0
            assert await ann.store.pending_changes() == []
            order_id = order.id
        async with server.device(tmp_path / "bob.db", "bob", "bob-pw") as bob:
            await bob.synchronize()
            summary = await bob.store.summary()
            assert summary["Shop.Order"]["objects"] == 0  # ann's, not bob's
            assert summary["Shop.Tag"]["objects"] == 1
        async with server.device(tmp_path / "boss.db", "boss", "boss-pw") as boss:
            await boss.synchronize()
            found = await boss.session.load(order_id, "Shop.Order")
            assert found is not None and found["Number"] == 7
            assert found["Shop.Order_Tags"] == (tag.id,)
            credit = (await boss.session.load(customer.id, "Shop.Customer") or {})["Credit"]
            assert credit == Decimal("12.5")
            # the boss may write Note only: a change of Number is refused and kept
            found["Note"] = "checked"
            await boss.session.commit(found, "$order")
            await boss.synchronize()
            assert boss.sync.last is not None and boss.sync.last.failed == 0
            found["Number"] = 8
            await boss.session.commit(found, "$order")
            await boss.synchronize()
            report = boss.sync.last
            assert report is not None and report.failed == 1
            assert "not writable" in report.failures[0]["reason"]
            assert found["Number"] == 7  # back at the server's state
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            await ann.synchronize()
            again = await ann.session.load(order_id, "Shop.Order")
            assert again is not None and again["Note"] == "checked"
