"""Access rules compiled to SQL give exactly what a plain-Python reading of the rules gives,
for random rule sets, roles and data (the SQL is never used to compute the expectation)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.query import SQLITE
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.store.codec import sql_fold
from nanoflow.runtime.store.schema import Schema
from nanoflow.server.access import AccessRules, UserAccess
from nanoflow.source import SourceFile

USERS = ["u1", "u2"]
CONSTRAINTS = {
    "none": ("", lambda o, c, u: True),
    "mine": ("where [System.owner = '[%CurrentUser%]']", lambda o, c, u: o["owner"] == u),
    "big": ("where [Qty > 5]", lambda o, c, u: o["Qty"] > 5),
    "named": ("where [Note = 'RED']", lambda o, c, u: (o["Note"] or "").lower() == "red"),
    "active customer": (
        "where [Order_Customer/Customer/Active = true]",
        lambda o, c, u: o["customer"] is not None and c[o["customer"]]["Active"],
    ),
    "not big or mine": (
        "where [not(Qty > 5) or System.owner = '[%CurrentUser%]']",
        lambda o, c, u: not o["Qty"] > 5 or o["owner"] == u,
    ),
}


def source(rules: dict[str, str]) -> str:
    text = """
module Shop
role Clerk
role Boss
entity Customer { Active: Boolean }
entity Order with owner { Qty: Integer  Note: String }
association Order_Customer from Order to Customer
access Customer for Clerk { read * }
access Customer for Boss { read * }
offline {
  Customer: all
  Order: all
}
"""
    for role, key in rules.items():
        text += f"access Order for {role} {{ read * {CONSTRAINTS[key][0]} }}\n"
    return text


def compiled(text: str) -> App:
    result = compile_sources([SourceFile("shop.nf", text)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


orders = st.lists(
    st.fixed_dictionaries(
        {
            "Qty": st.integers(0, 10),
            "Note": st.sampled_from([None, "red", "RED", "blue"]),
            "owner": st.sampled_from(USERS),
            "customer": st.sampled_from([None, "c0", "c1"]),
        }
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(
    rules=st.dictionaries(st.sampled_from(["Clerk", "Boss"]), st.sampled_from(list(CONSTRAINTS))),
    roles=st.sets(st.sampled_from(["Shop.Clerk", "Shop.Boss"])),
    user=st.sampled_from(USERS),
    data=orders,
    active=st.tuples(st.booleans(), st.booleans()),
)
def test_read_rules_match_a_plain_reading(
    rules: dict[str, str],
    roles: set[str],
    user: str,
    data: list[dict[str, Any]],
    active: tuple[bool, bool],
) -> None:
    app = compiled(source(rules))
    customers = {"c0": {"Active": active[0]}, "c1": {"Active": active[1]}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.sqlite"
        asyncio.run(fill(app, path, customers, data))
        access = UserAccess(AccessRules(app.names), user, roles)
        schema = Schema(app.names)
        layout = schema.layout("Shop.Order")
        cond, params = access.read_condition(schema, SQLITE, layout)
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.create_function("nf_lower", 1, sql_fold, deterministic=True)
            got = {
                r[0] for r in db.execute(f'SELECT t.id FROM "o:Shop.Order" t WHERE {cond}', params)
            }
    expected = set()
    for n, order in enumerate(data):
        for role, key in rules.items():
            if f"Shop.{role}" in roles and CONSTRAINTS[key][1](order, customers, user):
                expected.add(f"o{n}")
    assert got == expected


async def fill(
    app: App, path: Path, customers: dict[str, dict[str, Any]], data: list[dict[str, Any]]
) -> None:
    from nanoflow.runtime.values import MxObject

    store = await DeviceStore.open(path, app)
    try:
        session = Session(app, store=store)
        objects = [MxObject("Shop.Customer", i, dict(v)) for i, v in customers.items()]
        for n, order in enumerate(data):
            values = {"Qty": order["Qty"], "Note": order["Note"], "System.owner": order["owner"]}
            values["Shop.Order_Customer"] = order["customer"]
            objects.append(MxObject("Shop.Order", f"o{n}", values))
        await session.commit(objects, "the data")
    finally:
        await store.close()
