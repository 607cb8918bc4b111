"""The server process killed (SIGKILL, by a fault point) in the middle of an upload and of a
paged download, then restarted; and the answer to an upload lost after the server applied it
(the proxy cuts it). After each: nothing lost, nothing applied twice (every commit of a site on
the server counts a visit, so a change applied twice shows), the store consistent, the next
synchronization completes."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from faults.proxy import Proxy
from faults.support import (
    Served,
    device,
    failures_on_server,
    server_rows,
    sites_on_server,
    store_rows,
)

from nanoflow.compiler import App


@pytest.fixture
def db_url(pg_or_sqlite: str) -> str:
    return pg_or_sqlite


async def uploads_logged(app: App, db_url: str, base: Path) -> int:
    rows = await server_rows(app, db_url, base, "SELECT count(*) FROM nf_uploads")
    return int(rows[0][0])


@pytest.mark.parametrize("point", ["server.upload.before_commit", "server.upload.after_commit"])
async def test_server_killed_mid_upload_then_restarted(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str, point: str
) -> None:
    await server.start(faults=f"{point}=kill")
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        sites = [await alice.site(f"site {n}") for n in range(5)]
        message = await alice.session.call("Field.Sync")
        assert await server.died() == -signal.SIGKILL
        assert "cannot be reached" in message, message
        # nothing local is lost: the changes are still pending, the upload is recorded
        assert len(await alice.store.pending_changes()) == 5
        assert (await alice.store.get_meta("upload"))["sequence"] == 1
        committed = 1 if point.endswith("after_commit") else 0
        assert await uploads_logged(app, db_url, base) == committed

        await server.start()
        assert await alice.session.call("Field.Sync") == "ok"
        assert await alice.store.pending_changes() == []
        assert await alice.store.get_meta("upload") is None
        assert [s["Visits"] for s in sites] == [1] * 5  # the server's state came back
    on_server = await sites_on_server(app, db_url, base)
    assert sorted(on_server.values()) == [(f"site {n}", 1) for n in range(5)]  # once each
    assert await uploads_logged(app, db_url, base) == 1
    assert await failures_on_server(app, db_url, base) == 0


async def test_server_killed_between_download_pages_then_restarted(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str
) -> None:
    await server.start()
    async with device(app, base / "seed.db", proxy.url, "alice") as seed:
        for n in range(12):
            await seed.site(f"site {n:02}")
        await seed.synchronize()
    server.stop()
    # pages of 5: Field.Photo (1 page), then Field.Site: the server dies on Site's second page
    await server.start(faults="server.download.page=kill@3")
    async with device(app, base / "alice.db", proxy.url, "alice", page_size=5) as alice:
        local = await alice.site("local")
        message = await alice.session.call("Field.Sync")
        assert await server.died() == -signal.SIGKILL
        assert "cannot be reached" in message, message
        names = [r[0] for r in store_rows(base / "alice.db",
                                          'SELECT "Field.Site.Name" FROM "o:Field.Site"')]
        assert len(names) == 6 and "local" in names  # the first page, applied whole, and ours

        await server.start()
        assert await alice.session.call("Field.Sync") == "ok"
        rows = store_rows(base / "alice.db",
                          'SELECT id, "Field.Site.Name", "Field.Site.Visits", _state '
                          'FROM "o:Field.Site"')  # fmt: skip
        assert local["Visits"] == 1
    on_server = await sites_on_server(app, db_url, base)
    assert {r[0]: (r[1], r[2]) for r in rows} == on_server  # every site, each once
    assert {r[3] for r in rows} == {"synced"}
    assert len(on_server) == 13


@pytest.mark.parametrize("times", [1, 4])
async def test_a_lost_upload_answer_is_not_applied_twice(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str, times: int
) -> None:
    """The proxy forwards the upload and cuts the answer: once (the retry gets the server's
    first answer), or every attempt (the synchronization fails; the next one resends the
    recorded upload)."""
    await server.start()
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        first = await alice.site("first")
        await alice.synchronize()
        first["Name"] = "first, renamed"
        await alice.session.commit(first, "$first")
        new = await alice.site("second")
        proxy.add("POST", "/api/v1/upload", "cut", times=times)
        message = await alice.session.call("Field.Sync")
        assert proxy.count("POST", "/api/v1/upload", "cut") == times
        if times == 1:
            assert message == "ok"
        else:
            assert "cannot be reached" in message, message
            assert len(await alice.store.pending_changes()) == 2
            assert await alice.session.call("Field.Sync") == "ok"
        assert (first["Visits"], new["Visits"]) == (2, 1)
        assert await alice.store.pending_changes() == []
    on_server = await sites_on_server(app, db_url, base)
    assert sorted(on_server.values()) == [("first, renamed", 2), ("second", 1)]
    assert await uploads_logged(app, db_url, base) == 2
    assert await failures_on_server(app, db_url, base) == 0
