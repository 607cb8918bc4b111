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
from nanoflow.runtime.sync.engine import SIMULTANEOUS
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
entity Plan extends System.FileDocument with owner { Title: String }
association Plan_Site from Plan to Site
access Site for Inspector {
  create, delete, read *, write (Name, Checked) where [System.owner = '[%CurrentUser%]']
}
access Site for Admin { create, delete, read *, write * }
access Note for Inspector { create, read *, write * where [System.owner = '[%CurrentUser%]'] }
access Note for Admin { read *, write *, delete }
access Plan for Inspector {
  create, read *, write * where [System.owner = '[%CurrentUser%]']
}
access Plan for Admin { read *, write * }
offline {
  Site: all
  Note: all
  Plan: all
}

microflow HandOver($name: String, $to: String) returns Boolean allow Admin {
  $site = retrieve first Site where [Name = $name]
  $user = retrieve first System.User where [Name = $to]
  change $site (System.owner = $user)
  commit $site
  return true
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

nanoflow SyncOneHandled($site: Site) returns String {
  synchronize $site on error {
    return $latestError
  }
  return 'done'
}

nanoflow HandOverSite($name: String, $to: String) returns Boolean {
  $done = call microflow HandOver(name = $name, to = $to)
  return $done
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


async def failure_ids(server: Server) -> list[str]:
    async with server.db.read() as conn:
        rows = await conn.execute(
            text(
                'SELECT "System.SynchronizationFailure.ObjectId" '
                'FROM "o:System.SynchronizationFailure"'
            )
        )
        return [str(r[0]) for r in rows.all()]


def test_this_activity_can_only_be_used_in_nanoflows() -> None:
    """(`synchronize` in a microflow is a compile error; the server pushes objects to a device
    with `synchronize to device`)"""
    source = (
        SOURCE
        + """
microflow FromTheServer() {
  synchronize all
}
"""
    )
    result = compile_sources([SourceFile("field.nf", source)])
    assert [d.code for d in result.errors] == ["NF502"]
    assert "microflows cannot use it" in result.errors[0].message


async def test_synchronize_all_updates_the_server_and_the_local_database_including_file_contents(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """Mendix: This mode synchronizes the entire local database. The server database is updated with
    the changes from the local database. The local database is updated with the latest data
    from the server, including the file contents."""
    async with serve(app, target) as server:
        await users(server)
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            mine = await site(ann, "Harbour")
            plan = ann.session.create("Field.Plan", {"Title": "floor", "Field.Plan_Site": mine})
            await ann.session.write_file(plan, b"floor plan v1")
            await ann.session.commit(plan, "$plan")
            await ann.synchronize()
            await root.synchronize()  # the server got both, with the contents
            theirs = await root.session.load(mine.id, "Field.Site")
            their_plan = await root.session.load(plan.id, "Field.Plan")
            assert theirs is not None and their_plan is not None
            assert await root.session.read_file(their_plan) == b"floor plan v1"
            theirs["Checked"] = True
            await root.session.commit(theirs, "$site")
            await root.session.write_file(their_plan, b"floor plan v2")
            await root.session.commit(their_plan, "$plan")
            await root.synchronize()
            await ann.synchronize()  # the latest server data, contents included
            assert mine["Checked"] is True and mine["Stamp"] == "seen by the server: true"
            assert await ann.session.read_file(plan) == b"floor plan v2"


async def test_a_server_object_no_longer_accessible_is_removed_and_its_variable_becomes_empty(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """Mendix: ... (or is inaccessible due to the access rules), the local changes are not
    applied and the object is removed from the local database. In this case the value of the
    variable in the nanoflow for that object becomes empty. The server stores the discarded
    changes in the
    System.SynchronizationFailure entity."""
    async with serve(app, target) as server:
        await users(server)
        await server.users.add("cy", "cy-pw", ["Field.Inspector"])
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            obj = await site(ann, "Ridge")
            await ann.synchronize()
            assert await root.session.call("Field.HandOverSite", name="Ridge", to="cy") is True
            obj["Checked"] = True
            await ann.session.commit(obj, "$site")
            assert await ann.session.call("Field.SyncOne", site=obj) is False
            assert obj.is_empty
            assert await ann.session.load(obj.id, "Field.Site") is None
        assert await failure_ids(server) == [obj.id]


async def test_objects_without_local_changes_no_longer_accessible_are_removed(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """Mendix: If there is an object that has been deleted from the server or is no longer
    accessible due to access rules, that object will be removed from the local database too."""
    async with serve(app, target) as server:
        await users(server)
        await server.users.add("cy", "cy-pw", ["Field.Inspector"])
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "root.db", "root", "root-pw") as root,
        ):
            obj = await site(ann, "Dune")
            await ann.synchronize()
            await root.session.call("Field.HandOverSite", name="Dune", to="cy")
            assert await ann.session.call("Field.SyncList", sites=[obj]) == 0
            assert obj.is_empty
            assert await ann.store.pending_changes() == []
        assert await failure_ids(server) == []  # nothing was changed, nothing to keep


async def test_simultaneous_synchronizations_are_not_supported_regardless_of_the_type(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """Mendix: Running multiple synchronization processes at the same time is not supported,
    regardless of the type (full or selective)."""
    async with serve(app, target) as server:
        await users(server)
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            chosen = await site(ann, "Chosen")
            for n in range(30):
                await site(ann, f"Site {n}")
            first = asyncio.create_task(ann.synchronize())  # full
            while not ann.sync.running:
                await asyncio.sleep(0)
            assert await ann.session.call("Field.SyncOneHandled", site=chosen) == SIMULTANEOUS
            await first
            selective = asyncio.create_task(ann.synchronize("selected", [chosen]))
            while not ann.sync.running:
                await asyncio.sleep(0)
            assert await ann.session.call("Field.SyncAllHandled") == SIMULTANEOUS
            await selective
            assert await ann.store.pending_changes() == []


PROFILE = """
module Kit
role Worker
entity Open with owner { Name: String }
entity Picked with owner { Name: String  Keep: Boolean = true }
entity Kept with owner { Name: String }
entity Outbox with owner { Name: String }
entity Local { Name: String }
access Open for Worker { create, read *, write * }
access Picked for Worker { create, read *, write * }
access Kept for Worker { create, read *, write * }
access Outbox for Worker { create, read *, write * }
offline {
  Open: all
  Picked: by xpath [Keep = true]
  Kept: nothing preserve
  Outbox: nothing clear
  Local: never
}
"""


async def test_synchronize_all_is_configured_per_entity_by_the_offline_profile(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """Mendix: The behavior of this mode can be configured through Synchronization
    configuration (the offline profile: all, by xpath, nothing preserve, nothing clear,
    never)."""
    result = compile_sources([SourceFile("kit.nf", PROFILE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    async with serve(result.app, target) as server:
        await server.users.add("ann", "ann-pw", ["Kit.Worker"])
        await server.users.add("bob", "bob-pw", ["Kit.Worker"])
        async with (
            server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann,
            server.device(tmp_path / "bob.db", "bob", "bob-pw") as bob,
        ):
            made = {}
            for entity, extra in (
                ("Open", {}), ("Picked", {}), ("Kept", {}), ("Outbox", {}), ("Local", {}),
                ("Picked", {"Keep": False}),
            ):  # fmt: skip
                obj = ann.session.create(f"Kit.{entity}", {"Name": "ann's", **extra})
                await ann.session.commit(obj, "$obj")
                made.setdefault(entity, []).append(obj)
            await ann.synchronize()
            mine = await ann.store.summary()
            assert mine["Kit.Outbox"]["objects"] == 0  # uploaded, then cleared
            assert mine["Kit.Kept"]["objects"] == 1 and mine["Kit.Local"]["objects"] == 1
            assert mine["Kit.Local"]["new"] == 1  # never sent
            await bob.synchronize()
            theirs = await bob.store.summary()
            assert theirs["Kit.Open"]["objects"] == 1  # all
            assert theirs["Kit.Picked"]["objects"] == 1  # by xpath: only Keep = true
            assert theirs["Kit.Kept"]["objects"] == 0  # nothing preserve: nothing downloaded
            assert theirs["Kit.Outbox"]["objects"] == 0 and theirs["Kit.Local"]["objects"] == 0
            picked = await bob.session.load(made["Picked"][0].id, "Kit.Picked")
            assert picked is not None
            picked["Keep"] = False
            await bob.session.commit(picked, "$picked")
            await bob.synchronize()
            assert picked.is_empty  # no longer matches: removed from bob's device
            await ann.synchronize()
            assert made["Picked"][0].is_empty  # and from ann's
            assert not made["Kept"][0].is_empty and not made["Local"][0].is_empty
        async with server.db.read() as conn:
            counts = {
                entity: (
                    await conn.execute(text(f'SELECT count(*) FROM "o:Kit.{entity}"'))
                ).scalar()
                for entity in ("Open", "Picked", "Kept", "Outbox", "Local")
            }
        assert counts == {"Open": 1, "Picked": 2, "Kept": 1, "Outbox": 1, "Local": 0}
