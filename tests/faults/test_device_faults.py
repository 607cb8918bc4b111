"""The device process SIGKILLed (by a fault point) while it applies a download, while it waits
for an upload's answer and while it settles one, then run again: the store intact (PRAGMA
integrity_check), no page half-applied (the cursor matches the rows), commits made during the
synchronization still pending, and the next synchronization completes with nothing lost and
nothing applied twice."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from faults.support import (
    Served,
    decode_cursor,
    device,
    failures_on_server,
    integrity,
    run_device,
    sites_on_server,
    store_rows,
)

from nanoflow.compiler import App

SITES = 'SELECT id, "Field.Site.Name", "Field.Site.Visits", _state FROM "o:Field.Site"'


async def seed(app: App, server: Served, base: Path, count: int) -> None:
    async with device(app, base / "seed.db", server.url, "alice") as alice:
        for n in range(count):
            await alice.site(f"site {n:02}")
        await alice.synchronize()


@pytest.mark.parametrize("point", ["device.apply.page", "device.apply.after_page"])
async def test_device_killed_while_applying_a_download(
    app: App, app_path: Path, server: Served, base: Path, db_url: str, point: str
) -> None:
    await server.start()
    await seed(app, server, base, 12)
    store = base / "alice.db"
    # pages of 5: Field.Photo's page is the 1st pass, Field.Site's pages the 2nd to 4th
    code, out, err = await run_device(
        app_path, store, server.url, "alice", "edit-during-download", "sync",
        page_size=5, faults=f"{point}=kill@3",
    )  # fmt: skip
    assert code == -signal.SIGKILL, (out, err)
    edit = json.loads(out.splitlines()[0])
    assert integrity(store) == "ok"
    rows = {r[0]: r[1:] for r in store_rows(store, SITES)}
    # the commits made during the synchronization are there, pending
    assert rows[edit["created"]] == ("mid-sync", 0, "new")
    assert rows[edit["edited"]][0] == "edited mid-sync" and rows[edit["edited"]][2] == "changed"
    # no page is half-applied: the server's objects on the device are exactly those up to the
    # cursor's position (page 1; page 2 too when the kill came after it committed)
    (cursor,) = store_rows(store, "SELECT cursor FROM nf_cursors WHERE entity = 'Field.Site'")
    after = decode_cursor(cursor[0])[3]
    on_server = await sites_on_server(app, db_url, base)
    expected = {i for i in on_server if i <= after}
    assert len(expected) == (5 if point == "device.apply.page" else 10)
    assert {i for i, r in rows.items() if r[2] != "new"} == expected

    code, out, err = await run_device(app_path, store, server.url, "alice", "sync", page_size=5)
    assert code == 0, (out, err)
    assert json.loads(out) == {"result": "ok"}
    assert integrity(store) == "ok"
    on_server = await sites_on_server(app, db_url, base)
    rows = {r[0]: r[1:] for r in store_rows(store, SITES)}
    assert {i: r[:2] for i, r in rows.items()} == on_server  # nothing lost, nothing stale
    assert {r[2] for r in rows.values()} == {"synced"}
    assert on_server[edit["created"]] == ("mid-sync", 1)
    assert on_server[edit["edited"]] == ("edited mid-sync", 2)  # seeded once, changed once
    assert sorted(v for _n, v in on_server.values()).count(1) == 12


@pytest.mark.parametrize(
    "point", ["device.upload.before_send", "device.upload.after_send", "device.settle"]
)
async def test_device_killed_around_an_upload(
    app: App, app_path: Path, server: Served, base: Path, db_url: str, point: str
) -> None:
    await server.start()
    store = base / "alice.db"
    code, out, err = await run_device(app_path, store, server.url, "alice", "sync")
    assert code == 0, (out, err)
    async with device(app, store, server.url, "alice") as alice:
        for n in range(3):
            await alice.site(f"site {n}")
    code, out, err = await run_device(app_path, store, server.url, "alice", "sync",
                                      faults=f"{point}=kill")
    assert code == -signal.SIGKILL, (out, err)
    assert integrity(store) == "ok"
    assert len(store_rows(store, SITES + " WHERE _state = 'new'")) == 3  # still pending

    code, out, err = await run_device(app_path, store, server.url, "alice", "sync")
    assert code == 0, (out, err)
    on_server = await sites_on_server(app, db_url, base)
    assert sorted(on_server.values()) == [(f"site {n}", 1) for n in range(3)]  # once each
    rows = {r[0]: r[1:] for r in store_rows(store, SITES)}
    assert {i: r[:2] for i, r in rows.items()} == on_server
    assert {r[2] for r in rows.values()} == {"synced"}
    assert await failures_on_server(app, db_url, base) == 0
