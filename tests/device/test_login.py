"""A runtime with a sync server: login, the store bound to one user on one server, the cached
session for offline use, expired tokens (SYNC.md 1a; LANGUAGE.md 10)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from device_support import Server

import nanoflow
from nanoflow.api import Runtime
from nanoflow.compiler import App
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.session import LOCAL_USER_ID
from nanoflow.runtime.sync.errors import AuthenticationFailed
from nanoflow.runtime.sync.login import ServerConnectionError, ServerLink, StoreBound
from nanoflow.server.sessions import utc_now

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def unreachable(password: str | None) -> ServerLink:
    return ServerLink(httpx.AsyncClient(base_url=UNREACHABLE), UNREACHABLE, password, retries=0)


async def bind_alice(server: Server, app: App, store: Path) -> str:
    """Alice (Inspector, Amsterdam) logs in once: the store is hers; returns her id."""
    alice = await server.add_user("alice", "s3cret", ["Field.Inspector"], "Europe/Amsterdam")
    async with Runtime(app, store=store, link=server.link("s3cret"), user="alice") as rt:
        assert rt.online
        await rt.call("NewNote", text="first")
    return alice


async def test_login_binds_the_store_and_flows_run_as_the_user(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    alice = await server.add_user("alice", "s3cret", ["Field.Inspector"], "Europe/Amsterdam")
    store = tmp_path / "device.sqlite"
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice") as rt:
        assert rt.online
        assert await rt.call("Whoami") == "alice"
        note = await rt.call("NewNote", text="hello")
        assert note["System.owner"] == alice != LOCAL_USER_ID
        assert rt.current_user is not None and rt.current_user.id == alice
        assert rt.roles == ["Field.Inspector"]
        assert str(rt.ctx.timezone) == "Europe/Amsterdam"
        with pytest.raises(FlowError, match="may not run"):
            await rt.call("ManagersOnly")
        assert rt.store is not None
        meta = {k: await rt.store.get_meta(k) for k in ("server_id", "user_id", "device_id")}
        assert meta == {
            "server_id": server.db.server_id,
            "user_id": alice,
            "device_id": rt.session.device_id if rt.session else None,
        }
        device_id = meta["device_id"]
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="ALICE") as rt:
        assert rt.session is not None
        assert rt.session.device_id == device_id  # the device keeps its server-issued id


async def test_an_explicit_timezone_wins_over_the_users(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await server.add_user("alice", "s3cret", ["Field.Inspector"], "Europe/Amsterdam")
    async with Runtime(
        field_app, store=tmp_path / "d.sqlite", link=server.link("s3cret"), user="alice",
        timezone="Asia/Tokyo",
    ) as rt:  # fmt: skip
        assert str(rt.ctx.timezone) == "Asia/Tokyo"


async def test_a_store_refuses_another_user_and_keeps_its_data(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    await server.add_user("bob", "hunter2", ["Field.Manager"])
    with pytest.raises(StoreBound) as refused:
        await Runtime(field_app, store=store, link=server.link("hunter2"), user="bob").open()
    message = str(refused.value)
    assert "`alice`" in message and "`bob`" in message and str(store) in message
    assert "Nothing was changed" in message
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice") as rt:
        notes = await rt.retrieve("Field.Note")
        assert [n["Text"] for n in notes] == ["first"]


async def test_a_store_refuses_another_server_naming_both(
    server: Server, other_server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    await other_server.add_user("alice", "s3cret", ["Field.Inspector"])
    link = other_server.link("s3cret", label="http://other.test")
    with pytest.raises(StoreBound) as refused:
        await Runtime(field_app, store=store, link=link, user="alice").open()
    message = str(refused.value)
    assert server.db.server_id in message and other_server.db.server_id in message
    assert "http://other.test" in message
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice") as rt:
        assert [n["Text"] for n in await rt.retrieve("Field.Note")] == ["first"]


async def test_offline_open_runs_flows_with_the_cached_session(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    alice = await bind_alice(server, field_app, store)
    async with Runtime(field_app, store=store, link=unreachable("s3cret"), user="alice") as rt:
        assert not rt.online
        assert await rt.call("Whoami") == "alice"
        assert rt.roles == ["Field.Inspector"]
        assert str(rt.ctx.timezone) == "Europe/Amsterdam"
        note = await rt.call("NewNote", text="offline")
        assert note["System.owner"] == alice
        message = await rt.call("Sync")  # handled by the flow's error handler
        assert "cannot be reached" in message and UNREACHABLE in message
        assert "cannot be reached" in await rt.call("AskSafely")
        with pytest.raises(FlowError, match="cannot be reached"):
            await rt.call("Ask")
        assert len(await rt.retrieve("Field.Note")) == 2  # nothing lost


async def test_offline_open_without_a_cached_session_fails_clearly(
    field_app: App, tmp_path: Path
) -> None:
    with pytest.raises(ServerConnectionError) as failed:
        await Runtime(
            field_app, store=tmp_path / "d.sqlite", link=unreachable("pw"), user="alice"
        ).open()
    message = str(failed.value)
    assert "cannot be reached" in message and "no session of user `alice`" in message


async def test_a_wrong_password_is_refused_even_with_a_cached_session(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    with pytest.raises(ServerConnectionError, match="user name or password is incorrect"):
        await Runtime(field_app, store=store, link=server.link("wrong"), user="alice").open()


async def test_without_a_password_the_cached_token_is_used(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    async with Runtime(field_app, store=store, link=server.link(None), user="alice") as rt:
        assert rt.online  # the cached token still holds
        assert await rt.call("Whoami") == "alice"


async def test_without_a_password_or_session_open_fails_clearly(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    with pytest.raises(ServerConnectionError, match="no password was given"):
        await Runtime(
            field_app, store=tmp_path / "d.sqlite", link=server.link(None), user="alice"
        ).open()


async def test_an_expired_token_logs_in_again_with_the_password(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice") as rt:
        old = rt.sync.transport.token  # type: ignore[attr-defined]
        server.now[0] = utc_now() + timedelta(days=8)
        answer = await rt.sync.transport.session()  # type: ignore[attr-defined]
        assert answer.user_name == "alice"
        assert rt.sync.transport.token != old  # type: ignore[attr-defined]
        assert rt.store is not None
        cached = await rt.store.get_meta("session")
        assert cached["token"] == rt.sync.transport.token  # type: ignore[attr-defined]


async def test_an_expired_token_without_a_password_is_a_clear_error(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    await bind_alice(server, field_app, store)
    server.now[0] = utc_now() + timedelta(days=8)
    async with Runtime(field_app, store=store, link=server.link(None), user="alice") as rt:
        assert not rt.online  # opens on the cached session
        assert await rt.call("Whoami") == "alice"
        with pytest.raises(AuthenticationFailed, match="expired or was revoked"):
            await rt.sync.transport.session()  # type: ignore[attr-defined]


async def test_a_bound_store_opened_without_a_server_runs_as_its_user(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    store = tmp_path / "device.sqlite"
    alice = await bind_alice(server, field_app, store)
    async with Runtime(field_app, store=store) as rt:
        assert await rt.call("Whoami") == "alice"
        assert (await rt.call("NewNote", text="x"))["System.owner"] == alice
        with pytest.raises(nanoflow.MendixError, match="no sync server connection"):
            async for _ in rt.synchronize():
                pass
    with pytest.raises(StoreBound, match="`alice`"):
        await Runtime(field_app, store=store, user="bob").open()


async def test_a_local_runtime_keeps_the_local_user(field_app: App, tmp_path: Path) -> None:
    async with Runtime(field_app, store=tmp_path / "d.sqlite") as rt:
        assert await rt.call("Whoami") == "local"
        assert rt.current_user is not None and rt.current_user.id == LOCAL_USER_ID
        assert rt.session is None and not rt.online


def test_server_must_be_an_http_url(field_app: App) -> None:
    with pytest.raises(ValueError, match="http:// or https:// URL"):
        Runtime(field_app, server="ftp://example.com")
