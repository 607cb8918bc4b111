"""`synchronize all` through the runtime, end to end against the real server (in-process): the
first sync at open, uploads and downloads by the users' rules, refused changes listed by
`rt.failures()`, one synchronization at a time, renewed tokens."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from device_support import Server

from nanoflow.api import Runtime
from nanoflow.compiler import App
from nanoflow.runtime.sync.engine import SIMULTANEOUS
from nanoflow.runtime.sync.login import ServerLink
from nanoflow.server.sessions import utc_now


async def users(server: Server) -> None:
    await server.add_user("alice", "s3cret", ["Field.Inspector"])
    await server.add_user("bob", "hunter2", ["Field.Manager"])


async def test_changes_go_up_and_a_new_device_gets_them_at_its_first_sync(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "alice.sqlite", link=server.link("s3cret"), user="alice"
    ) as alice:
        task = await alice.call("NewTask", title="inspect the roof")
        phases = [p.phase async for p in alice.synchronize()]
        assert "upload" in phases and phases[-1] == "done"
        assert alice.store is not None and await alice.store.pending_changes() == []
    async with Runtime(
        field_app, store=tmp_path / "bob.sqlite", link=server.link("hunter2"), user="bob"
    ) as bob:
        assert await bob.call("CountTasks") == 1  # downloaded before any flow ran
        [seen] = await bob.retrieve("Field.Task")
        assert seen.id == task.id and seen["Title"] == "inspect the roof"
        assert bob.store is not None
        assert (await bob.store.get_meta("full_sync"))["downloaded"] == 1


async def test_a_refused_change_is_listed_and_the_object_back_at_the_servers_state(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "alice.sqlite", link=server.link("s3cret"), user="alice"
    ) as alice:
        task = await alice.call("NewTask", title="roof")
        async for _ in alice.synchronize():
            pass
        await alice.call("Finish", task=task)  # Done is not writable for an Inspector
        assert await alice.call("Sync") == "ok"  # a refused change is not an error
        [failure] = await alice.failures()
        assert failure.object_id == task.id and failure.entity == "Field.Task"
        assert failure.kind == "changed" and "not writable" in failure.reason
        assert task["Done"] is False  # back at the server's state
        assert alice.store is not None
        last = await alice.store.get_meta("last_sync")
        assert last["failed"] == 1 and last["uploaded"] == 0


async def test_failures_come_from_the_server_and_from_the_device_when_it_is_unreachable(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "phone.sqlite", link=server.link("s3cret"), user="alice"
    ) as phone:
        task = await phone.call("NewTask", title="roof")
        assert await phone.call("Sync") == "ok"
        await phone.call("Finish", task=task)
        assert await phone.call("Sync") == "ok"  # refused: Done is not writable
    # another device of the same user never recorded the refusal: the server lists it
    tablet = tmp_path / "tablet.sqlite"
    async with Runtime(field_app, store=tablet, link=server.link("s3cret"), user="alice") as rt:
        [failure] = await rt.failures()
        assert failure.source == "server" and failure.failure_id is not None
        assert failure.object_id == task.id and failure.kind == "changed"
        assert "not writable" in failure.reason
    # the server out of reach: the tablet's own (empty) record, the phone's one refusal
    for store, expected in ((tablet, []), (tmp_path / "phone.sqlite", [task.id])):
        unreachable = ServerLink(
            httpx.AsyncClient(base_url="http://127.0.0.1:9"), "http://127.0.0.1:9", retries=0
        )
        async with Runtime(field_app, store=store, link=unreachable, user="alice") as rt:
            assert not rt.online
            found = await rt.failures()
            assert [f.object_id for f in found] == expected
            assert all(f.source == "device" and f.failure_id is None for f in found)


async def test_a_second_synchronization_fails_with_mendix_message(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "alice.sqlite", link=server.link("s3cret"), user="alice"
    ) as alice:
        await alice.call("NewTask", title="one")

        async def iterate() -> str:
            try:
                async for _ in alice.synchronize():
                    await asyncio.sleep(0)
            except Exception as error:  # the one that lost the race
                return str(error)
            return "ok"

        results = await asyncio.gather(iterate(), alice.call("Sync"))
        assert sorted(results) == sorted(["ok", SIMULTANEOUS])
        assert alice.store is not None and await alice.store.pending_changes() == []


async def test_an_expired_token_is_renewed_during_a_sync(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "alice.sqlite", link=server.link("s3cret"), user="alice"
    ) as alice:
        await alice.call("NewTask", title="late")
        server.now[0] = utc_now() + timedelta(days=8)
        assert await alice.call("Sync") == "ok"
        assert alice.store is not None and await alice.store.pending_changes() == []


async def test_an_expired_token_without_a_password_fails_the_sync_clearly(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    store = tmp_path / "alice.sqlite"
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice"):
        pass
    server.now[0] = utc_now() + timedelta(days=8)
    async with Runtime(field_app, store=store, link=server.link(None), user="alice") as alice:
        await alice.call("NewTask", title="kept")
        message = await alice.call("Sync")
        assert "expired or was revoked" in message and "password" in message
        assert alice.store is not None and len(await alice.store.pending_changes()) == 1


async def test_call_microflow_runs_on_the_server(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await users(server)
    async with Runtime(
        field_app, store=tmp_path / "alice.sqlite", link=server.link("s3cret"), user="alice"
    ) as alice:
        assert await alice.call("Ask") == 42
        assert await alice.call("AskSafely") == "answered"
