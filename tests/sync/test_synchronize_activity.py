"""The Synchronize activity, sentence by sentence of Mendix's page
(../shared/seed/synchronize-activity.md), through nanoflows on real devices and a real server.
Each test is named after the sentence it shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sync_support import Device, Server, serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Field
role Inspector
role Admin
entity Site with owner {
  Name: String(60) required
  Checked: Boolean
  Stamp: String
  on before commit BCo_Site
}
entity Note with owner { Text: String }
access Site for Inspector {
  create, delete, read *, write (Name, Checked) where [System.owner = '[%CurrentUser%]']
}
access Site for Admin { create, delete, read *, write * }
access Note for Inspector { create, read *, write * where [System.owner = '[%CurrentUser%]'] }
access Note for Admin { read *, write *, delete }
offline {
  Site: all
  Note: all
}

microflow BCo_Site($site: Site) returns Boolean {
  change $site (Stamp = 'seen by the server: ' + toString($site/Checked))
  return true
}

nanoflow SyncOne($site: Site) returns Boolean {
  synchronize $site
  return $site != empty
}

nanoflow SyncList($sites: List of Site) returns Integer {
  synchronize $sites
  return count($sites)
}

nanoflow SyncAllHandled() returns String {
  synchronize all on error {
    return $latestError
  }
  return 'done'
}

nanoflow SyncUnsynchronized() {
  synchronize unsynchronized
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("field.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def users(server: Server) -> None:
    await server.users.add("ann", "ann-pw", ["Field.Inspector"])
    await server.users.add("root", "root-pw", ["Field.Admin"])


async def site(device: Device, name: str, commit: bool = True) -> object:
    obj = device.session.create("Field.Site", {"Name": name})
    if commit:
        await device.session.commit(obj, "$site")
    return obj


async def test_only_the_selected_objects_are_synchronized_in_both_directions(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            chosen = await site(ann, "North")
            other = await site(ann, "South")
            assert await ann.session.call("Field.SyncOne", site=chosen) is True
            pending = {c["$id"] for c in await ann.store.pending_changes()}
            assert pending == {other.id}  # only the selected one went up
            assert chosen["Stamp"] == "seen by the server: false"  # and came back refreshed


async def test_objects_that_have_not_been_committed_yet_are_skipped(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            fresh = await site(ann, "Draft", commit=False)
            assert await ann.session.call("Field.SyncList", sites=[fresh]) == 1
            assert fresh.committed is None and not fresh.removed  # nothing sent, nothing lost
        async with server.device(tmp_path / "root.db", "root", "root-pw") as root:
            await root.synchronize()
            assert (await root.store.summary()).get("Field.Site", {}).get("objects", 0) == 0


async def test_local_changes_go_to_the_server_then_the_local_copy_is_refreshed(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """(useful when the object was modified in a before/after event handler microflow)"""
    async with serve(app, target) as server:
        await users(server)
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            obj = await site(ann, "East")
            await ann.session.call("Field.SyncOne", site=obj)
            obj["Checked"] = True
            await ann.session.commit(obj, "$site")
            obj["Name"] = "East (not committed)"
            await ann.session.call("Field.SyncOne", site=obj)
            assert obj.committed is not None and obj.committed["Checked"] is True
            assert obj["Stamp"] == "seen by the server: true"  # set by the handler
            assert obj["Name"] == "East (not committed)"  # uncommitted edits stay on top


async def test_a_server_object_gone_from_the_server_is_removed_and_its_variable_becomes_empty(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """...and the server stores the discarded changes in System.SynchronizationFailure."""
    async with serve(app, target) as server:
        await users(server)
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            obj = await site(ann, "West")
            await ann.synchronize()
            await root.synchronize()
            theirs = await root.session.load(obj.id, "Field.Site")
            await root.session.delete(theirs, "$site")
            await root.synchronize()
            obj["Checked"] = True
            await ann.session.commit(obj, "$site")
            holder = [obj]
            assert await ann.session.call("Field.SyncOne", site=obj) is False
            assert obj.is_empty and [o for o in holder if not o.removed] == []
            assert await ann.session.load(obj.id, "Field.Site") is None
        async with server.db.read() as conn:
            rows = (
                await conn.execute(
                    text(
                        'SELECT "System.SynchronizationFailure.ObjectId", '
                        '"System.SynchronizationFailure.ObjectContent" '
                        'FROM "o:System.SynchronizationFailure"'
                    )
                )
            ).all()
        assert [r[0] for r in rows] == [obj.id]
        assert '"Checked": true' in rows[0][1]


async def test_objects_without_local_changes_are_refreshed_or_removed_when_gone(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            kept = await site(ann, "Kept")
            gone = await site(ann, "Gone")
            await ann.synchronize()
            await root.synchronize()
            theirs = await root.session.load(kept.id, "Field.Site")
            theirs["Checked"] = True
            await root.session.commit(theirs, "$site")
            await root.session.delete(await root.session.load(gone.id, "Field.Site"), "$s")
            await root.synchronize()
            assert await ann.session.call("Field.SyncList", sites=[kept, gone]) == 1
            assert kept["Checked"] is True
            assert gone.is_empty


async def test_simultaneous_synchronizations_fail_with_mendix_message_to_the_error_handler(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            for n in range(30):
                await site(ann, f"Site {n}")
            first = asyncio.create_task(ann.synchronize())
            while not ann.sync.running:
                await asyncio.sleep(0)
            message = await ann.session.call("Field.SyncAllHandled")
            assert message == (
                "Performing simultaneous synchronizations is not supported. Please try again "
                "after the current synchronization is completed."
            )
            await first  # the running one is not disturbed
            assert await ann.store.pending_changes() == []


async def test_synchronize_unsynchronized_uploads_and_refreshes_only_those_objects(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            mine = await site(ann, "Mine")
            await ann.session.call("Field.SyncUnsynchronized")
            assert mine["Stamp"] == "seen by the server: false"
            created = root.session.create("Field.Note", {"Text": "from root"})
            await root.session.commit(created, "$n")
            await root.synchronize()
            await ann.session.call("Field.SyncUnsynchronized")
            assert (await ann.store.summary()).get("Field.Note", {}).get("objects", 0) == 0
