"""Runtime targets (issue 3): the executor loop and the offline store, each against a floor
measured in the same run."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from harness import Context, Result, Target

from nanoflow.compiler import App, compile_sources
from nanoflow.source import SourceFile

LOOP_ITERATIONS = 1_000_000
LOOP_TARGET = 5.0
STORE_OBJECTS = 10_000
STORE_TARGET = 2.0

APP = """module Bench
entity Item {
  Number: Integer
  Name: String(100)
  Price: Decimal
  Active: Boolean
  index (Number)
}
offline { Item: all }

nanoflow Loop($n: Integer) returns Integer {
  declare $i: Integer = 0
  declare $sevens: Integer = 0
  while $i < $n {
    set $i = $i + 1
    if $i mod 7 = 0 {
      set $sevens = $sevens + 1
    }
  }
  return $sevens
}

nanoflow Fill($n: Integer) {
  $items = create list of Item
  declare $i: Integer = 0
  while $i < $n {
    set $i = $i + 1
    $item = create Item (Number = $i, Name = 'item ' + toString($i), Price = $i * 1.25,
                         Active = $i mod 2 = 0)
    add $item to $items
  }
  commit $items
}

nanoflow Select($low: Integer, $high: Integer) returns Integer {
  $found = retrieve Item where [Number >= $low and Number < $high]
  return count($found)
}
"""


def _app() -> App:
    result = compile_sources([SourceFile("bench.nf", APP)])
    assert result.app is not None, result.diagnostics
    return result.app


async def _python_loop(n: int) -> int:
    """The same integer work as the `Loop` nanoflow, hand-written."""
    i = 0
    sevens = 0
    while i < n:
        i = i + 1
        if i % 7 == 0:
            sevens = sevens + 1
    return sevens


def target_loop(ctx: Context) -> list[Result]:
    from nanoflow.runtime.session import Session as Runtime

    app = _app()
    n = LOOP_ITERATIONS // (10 if ctx.quick else 1)

    async def ours() -> None:
        async with Runtime(app) as rt:
            rt.compiled("Bench.Loop")
            start = time.perf_counter()
            result = await rt.call("Bench.Loop", n=n)
            timings.append(time.perf_counter() - start)
            assert result == n // 7

    async def floor() -> None:
        start = time.perf_counter()
        await _python_loop(n)
        floors.append(time.perf_counter() - start)

    timings: list[float] = []
    floors: list[float] = []
    for _ in range(ctx.runs):
        asyncio.run(ours())
        asyncio.run(floor())
    ratio = min(timings) / min(floors)
    detail = f"nanoflow {min(timings):.3f} s, Python {min(floors):.3f} s, {n:,} iterations"
    return [Result("executor loop / hand-written async def", ratio, LOOP_TARGET, detail=detail)]


async def _raw_store(path: Path, n: int) -> tuple[float, float]:
    """Raw aiosqlite: executemany of the same rows, then SELECT on an indexed column."""
    import aiosqlite

    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(
            "CREATE TABLE item (id TEXT PRIMARY KEY, number INTEGER, name TEXT, price TEXT, "
            "active INTEGER)"
        )
        await db.execute("CREATE INDEX item_number ON item(number)")
        rows = [
            (str(uuid.uuid4()), i, f"item {i}", f"{i * 1.25:.2f}", i % 2) for i in range(1, n + 1)
        ]
        start = time.perf_counter()
        await db.execute("BEGIN IMMEDIATE")
        await db.executemany("INSERT INTO item VALUES (?, ?, ?, ?, ?)", rows)
        await db.commit()
        insert = time.perf_counter() - start
        start = time.perf_counter()
        cursor = await db.execute(
            "SELECT id, number, name, price, active FROM item WHERE number >= ? AND number < ?",
            (1, n + 1),
        )
        fetched = await cursor.fetchall()
        select = time.perf_counter() - start
        assert len(fetched) == n
    return insert, select


def target_store(ctx: Context) -> list[Result]:
    from nanoflow.runtime.session import Session as Runtime

    app = _app()
    n = STORE_OBJECTS // (5 if ctx.quick else 1)
    commits: list[float] = []
    selects: list[float] = []
    raw_inserts: list[float] = []
    raw_selects: list[float] = []

    async def ours(path: Path) -> None:
        async with Runtime(app, store=path) as rt:
            items = [
                rt.create(
                    "Bench.Item",
                    {
                        "Number": i,
                        "Name": f"item {i}",
                        "Price": Decimal(i) * Decimal("1.25"),
                        "Active": i % 2 == 0,
                    },
                )
                for i in range(1, n + 1)
            ]
            start = time.perf_counter()
            await rt.commit(items, "$items")
            commits.append(time.perf_counter() - start)
            rt.objects.clear()
            del items
            rt.compiled("Bench.Select")  # flows compile once per runtime, before they run
            start = time.perf_counter()
            count = await rt.call("Bench.Select", low=1, high=n + 1)
            selects.append(time.perf_counter() - start)
            assert count == n

    for _ in range(ctx.runs):
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(ours(Path(tmp) / "device.sqlite"))
            insert, select = asyncio.run(_raw_store(Path(tmp) / "raw.sqlite", n))
            raw_inserts.append(insert)
            raw_selects.append(select)
    commit_ratio = min(commits) / min(raw_inserts)
    select_ratio = min(selects) / min(raw_selects)
    return [
        Result(
            f"store: commit {n:,} new objects as one list / raw executemany",
            commit_ratio,
            STORE_TARGET,
            detail=f"ours {min(commits):.3f} s, raw {min(raw_inserts):.3f} s",
        ),
        Result(
            f"store: retrieve {n:,} by indexed XPath / raw SELECT",
            select_ratio,
            STORE_TARGET,
            detail=f"ours {min(selects):.3f} s, raw {min(raw_selects):.3f} s",
        ),
    ]


FOLLOW_ENTITIES = 15


def _follow_app() -> App:
    others = "\n".join(f"entity Other{i} {{ Name: String }}" for i in range(FOLLOW_ENTITIES - 2))
    offline = "\n".join(f"  Other{i}: all" for i in range(FOLLOW_ENTITIES - 2))
    source = (
        "module Shop\nentity Order { Number: Integer }\nentity Tag { Name: String }\n"
        f"{others}\nassociation Order_Tags from Order to many Tag\n"
        f"offline {{\n  Order: all\n  Tag: all\n{offline}\n}}\n"
        "nanoflow Tags($order: Order) returns Integer { return count($order/Order_Tags) }\n"
    )
    result = compile_sources([SourceFile("follow.nf", source)])
    assert result.app is not None, result.diagnostics
    return result.app


def target_follow(ctx: Context) -> list[Result]:
    """SQL statements to follow a reference set of 3 tags from a stored order, in an app of
    15 entities (it was 44 when `get` tried every table)."""
    from nanoflow.runtime.session import Session
    from nanoflow.runtime.store import DeviceStore

    app = _follow_app()

    async def count(path: Path) -> int:
        store = await DeviceStore.open(path, app)
        try:
            async with Session(app, store=store) as setup:
                tags = [setup.create("Shop.Tag", {"Name": f"t{i}"}) for i in range(3)]
                order = setup.create("Shop.Order", {"Shop.Order_Tags": tags})
                await setup.commit([*tags, order], "the objects")
                order_id = order.id
            seen: list[str] = []
            async with Session(app, store=store) as session:
                [loaded] = await session.load_many([order_id], "Shop.Order")
                await store.trace(seen.append)
                assert await session.call("Shop.Tags", order=loaded) == 3
                await store.trace(None)
            return len(seen)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as tmp:
        statements = asyncio.run(count(Path(tmp) / "device.sqlite"))
    return [
        Result(
            f"follow $order/Order_Tags (3 tags, {FOLLOW_ENTITIES} entities): SQL statements",
            statements,
            1,
            unit="",
            detail="one query by the target entity, whatever the app's size",
        )
    ]


TARGETS = [
    Target("loop", "a 1,000,000-iteration nanoflow loop vs a hand-written async def", target_loop),
    Target("store", "commit 10,000 objects and retrieve them vs raw aiosqlite", target_store),
    Target("follow", "statements to follow a reference set in a 15-entity app", target_follow),
]
