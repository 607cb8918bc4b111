"""Retrieves on every store backend: XPath → SQL (compiled once per query, reused with other
values), sorting, paging, associations, get."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from store_backends import BACKENDS, Harness, open_store

from nanoflow import ir
from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.query import Query
from nanoflow.runtime.values import EnumValue, MendixError, MxObject
from nanoflow.source import SourceFile

SOURCE = """
module Shop

enumeration Status { Open 'Open' Closed 'Closed' Void 'Void' }

entity Customer with owner {
  Name: String(20) required
  Email: String
  Active: Boolean = true
  CreditLimit: Decimal = 100.5
  Age: Integer
  Big: Long
  Born: DateTime
  index (Name)
}

entity Order {
  Number: Long
  Total: Decimal
  Status: Status = Open
  PlacedAt: DateTime
  Note: String
  Paid: Boolean
  index (Status, PlacedAt)
}

entity SpecialOrder extends Order {
  Reason: String
}

entity Tag { Name: String(50) }

entity Photo extends System.Image { Caption: String }

association Order_Customer from Order to Customer
association Order_Tags from Order to many Tag
association Photo_Order from Photo to Order

offline {
  Customer: all
  Order: all
  Tag: nothing preserve
  Photo: all
}
"""
PARAMS = (
    "$c: Customer, $o: Order, $tag: Tag, $s: String, $d: Decimal, $n: Long, $t: DateTime, "
    "$b: Boolean, $st: Status"
)


@cache
def app() -> App:
    result = compile_sources([SourceFile("shop.nf", SOURCE)])
    assert result.app is not None, result.diagnostics
    return result.app


@cache
def constraints(entity: str, xpath: str) -> tuple[ir.XPathConstraint, ...]:
    """The IR of `retrieve <entity> where <xpath>`, compiled with the app."""
    flow = f"nanoflow Q({PARAMS}) {{\n  $x = retrieve {entity} where {xpath}\n}}\n"
    result = compile_sources([SourceFile("shop.nf", SOURCE + flow)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    info = result.app.find_flow("Shop.Q")
    assert info is not None and isinstance(info.decl, ir.Flow)
    statement = info.decl.body.statements[0]
    assert isinstance(statement, ir.RetrieveDb)
    return statement.constraints


def resolver(env: dict[str, Any]) -> Callable[[Any], Any]:
    def resolve(node: Any) -> Any:
        if isinstance(node, ir.Variable):
            return env[node.name]
        if isinstance(node, ir.MemberPath):
            return env["/".join([node.variable.name, *(s.text for s in node.steps)])]
        assert isinstance(node, ir.TokenRef)
        return env[f"[%{node.name}%]"]

    return resolve


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


STATUS = {k: EnumValue.of("Shop.Status", k) for k in ("Open", "Closed", "Void")}


def objects() -> dict[str, MxObject]:
    c, o, t = "Shop.Customer", "Shop.Order", "Shop.Tag"
    made = [
        MxObject(
            c,
            "c1",
            {
                "Name": "Ädam",
                "Email": "adam@x.org",
                "Active": True,
                "CreditLimit": Decimal("100.5"),
                "Age": 30,
                "Big": 2**63 - 1,
                "Born": dt("2020-01-01T00:00:00.123"),
                "System.owner": "user-1",
            },
        ),
        MxObject(
            c,
            "c2",
            {
                "Name": "bob",
                "Email": None,
                "Active": False,
                "CreditLimit": Decimal("-5.25"),
                "Age": None,
                "Big": -(2**63),
                "Born": None,
                "System.owner": "user-2",
            },
        ),
        MxObject(
            c,
            "c3",
            {
                "Name": "Carl_%",
                "Email": "",
                "Active": True,
                "CreditLimit": Decimal("12345678901234567890.12345678"),
                "Age": 40,
                "Big": 0,
                "Born": dt("2021-06-01T00:00:00"),
            },
        ),
        MxObject(
            c,
            "c4",
            {
                "Name": "Dora",
                "Email": "dora@x",
                "Active": False,
                "CreditLimit": Decimal(0),
                "Age": 50,
            },
        ),
        MxObject(t, "t1", {"Name": "Red"}),
        MxObject(t, "t2", {"Name": "blue"}),
        MxObject(t, "t3", {"Name": "Green"}),
        MxObject(
            o,
            "o1",
            {
                "Number": 1,
                "Total": Decimal(10),
                "Status": STATUS["Open"],
                "Note": "First order",
                "Paid": True,
                "Shop.Order_Customer": "c1",
                "Shop.Order_Tags": ("t1", "t2"),
                "PlacedAt": dt("2024-01-01T10:00:00"),
            },
        ),
        MxObject(
            o,
            "o2",
            {
                "Number": 2,
                "Total": Decimal("-3.5"),
                "Status": STATUS["Closed"],
                "Note": "",
                "Paid": False,
                "Shop.Order_Customer": "c1",
                "Shop.Order_Tags": ("t2",),
            },
        ),
        MxObject(
            o,
            "o3",
            {
                "Number": 3,
                "Total": Decimal("0.00000001"),
                "Status": STATUS["Void"],
                "Note": None,
                "Paid": None,
                "Shop.Order_Customer": "c2",
                "Shop.Order_Tags": (),
            },
        ),
        MxObject(
            "Shop.SpecialOrder",
            "s1",
            {
                "Number": 4,
                "Total": Decimal("99999999999999999999.99999999"),
                "Status": STATUS["Open"],
                "Note": "SPECIAL",
                "Reason": "why",
                "Shop.Order_Customer": "c3",
                "Shop.Order_Tags": ("t1",),
            },
        ),
        MxObject(
            o,
            "o5",
            {
                "Number": 5,
                "Total": Decimal("-99999999999999999999.99999999"),
                "Status": STATUS["Closed"],
                "Note": "x_y",
                "Paid": False,
            },
        ),
        MxObject(
            "Shop.Photo", "p1", {"Name": "pic.png", "Caption": "Front", "Shop.Photo_Order": "o1"}
        ),
    ]
    return {obj.id: obj for obj in made}


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    async with open_store(request.param, app(), tmp_path) as opened:
        await opened.commit(list(objects().values()))
        yield opened


@cache
def query(
    entity: str,
    xpath: str,
    sort: tuple[tuple[str, bool], ...] = (),
    association: str = "",
    side: str = "",
) -> Query:
    """One query object per retrieve, reused by every test (as a flow reuses it)."""
    found = constraints(entity, xpath) if xpath else ()
    return Query.of(f"Shop.{entity}", found, sort, "Shop", association, side)


def values(q: Query, env: dict[str, Any]) -> tuple[Any, ...]:
    resolve = resolver(env)
    return tuple(resolve(node) for node in q.slots)


ENV: dict[str, Any] = {
    "c": MxObject("Shop.Customer", "c1"),
    "o": MxObject("Shop.Order", "o3"),
    "o/Number": 3,
    "tag": MxObject("Shop.Tag", "t1"),
    "s": "first ORDER",
    "d": Decimal("-3.5"),
    "n": 2**64,
    "t": dt("2020-01-01T00:00:00.123"),
    "b": True,
    "st": STATUS["Closed"],
    "[%CurrentUser%]": MxObject("System.User", "user-1"),
}


async def ids(
    store: Harness,
    entity: str,
    xpath: str,
    env: dict[str, Any] | None = None,
    sort: tuple[tuple[str, bool], ...] = (),
    limit: int | None = None,
    offset: int | None = None,
    first: bool = False,
) -> list[str]:
    q = query(entity, xpath, sort)
    found = await store.session.retrieve_query(
        q, values(q, {**ENV, **(env or {})}), limit, offset, first
    )
    if first:
        return [] if found is None else [found.id]
    return [obj.id for obj in found]


ORDERS = {"o1", "o2", "o3", "s1", "o5"}
CUSTOMERS = {"c1", "c2", "c3", "c4"}

ORDER_CASES = [
    ("[Number = 2]", {"o2"}),
    ("[Number != 2]", ORDERS - {"o2"}),
    ("[Number >= 2 and Number < 4]", {"o2", "o3"}),
    ("[Number = 1 or Number = 3]", {"o1", "o3"}),
    ("[not(Number = 1)]", ORDERS - {"o1"}),
    ("[(Number = 1 or Number = 2) and Paid]", {"o1"}),
    ("[Paid]", {"o1"}),
    ("[Paid = false]", {"o2", "o5"}),
    ("[not(Paid)]", ORDERS - {"o1"}),
    ("[Paid != true]", ORDERS - {"o1"}),
    ("[true]", ORDERS),
    ("[true()]", ORDERS),
    ("[false]", set()),
    ("[Note = empty]", {"o2", "o3"}),
    ("[Note != empty]", {"o1", "s1", "o5"}),
    ("[Note = '']", {"o2", "o3"}),
    ("[Note != '']", {"o1", "s1", "o5"}),
    ("[Note = 'first ORDER']", {"o1"}),
    ("[Note = $s]", {"o1"}),
    ("[Note != 'first order']", ORDERS - {"o1"}),
    ("[not(Note = 'first order')]", ORDERS - {"o1"}),
    ("[contains(Note, 'ORD')]", {"o1"}),
    ("[starts-with(Note, 'spe')]", {"s1"}),
    ("[ends-with(Note, 'DER')]", {"o1"}),
    ("[contains(Note, '_')]", {"o5"}),
    ("[contains(Note, '')]", ORDERS),
    ("[Total > 0]", {"o1", "o3", "s1"}),
    ("[Total < 0]", {"o2", "o5"}),
    ("[0 > Total]", {"o2", "o5"}),
    ("[Total > 99999999999999999999.99999998]", {"s1"}),
    ("[Total < -99999999999999999999.99999998]", {"o5"}),
    ("[Total = 0.00000001]", {"o3"}),
    ("[Total >= -3.5]", {"o1", "o2", "o3", "s1"}),
    ("[Total > -3.50000001]", {"o1", "o2", "o3", "s1"}),
    ("[Total < -3.49999999]", {"o2", "o5"}),
    ("[Total > 0.000000001]", {"o1", "o3", "s1"}),
    ("[Total < 0.000000015]", {"o2", "o3", "o5"}),
    ("[Total = 0.000000015]", set()),
    ("[Total = $d]", {"o2"}),
    ("[Total < 100000000000000000000000000.5]", ORDERS),
    ("[Total > -100000000000000000000000000.5]", ORDERS),
    ("[Total > 100000000000000000000000000.5]", set()),
    ("[Status = 'Open']", {"o1", "s1"}),
    ("[Status != 'Open']", {"o2", "o3", "o5"}),
    ("[Status = $st]", {"o2", "o5"}),
    ("[Status = empty]", set()),
    ("[Status = 'Open'][Paid]", {"o1"}),
    ("[Shop.Order_Customer = $c]", {"o1", "o2"}),
    ("[Order_Customer = empty]", {"o5"}),
    ("[Order_Customer != $c]", {"o3", "s1", "o5"}),
    ("[Order_Customer/Customer/Name = 'BOB']", {"o3"}),
    ("[Shop.Order_Customer/Shop.Customer/Age >= 40]", {"s1"}),
    ("[Order_Tags = $tag]", {"o1", "s1"}),
    ("[Order_Tags = empty]", {"o3", "o5"}),
    ("[Order_Tags != empty]", {"o1", "o2", "s1"}),
    ("[Order_Tags != $tag]", {"o2", "o3", "o5"}),
    ("[Order_Tags/Tag/Name = 'BLUE']", {"o1", "o2"}),
    ("[id = $o]", {"o3"}),
    ("[id != $o]", ORDERS - {"o3"}),
    ("[Number = $o/Number]", {"o3"}),
    ("[$s = 'FIRST order']", ORDERS),
    ("[$s = 'other']", set()),
    ("[$b]", ORDERS),
    ("[Shop.Photo_Order/Shop.Photo/Caption = 'front']", {"o1"}),
]


@pytest.mark.parametrize(("xpath", "expected"), ORDER_CASES)
async def test_order_constraints(store: Harness, xpath: str, expected: set[str]) -> None:
    assert set(await ids(store, "Order", xpath)) == expected


CUSTOMER_CASES = [
    ("[Name = 'äDAM']", {"c1"}),
    ("[Name = 'ÄDAM']", {"c1"}),
    ("[Name = 'adam']", set()),
    ("[contains(Name, 'Ä')]", {"c1"}),
    ("[contains(Name, '_%')]", {"c3"}),
    ("[starts-with(Name, '_')]", set()),
    ("[ends-with(Name, '%')]", {"c3"}),
    ("[Email = empty]", {"c2", "c3"}),
    ("[contains(Email, Name)]", {"c4"}),
    ("[starts-with(Email, Name)]", {"c4"}),
    ("[ends-with(Email, Name)]", set()),
    ("[CreditLimit > 1000000]", {"c3"}),
    ("[CreditLimit < 0]", {"c2"}),
    ("[Big = 9223372036854775807]", {"c1"}),
    ("[Big = -9223372036854775808]", {"c2"}),
    ("[Big < 0]", {"c2"}),
    ("[Big > 9223372036854775806]", {"c1"}),
    ("[Big < $n]", {"c1", "c2", "c3"}),
    ("[Big > $n]", set()),
    ("[Big != $n]", CUSTOMERS),
    ("[Age > 30.5]", {"c3", "c4"}),
    ("[Age >= 30.5]", {"c3", "c4"}),
    ("[Age < 30.5]", {"c1"}),
    ("[Age <= 30.5]", {"c1"}),
    ("[Age = 30.0]", {"c1"}),
    ("[Age = 30.5]", set()),
    ("[Age != 30.5]", CUSTOMERS),
    ("[Age > Big]", {"c3"}),
    ("[Born = $t]", {"c1"}),
    ("[Born > $t]", {"c3"}),
    ("[Born = empty]", {"c2", "c4"}),
    ("[Shop.Order_Customer/Shop.Order/Total > 5]", {"c1", "c3"}),
    ("[Shop.Order_Customer = $o]", {"c2"}),
    ("[Shop.Order_Customer = empty]", {"c4"}),
    ("[Shop.Order_Customer != empty]", {"c1", "c2", "c3"}),
    ("[Shop.Order_Customer/Shop.SpecialOrder/Reason = 'WHY']", {"c3"}),
    ("[Shop.Order_Customer/Shop.SpecialOrder = empty]", {"c1", "c2", "c4"}),
    ("[id = $c]", {"c1"}),
    ("[System.owner = '[%CurrentUser%]']", {"c1"}),
    ("[System.owner = [%CurrentUser%]]", {"c1"}),
    ("[System.owner = empty]", {"c3", "c4"}),
    ("[Active and not(Age > 35)]", {"c1"}),
]


@pytest.mark.parametrize(("xpath", "expected"), CUSTOMER_CASES)
async def test_customer_constraints(store: Harness, xpath: str, expected: set[str]) -> None:
    assert set(await ids(store, "Customer", xpath)) == expected


@pytest.mark.parametrize(
    ("entity", "xpath", "expected"),
    [
        ("Tag", "[Shop.Order_Tags/Shop.Order/Number = 2]", {"t2"}),
        ("Tag", "[Shop.Order_Tags = $o]", set()),
        ("Tag", "[Shop.Order_Tags = empty]", {"t3"}),
        ("Tag", "[Shop.Order_Tags/Shop.SpecialOrder/Reason = 'why']", {"t1"}),
        (
            "Photo",
            "[Shop.Photo_Order/Shop.Order/Shop.Order_Customer/Shop.Customer/Name = 'ädam']",
            {"p1"},
        ),
        ("Photo", "[Name = 'PIC.PNG']", {"p1"}),
        ("SpecialOrder", "[Number > 0]", {"s1"}),
    ],
)
async def test_other_entities(store: Harness, entity: str, xpath: str, expected: set[str]) -> None:
    assert set(await ids(store, entity, xpath)) == expected


async def test_reference_set_owner_as_variable(store: Harness) -> None:
    env = {"o": MxObject("Shop.Order", "o1")}
    assert set(await ids(store, "Tag", "[Shop.Order_Tags = $o]", env)) == {"t1", "t2"}


async def test_ids_and_removed_objects_as_values(store: Harness) -> None:
    assert set(await ids(store, "Order", "[Shop.Order_Customer = $c]", {"c": "c2"})) == {"o3"}
    gone = MxObject("Shop.Customer", "c1")
    gone.removed = True
    assert set(await ids(store, "Order", "[Order_Customer = $c]", {"c": gone})) == {"o5"}
    assert set(await ids(store, "Order", "[Order_Customer = $c]", {"c": None})) == {"o5"}


async def test_datetimes_compare_exactly_at_millisecond_bounds(store: Harness) -> None:
    between = {"t": dt("2020-01-01T00:00:00.123500")}
    assert await ids(store, "Customer", "[Born = $t]", between) == []
    assert await ids(store, "Customer", "[Born < $t]", between) == ["c1"]
    assert await ids(store, "Customer", "[Born <= $t]", between) == ["c1"]
    assert await ids(store, "Customer", "[Born > $t]", between) == ["c3"]
    assert await ids(store, "Customer", "[Born >= $t]", between) == ["c3"]


async def test_long_bounds_beyond_64_bits(store: Harness) -> None:
    below = {"n": -(2**64)}
    assert set(await ids(store, "Customer", "[Big > $n]", below)) == {"c1", "c2", "c3"}
    assert await ids(store, "Customer", "[Big <= $n]", below) == []


async def test_rows_carry_committed_values(store: Harness) -> None:
    [special] = await ids(store, "Order", "[Number = 4]")
    row = await store.get("Shop.Order", special)
    assert row == {
        "$id": "s1",
        "$entity": "Shop.SpecialOrder",
        "Number": 4,
        "Total": Decimal("99999999999999999999.99999999"),
        "Status": STATUS["Open"],
        "PlacedAt": None,
        "Note": "SPECIAL",
        "Paid": None,
        "Reason": "why",
        "Shop.Order_Customer": "c3",
        "Shop.Order_Tags": ("t1",),
    }
    customer = await store.get(None, "c1")
    assert customer is not None
    assert customer["Born"] == dt("2020-01-01T00:00:00.123")
    assert customer["Born"].tzinfo is not None
    assert customer["Big"] == 2**63 - 1
    assert customer["Active"] is True
    assert customer["System.owner"] == "user-1"


@pytest.mark.parametrize(
    ("entity", "sort", "expected"),
    [
        ("Customer", (("Name", False),), ["c2", "c3", "c4", "c1"]),
        ("Customer", (("Name", True),), ["c1", "c4", "c3", "c2"]),
        ("Customer", (("Email", False),), ["c2", "c3", "c1", "c4"]),
        ("Customer", (("Email", True),), ["c4", "c1", "c3", "c2"]),
        ("Customer", (("Active", True), ("Age", False)), ["c1", "c3", "c2", "c4"]),
        ("Tag", (("Name", False),), ["t2", "t3", "t1"]),
        ("Order", (("Total", True),), ["s1", "o1", "o3", "o2", "o5"]),
        ("Order", (("Total", False),), ["o5", "o2", "o3", "o1", "s1"]),
        ("Order", (("Status", False),), ["o2", "o5", "o1", "s1", "o3"]),
    ],
)
async def test_sort(
    store: Harness, entity: str, sort: tuple[tuple[str, bool], ...], expected: list[str]
) -> None:
    assert await ids(store, entity, "", sort=sort) == expected


async def test_limit_offset_and_first(store: Harness) -> None:
    by_number = (("Number", False),)
    assert await ids(store, "Order", "", sort=by_number, limit=2, offset=1) == ["o2", "o3"]
    assert await ids(store, "Order", "", sort=by_number, offset=3) == ["s1", "o5"]
    assert await ids(store, "Order", "", sort=by_number, first=True) == ["o1"]
    assert await ids(store, "Order", "[Number > 1]", sort=by_number, first=True) == ["o2"]
    assert await ids(store, "Order", "", limit=2) == ["o1", "o2"]  # by id when unsorted
    assert await ids(store, "Order", "", limit=0) == []
    with pytest.raises(MendixError, match="negative"):
        await ids(store, "Order", "", limit=-1)


async def test_retrieve_by_association(store: Harness) -> None:
    async def follow(
        obj: str, assoc: str, side: str, xpath: str = "", entity: str = "Order"
    ) -> set[str]:
        q = query(entity, xpath, (), assoc, side)
        found = await store.session.retrieve_query(q, (*values(q, ENV), obj), None, None, False)
        return {o.id for o in found}

    assert await follow("o1", "Shop.Order_Customer", "source") == {"c1"}
    assert await follow("o5", "Shop.Order_Customer", "source") == set()
    assert await follow("c1", "Shop.Order_Customer", "target") == {"o1", "o2"}
    assert await follow("c1", "Order_Customer", "target", "[Paid]") == {"o1"}
    assert await follow("c3", "Shop.Order_Customer", "target") == {"s1"}
    assert await follow("o1", "Shop.Order_Tags", "source") == {"t1", "t2"}
    assert await follow("o1", "Shop.Order_Tags", "source", "[Name = 'RED']", "Tag") == {"t1"}
    assert await follow("t2", "Shop.Order_Tags", "target") == {"o1", "o2"}
    assert await follow("o1", "Shop.Photo_Order", "target", "", "Photo") == {"p1"}


async def test_get(store: Harness) -> None:
    special = await store.get("Shop.Order", "s1")
    assert special is not None and special["$entity"] == "Shop.SpecialOrder"
    assert await store.get("Shop.SpecialOrder", "o1") is None
    assert await store.get(None, "nope") is None
    tag = await store.get(None, "t1")
    assert tag == {"$id": "t1", "$entity": "Shop.Tag", "Name": "Red"}
    order = await store.get(None, "o1")
    assert order is not None and order["Shop.Order_Tags"] == ("t1", "t2")


async def test_entities_outside_the_store_are_errors(store: Harness) -> None:
    if store.path is None:
        pytest.skip("the server stores every entity")
    users = Query.of("System.User", (), (), "Shop")
    with pytest.raises(MendixError, match=r"System\.User is not in the offline store"):
        await store.session.retrieve_query(users, (), None, None, False)


async def test_every_value_is_a_parameter(store: Harness) -> None:
    q = query("Order", "[Note = $s]")
    env = {**ENV, "s": "x'); DROP TABLE t; --"}
    select = q.select(store.store.schema, store.store.dialect, values(q, env))
    assert "DROP" not in select.sql and "'" not in select.sql.replace("''", "")
    assert "x'); drop table t; --" in select.params.values()
    assert await ids(store, "Order", "[Note = $s]", {"s": "x'); DROP TABLE t; --"}) == []


async def test_a_query_is_translated_once_per_shape_of_its_values(store: Harness) -> None:
    """Plans are reused while their guards hold: an empty value takes a second plan; the
    same shape never translates again."""
    q = Query.of("Shop.Order", constraints("Order", "[Note = $s]"), (), "Shop")
    schema, dialect = store.store.schema, store.store.dialect
    first = q.select(schema, dialect, ("a",))
    assert q.select(schema, dialect, ("b",)).sql == first.sql
    empty = q.select(schema, dialect, (None,))
    assert empty.sql != first.sql and "IS NULL" in empty.sql
    assert q.select(schema, dialect, ("",)).sql == empty.sql
    assert q.select(schema, dialect, ("c",)).params == {"p0": "c"}
    assert sum(len(plans) for plans in q._plans.values()) == 2


@pytest.mark.parametrize(
    ("entity", "xpath", "index"),
    [
        ("Customer", "[Name = 'bob']", "ix:Shop.Customer:Name"),
        ("Order", "[Status = 'Open']", "ix:Shop.Order:Status,PlacedAt"),
        ("Order", "[Shop.Order_Customer = $c]", "ix:o:Shop.Order:Shop.Order_Customer"),
    ],
)
async def test_indexed_constraints_use_the_index(
    store: Harness, entity: str, xpath: str, index: str
) -> None:
    if store.path is None:
        pytest.skip("a query plan of the device store")
    q = query(entity, xpath)
    select = q.select(store.store.schema, store.store.dialect, values(q, ENV))
    plan = " ".join(
        str(row[-1]) for row in store.sql(f"EXPLAIN QUERY PLAN {select.sql}", select.params)
    )
    assert f"USING INDEX {index}" in plan
