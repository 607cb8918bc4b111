"""File contents under faults (an upload failing twice, then going through; a device killed
before it fetched downloaded contents), and every way a request can fail — no connection, a
timeout, 5xx, an answer that does not parse, a revoked token — reaching the flow's error handler
as a clear message (`$latestError`), with bounded retries only where repeating is safe and the
device's changes still pending until the server acknowledged them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest
from faults.proxy import Proxy
from faults.support import (
    NANOFLOW,
    USERS,
    Served,
    device,
    run_device,
    server_rows,
    sites_on_server,
    store_rows,
)

from nanoflow.compiler import App
from nanoflow.runtime.errors import FlowError

CONTENTS = bytes(range(256)) * 40  # 10 KiB, every byte value


async def photos_on_server(app: App, db_url: str, base: Path) -> int:
    rows = await server_rows(
        app, db_url, base,
        "SELECT count(*) FROM \"o:System.FileDocument\" WHERE entity = 'Field.Photo'",
    )  # fmt: skip
    return int(rows[0][0])


async def test_a_file_upload_failing_twice_goes_through_on_the_third_synchronization(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str
) -> None:
    await server.start()
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        alice.transport.retries = 0  # each synchronization: the upload and its one retry
        photo = alice.session.create("Field.Photo", {"Caption": "roof", "Name": "roof.bin"})
        await alice.session.commit(photo, "$photo")
        await alice.session.write_file(photo, CONTENTS)
        site = await alice.site("with a photo")
        for rule, expected in ((("drop",), "cannot be reached"), (("status",), "failed (503)")):
            proxy.add("PUT", "/api/v1/files/", rule[0], times=2, status=503)
            message = await alice.session.call("Field.Sync")
            assert expected in message, message
            # the synchronization stopped before any object was applied; nothing is lost
            assert (await photos_on_server(app, db_url, base), len(await sites_on_server(
                app, db_url, base))) == (0, 0)
            assert len(await alice.store.pending_changes()) == 2
            assert await alice.store.read_file(photo.id) == CONTENTS
        assert proxy.count("PUT", "/api/v1/files/") == 4
        assert await alice.session.call("Field.Sync") == "ok"
        assert await alice.store.pending_changes() == []
        assert site["Visits"] == 1
    assert await photos_on_server(app, db_url, base) == 1
    async with device(app, base / "other.db", server.url, "alice") as other:
        await other.synchronize()
        assert await other.store.read_file(photo.id) == CONTENTS


async def test_server_killed_while_it_receives_a_file_then_restarted(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str
) -> None:
    await server.start(faults="server.files.put=kill")
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        photo = alice.session.create("Field.Photo", {"Caption": "gate"})
        await alice.session.commit(photo, "$photo")
        await alice.session.write_file(photo, CONTENTS)
        message = await alice.session.call("Field.Sync")
        assert await server.died() == -signal.SIGKILL
        assert "cannot be reached" in message, message
        assert len(await alice.store.pending_changes()) == 1
        await server.start()
        assert await alice.session.call("Field.Sync") == "ok"
        assert await alice.store.pending_changes() == []
    assert await photos_on_server(app, db_url, base) == 1
    async with device(app, base / "other.db", server.url, "alice") as other:
        await other.synchronize()
        assert await other.store.read_file(photo.id) == CONTENTS


async def test_downloaded_contents_are_fetched_after_the_device_was_killed_before_them(
    app: App, app_path: Path, server: Served, base: Path, db_url: str
) -> None:
    await server.start()
    async with device(app, base / "seed.db", server.url, "alice") as seed:
        photo = seed.session.create("Field.Photo", {"Caption": "door"})
        await seed.session.commit(photo, "$photo")
        await seed.session.write_file(photo, CONTENTS)
        await seed.synchronize()
    store = base / "alice.db"
    # Field.Photo's page is the first: the kill comes after it committed, before the contents
    code, out, err = await run_device(app_path, store, server.url, "alice", "sync",
                                      faults="device.apply.after_page=kill@1")
    assert code == -signal.SIGKILL, (out, err)
    assert store_rows(store, 'SELECT id FROM "o:System.FileDocument"') == [(photo.id,)]
    assert store_rows(store, "SELECT id FROM nf_files") == []
    code, out, err = await run_device(app_path, store, server.url, "alice", "sync")
    assert code == 0, (out, err)
    assert store_rows(store, "SELECT data FROM nf_files") == [(CONTENTS,)]
    assert store_rows(store, "SELECT value FROM nf_meta WHERE key = 'files_due'") in (
        [], [("null",)], [(None,)])


@pytest.mark.parametrize(
    ("method", "path", "action", "expected", "attempts"),
    [
        ("POST", "/api/v1/upload", "status", "the sync server failed (503)", 4),
        ("POST", "/api/v1/upload", "drop", "cannot be reached (RemoteProtocolError", 4),
        ("POST", "/api/v1/upload", "garbage", "the sync server's answer does not parse", 1),
        ("GET", "/api/v1/download/", "garbage", "the sync server's answer does not parse", 1),
        ("GET", "/api/v1/download/", "status", "the sync server failed (503)", 4),
        ("GET", "/api/v1/download/", "delay", "cannot be reached (ReadTimeout", 2),
    ],
)
async def test_request_failures_reach_the_flows_error_handler(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str,
    method: str, path: str, action: str, expected: str, attempts: int,
) -> None:  # fmt: skip
    await server.start()
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        if action == "delay":  # downloads answer after 5 s: each attempt times out
            alice.transport.timeout, alice.transport.retries = 1.5, 1
        sites = [await alice.site(f"site {n}") for n in range(2)]
        proxy.add(method, path, action, times=None, seconds=5)
        message = await alice.session.call("Field.Sync")
        assert expected in message, message
        assert proxy.count(method, path) == attempts  # retried only where it is safe
        if method == "POST":  # not acknowledged: still pending, recorded for the next time
            assert len(await alice.store.pending_changes()) == 2
        with pytest.raises(FlowError, match=re.escape(expected)):
            await alice.session.call("Field.SyncUnhandled")  # no handler: the flow fails
        proxy.clear()
        alice.transport.timeout = 30
        assert await alice.session.call("Field.Sync") == "ok"
        assert [s["Visits"] for s in sites] == [1, 1]
    assert sorted(await sites_on_server(app, db_url, base)) == sorted(s.id for s in sites)


async def test_no_connection_is_a_clear_error_and_the_next_synchronization_resumes(
    app: App, server: Served, proxy: Proxy, base: Path, db_url: str
) -> None:
    await server.start()
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        site = await alice.site("offline")
        port = proxy.port
        await proxy.stop()  # nothing listens there now: connection refused
        message = await alice.session.call("Field.Sync")
        assert message.startswith(f"the sync server at http://127.0.0.1:{port} cannot be "
                                  "reached (ConnectError"), message
        assert len(await alice.store.pending_changes()) == 1
        await proxy.start()
        assert await alice.session.call("Field.Sync") == "ok"
        assert site["Visits"] == 1


async def test_a_revoked_token_is_a_clear_error_without_a_retry_loop(
    app: App, app_path: Path, server: Served, proxy: Proxy, base: Path, db_url: str
) -> None:
    await server.start()
    async with device(app, base / "alice.db", proxy.url, "alice") as alice:
        await alice.site("before the password changed")
        changed = await asyncio.create_subprocess_exec(
            NANOFLOW, "users", "passwd", str(app_path), "alice", "--db", db_url,
            env={**os.environ, "NANOFLOW_PASSWORD": "new-pw"},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _out, err = await changed.communicate()
        assert changed.returncode == 0, err
        message = await alice.session.call("Field.Sync")
        assert message.startswith("the sync server refused the login or token"), message
        assert proxy.count("POST", "/api/v1/upload") == 1  # no retry loop
        assert len(await alice.store.pending_changes()) == 1
    assert USERS["alice"] != "new-pw"
    assert await sites_on_server(app, db_url, base) == {}
