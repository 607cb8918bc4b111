"""`nanoflow.LocalServer`: an app's sync server in this process, with users of chosen roles, for
several runtimes (devices) at once; its database stays usable by `nanoflow serve`."""

from __future__ import annotations

from pathlib import Path

import pytest

import nanoflow
from nanoflow.compiler import App
from nanoflow.server import UserError
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve


async def test_two_runtimes_are_devices_of_one_local_server_with_their_users_roles(
    field_app: App, tmp_path: Path
) -> None:
    async with nanoflow.LocalServer(field_app, tmp_path / "server.sqlite") as server:
        await server.add_user("alice", "a-pw", ["Field.Inspector"])
        await server.add_user("bob", "b-pw", ["Field.Manager"])
        async with nanoflow.Runtime(
            field_app, store=tmp_path / "alice.sqlite", user="alice", link=server.link("a-pw")
        ) as alice:
            assert alice.roles == ["Field.Inspector"]  # not every role, as the embedded server
            await alice.call("NewTask", title="roof")
            assert await alice.call("Sync") == "ok"
            with pytest.raises(nanoflow.FlowError, match="may not run"):
                await alice.call("ManagersOnly")
        async with nanoflow.Runtime(
            field_app, store=tmp_path / "bob.sqlite", user="bob", link=server.link("b-pw")
        ) as bob:
            assert await bob.call("CountTasks") == 1  # alice's task, at bob's first sync
    # an ordinary server database: `nanoflow serve` opens it
    db = await ServerDatabase.open(field_app, resolve(str(tmp_path / "server.sqlite"), tmp_path))
    await db.close()


async def test_a_wrong_password_is_refused(field_app: App, tmp_path: Path) -> None:
    async with nanoflow.LocalServer(field_app, tmp_path / "server.sqlite") as server:
        await server.add_user("alice", "a-pw", ["Field.Inspector"])
        with pytest.raises(nanoflow.StoreError, match="cannot log in"):
            async with nanoflow.Runtime(
                field_app, store=tmp_path / "alice.sqlite", user="alice",
                link=server.link("wrong"),
            ):  # fmt: skip
                pass


async def test_users_are_checked_as_by_nanoflow_users_add(field_app: App, tmp_path: Path) -> None:
    async with nanoflow.LocalServer(field_app, tmp_path / "server.sqlite") as server:
        with pytest.raises(UserError, match=r"unknown role `Field\.Boss`"):
            await server.add_user("alice", "a-pw", ["Field.Boss"])
        await server.add_user("alice", "a-pw", ["Field.Inspector"])
        with pytest.raises(UserError):
            await server.add_user("Alice", "other", ["Field.Inspector"])


def test_a_closed_local_server_gives_no_link(field_app: App, tmp_path: Path) -> None:
    server = nanoflow.LocalServer(field_app, tmp_path / "server.sqlite")
    with pytest.raises(RuntimeError, match="not open"):
        server.link("pw")
