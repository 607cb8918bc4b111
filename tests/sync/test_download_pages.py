"""Paged downloads through the device's columnar fast path: incremental runs that are
complete (an XPath that follows an association makes every run list every visible object,
the unchanged ones by id in `kept`), pages smaller than the data, and no transaction for a
page that changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.store import sync
from nanoflow.runtime.sync.errors import SyncError
from nanoflow.runtime.sync.transport import DownloadedPage
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Field
role Inspector
entity Site { Name: String  Active: Boolean }
entity Visit { Note: String }
association Visit_Site from Visit to Site
access Site for Inspector { create, delete, read *, write * }
access Visit for Inspector { create, read *, write * }
offline {
  Site: all
  Visit: by xpath [Visit_Site/Site/Active = true]
}
"""


def _app() -> App:
    result = compile_sources([SourceFile("field.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_unchanged_objects_of_a_complete_run_stay(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """Every run of `Visit` is complete (its XPath follows an association): the unchanged
    visits come by id in `kept` and stay; a visit of a site made inactive goes."""
    app = _app()
    async with serve(app, target) as server:
        await server.users.add("ann", "pw", ["Field.Inspector"])
        async with server.device(tmp_path / "ann.db", "ann", "pw") as ann:
            s = ann.session
            active = s.create("Field.Site", {"Name": "dock", "Active": True})
            idle = s.create("Field.Site", {"Name": "yard", "Active": True})
            visits = [
                s.create("Field.Visit", {"Note": f"v{i}", "Field.Visit_Site": site})
                for i, site in enumerate([active, active, active, idle])
            ]
            await s.commit([active, idle, *visits], "the objects")
            await ann.synchronize()
            assert (await ann.store.summary())["Field.Visit"]["objects"] == 4
            ann.sync.page_size = 2
            await ann.synchronize()  # nothing changed: a complete run, all four in `kept`
            assert (await ann.store.summary())["Field.Visit"]["objects"] == 4
            assert ann.sync.last is not None and ann.sync.last.removed == 0
            idle_obj = await s.load(idle.id, "Field.Site")
            assert idle_obj is not None
            idle_obj["Active"] = False
            await s.commit([idle_obj], "$site")
            await ann.synchronize()
            summary = await ann.store.summary()
            assert summary["Field.Visit"]["objects"] == 3
            assert visits[3].removed and not visits[0].removed


async def test_paged_incremental_download(target: DatabaseTarget, tmp_path: Path) -> None:
    """Pages smaller than the data: another user's new and changed objects arrive, and a run
    with nothing changed writes nothing for the entity (not even its cursor)."""
    app = _app()
    async with serve(app, target) as server:
        await server.users.add("ann", "pw", ["Field.Inspector"])
        await server.users.add("bob", "pw", ["Field.Inspector"])
        async with (
            server.device(tmp_path / "ann.db", "ann", "pw") as ann,
            server.device(tmp_path / "bob.db", "bob", "pw") as bob,
        ):
            ann.sync.page_size = bob.sync.page_size = 3
            sites = [ann.session.create("Field.Site", {"Name": f"s{i}"}) for i in range(8)]
            await ann.session.commit(sites, "$sites")
            await ann.synchronize()
            await bob.synchronize()
            assert (await bob.store.summary())["Field.Site"]["objects"] == 8
            held = await bob.session.load(sites[5].id, "Field.Site")
            assert held is not None and held["Name"] == "s5"
            sites[5]["Name"] = "renamed"
            extra = ann.session.create("Field.Site", {"Name": "s8"})
            await ann.session.commit([sites[5], extra], "$sites")
            await ann.synchronize()
            await bob.synchronize()
            assert held["Name"] == "renamed"  # refreshed in memory through the identity map
            assert (await bob.store.summary())["Field.Site"]["objects"] == 9
            assert bob.sync.last is not None and bob.sync.last.downloaded == 2
            statements: list[str] = []
            await bob.store.trace(statements.append)
            await bob.synchronize()
            await bob.store.trace(None)
            assert bob.sync.last.downloaded == 0
            written = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
            assert written and not [s for s in written if "Field.Site" in s], written


async def test_a_cut_off_complete_download_resumes(
    target: DatabaseTarget, tmp_path: Path
) -> None:
    """A first (complete) download cut off after two pages (the third one, requested while
    the second was written, fails) keeps what it wrote and its cursor: the next
    synchronization finishes it; none of the objects is lost, and one deleted on the server
    meanwhile goes."""
    app = _app()
    async with serve(app, target) as server:
        await server.users.add("ann", "pw", ["Field.Inspector"])
        await server.users.add("bob", "pw", ["Field.Inspector"])
        async with (
            server.device(tmp_path / "ann.db", "ann", "pw") as ann,
            server.device(tmp_path / "bob.db", "bob", "pw") as bob,
        ):
            sites = [ann.session.create("Field.Site", {"Name": f"s{i}"}) for i in range(7)]
            await ann.session.commit(sites, "$sites")
            await ann.synchronize()
            bob.sync.page_size = 2
            transport = bob.sync.transport
            download = transport.download
            calls = 0

            async def cut(entity: str, cursor: str | None, limit: int) -> DownloadedPage:
                nonlocal calls
                if entity == "Field.Site":
                    calls += 1
                    if calls == 3:
                        raise SyncError("the connection dropped")
                return await download(entity, cursor, limit)

            transport.download = cut  # type: ignore[method-assign]
            with pytest.raises(SyncError, match="dropped"):
                await bob.synchronize()
            partial = (await bob.store.summary())["Field.Site"]["objects"]
            assert 2 <= partial < 7
            assert await sync.cursor_of(bob.store, "Field.Site") is not None
            ordered = sorted(sites, key=lambda s: s.id)
            gone = ordered[-1]  # on the last page, not on bob's device yet
            await ann.session.delete([gone], "$site")
            await ann.synchronize()
            assert ann.sync.last is not None and ann.sync.last.failed == 0
            await bob.synchronize()
            summary = await bob.store.summary()
            assert summary["Field.Site"]["objects"] == 6
            assert await bob.session.load(gone.id, "Field.Site") is None
            assert await sync.cursor_of(bob.store, "Field.Site") is not None
