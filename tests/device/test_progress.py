"""Synchronization progress (SYNC.md 8): `rt.synchronize()` yields it, the CLI draws a bar on a
terminal and nothing on a pipe, `nanoflow store` shows the last sync and the binding."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from device_support import Server
from rich.console import Console

from nanoflow.api import Runtime
from nanoflow.cli_progress import SyncProgressBar, size
from nanoflow.compiler import App
from nanoflow.runtime.host import Host
from nanoflow.runtime.sync.engine import Progress

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))


class Recorder(Host):
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def sync_progress(self, progress: object) -> None:
        assert isinstance(progress, Progress)
        self.seen.append(progress.phase)


async def test_synchronize_yields_progress_and_the_host_sees_it(
    server: Server, field_app: App, tmp_path: Path
) -> None:
    await server.add_user("alice", "s3cret", ["Field.Inspector"])
    host = Recorder()
    store = tmp_path / "device.sqlite"
    async with Runtime(
        field_app, store=store, link=server.link("s3cret"), user="alice", host=host
    ) as rt:
        assert host.seen == ["start", "download", "done"]  # the first sync, before any flow
        phases = [p.phase async for p in rt.synchronize()]
        assert phases[0] == "start" and phases[-1] == "done"
        assert host.seen[3:] == phases
        assert rt.store is not None
        last = await rt.store.get_meta("last_sync")
        assert last["mode"] == "all" and last["failed"] == 0
        assert await rt.failures() == []


def test_the_bar_draws_on_a_terminal_only() -> None:
    events = [Progress("start"), Progress("download", "Field.Note", 5, None, 2048),
              Progress("done", done=5, bytes=4096)]  # fmt: skip
    terminal, pipe = io.StringIO(), io.StringIO()
    for console in (Console(file=terminal, force_terminal=True, width=100),
                    Console(file=pipe, force_terminal=False, width=100)):
        bar = SyncProgressBar(console)
        for event in events:
            bar.update(event)
    assert "synchronized: 5 object(s) downloaded, 4.1 kB" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_sizes_for_people() -> None:
    assert [size(n) for n in (0, 999, 1000, 1_234_567)] == [
        "0 bytes", "999 bytes", "1.0 kB", "1.2 MB"
    ]


async def test_store_command_shows_the_binding_and_the_last_sync(
    server: Server, field_app: App, field_dir: Path, tmp_path: Path
) -> None:
    await server.add_user("alice", "s3cret", ["Field.Inspector"])
    store = tmp_path / "device.sqlite"
    async with Runtime(field_app, store=store, link=server.link("s3cret"), user="alice") as rt:
        await rt.call("NewNote", text="pending")
    env = {**os.environ, "NO_COLOR": "1"}
    shown = subprocess.run(
        [NANOFLOW, "store", str(field_dir), "--store", str(store), "--json"],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["session"]["user"] == "alice"
    assert document["session"]["server_id"] == server.db.server_id
    assert document["last_sync"]["mode"] == "all"
    assert document["failures"] == []
    assert document["entities"]["Field.Note"]["new"] == 1
    text = subprocess.run(
        [NANOFLOW, "store", str(field_dir), "--store", str(store)],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert "user alice on server http://server.test" in text.stdout
    assert "last sync: " in text.stdout and "(all, " in text.stdout
    assert "Traceback" not in text.stdout + text.stderr
