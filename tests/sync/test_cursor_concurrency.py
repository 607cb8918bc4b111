"""The download cursor never skips a change that commits late (SYNC.md 3), on PostgreSQL with two
server app instances on one database (each its own engine and connection pool, as two
`nanoflow serve` processes): writers through both — microflow calls, device uploads, and
transactions that hold their change number for a while before committing — while a device
downloads through the endpoint; after a last synchronization the device holds every change.

The first test pins the late commit down step by step and also runs it against a naive numbering
(a database SEQUENCE, with the highest number handed out as the watermark), where the change is
lost: the test can tell the difference."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_support import fresh_schema
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from sync_support import Device, Server, serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.database import ServerDatabase
from nanoflow.server.execution import Caller, open_session
from nanoflow.server.store import ServerStore
from nanoflow.server.urls import DatabaseTarget, resolve
from nanoflow.source import SourceFile

SOURCE = """
module Cur
role Clerk
entity Item { Writer: String  N: Integer }
access Item for Clerk { create, read *, write * }
offline { Item: all }
microflow Add($writer: String, $n: Integer) allow Clerk {
  $i = create Item (Writer = $writer, N = $n)
  commit $i
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("cur.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@pytest.fixture
async def pg_target(tmp_path: Path) -> AsyncIterator[DatabaseTarget]:
    async with fresh_schema() as url:
        yield resolve(url, tmp_path)


@contextlib.asynccontextmanager
async def two_servers(app: App, target: DatabaseTarget) -> AsyncIterator[tuple[Server, Server]]:
    async with serve(app, target) as one, serve(app, target) as two:
        await one.users.add("ann", "ann-pw", ["Cur.Clerk"])
        await one.users.add("bob", "bob-pw", ["Cur.Clerk"])
        yield one, two


async def late_writer(db: ServerDatabase, writer: str, hold: Callable[[], Awaitable[Any]]) -> None:
    """Commit one item in a transaction that takes its change number, then waits for `hold`
    before it commits."""
    async with db.write() as conn:
        store = ServerStore(db, conn)
        user = await _user(conn, "ann")
        session = await open_session(db, store, Caller(user, "ann", ("Cur.Clerk",)))
        item = session.create("Cur.Item", {"Writer": writer, "N": 0})
        await session.commit(item, "$item")
        await hold()


async def _user(conn: AsyncConnection, name: str) -> str:
    found = await conn.execute(text("SELECT id FROM nf_users WHERE name = :n"), {"n": name})
    return str(found.scalar_one())


async def call_add(client: httpx.AsyncClient, token: str, writer: str, n: int) -> None:
    answer = await client.post(
        "/api/v1/microflows/Cur.Add",
        json={"arguments": {"writer": writer, "n": n}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text


async def login(client: httpx.AsyncClient, user: str) -> str:
    answer = await client.post("/api/v1/login", json={"user": user, "password": f"{user}-pw"})
    return str(answer.json()["token"])


async def on_device(device: Device) -> set[str]:
    with contextlib.closing(sqlite3.connect(device.store.path)) as conn:
        return {r[0] for r in conn.execute('SELECT id FROM "o:Cur.Item"')}


async def on_server(db: ServerDatabase) -> set[str]:
    async with db.read() as conn:
        return {r[0] for r in (await conn.execute(text('SELECT id FROM "o:Cur.Item"'))).all()}


async def late_commit_scenario(one: Server, two: Server, device: Device) -> set[str]:
    """A transaction on server one takes its number and waits; a microflow call on server two
    commits meanwhile (or waits its turn); the device downloads; then the first commits and the
    device downloads again. The ids the device is missing."""
    release = asyncio.Event()
    taken = asyncio.Event()

    async def hold() -> None:
        taken.set()
        await release.wait()

    first = asyncio.create_task(late_writer(one.db, "late", hold))
    await taken.wait()
    async with two.client() as client:
        token = await login(client, "bob")
        second = asyncio.create_task(call_add(client, token, "quick", 1))
        await asyncio.wait([second], timeout=0.5)  # done at once only with naive numbering
        await device.synchronize()
        release.set()
        await first
        await second
    await device.synchronize()
    return await on_server(one.db) - await on_device(device)


async def test_a_late_commit_is_not_skipped(
    app: App, pg_target: DatabaseTarget, tmp_path: Path
) -> None:
    async with (
        two_servers(app, pg_target) as (one, two),
        two.device(tmp_path / "ann.db", "ann", "ann-pw") as device,
    ):
        await device.synchronize()
        assert await late_commit_scenario(one, two, device) == set()
        assert len(await on_device(device)) == 2


async def test_naive_numbering_would_lose_the_late_commit(
    app: App, pg_target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same steps with numbers from a SEQUENCE (handed out at `nextval`, not in commit
    order) and its last value as the watermark: the late change slips below the cursor."""

    async def naive_next(self: ServerDatabase, conn: AsyncConnection) -> int:
        return int((await conn.execute(text("SELECT nextval('nf_naive')"))).scalar_one())

    async def naive_watermark(self: ServerDatabase, conn: AsyncConnection) -> int:
        return int((await conn.execute(text("SELECT last_value FROM nf_naive"))).scalar_one())

    async with two_servers(app, pg_target) as (one, two):
        async with one.db.write() as conn:
            top = (await conn.execute(text("SELECT n FROM nf_counter"))).scalar_one()
            await conn.execute(text(f"CREATE SEQUENCE nf_naive START {int(top) + 1}"))
        async with two.device(tmp_path / "ann.db", "ann", "ann-pw") as device:
            await device.synchronize()
            monkeypatch.setattr(ServerDatabase, "next_sequence", naive_next)
            monkeypatch.setattr(ServerDatabase, "watermark", naive_watermark)
            missing = await late_commit_scenario(one, two, device)
            assert len(missing) == 1  # the late one: this is what the real numbering prevents


async def test_concurrent_writers_through_two_servers_lose_nothing(
    app: App, pg_target: DatabaseTarget, tmp_path: Path
) -> None:
    rng = random.Random(7)
    async with two_servers(app, pg_target) as (one, two):
        clients = [one.client(), two.client()]
        tokens = [await login(c, "bob") for c in clients]
        done = asyncio.Event()

        async def calls(k: int) -> None:
            for n in range(8):
                await call_add(clients[k % 2], tokens[k % 2], f"call{k}", n)

        async def late(k: int) -> None:
            for _ in range(4):
                db = (one.db, two.db)[k % 2]
                await late_writer(db, f"late{k}", lambda: asyncio.sleep(rng.random() / 20))

        async def uploads(device: Device) -> None:
            for n in range(4):
                item = device.session.create("Cur.Item", {"Writer": "upload", "N": n})
                await device.session.commit(item, "$item")
                await device.synchronize()

        async with (
            two.device(tmp_path / "ann.db", "ann", "ann-pw") as reader,
            one.device(tmp_path / "bob.db", "bob", "bob-pw") as uploader,
        ):
            await reader.synchronize()

            async def keep_downloading() -> int:
                rounds = 0
                while not done.is_set():
                    await reader.synchronize()
                    rounds += 1
                    await asyncio.sleep(0.005)
                return rounds

            downloading = asyncio.create_task(keep_downloading())
            await asyncio.gather(
                *(calls(k) for k in range(4)), *(late(k) for k in range(4)), uploads(uploader)
            )
            done.set()
            rounds = await downloading
            await reader.synchronize()
            stored = await on_server(one.db)
            assert len(stored) == 4 * 8 + 4 * 4 + 4
            assert await on_device(reader) == stored
            assert rounds >= 2  # the device downloaded while the writers wrote
        for client in clients:
            await client.aclose()
