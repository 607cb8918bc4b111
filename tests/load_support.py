"""A loopback load run: devices (real `DeviceSync` + `HttpTransport` clients) syncing small changes
through several `nanoflow serve` processes that share one database, and the check that no change
was lost. Used by tests/server/test_load.py (small) and bench/server_targets.py (`load`, 50
devices)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from server_support import wait_until_serving
from sqlalchemy import text

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.sync.engine import DeviceSync
from nanoflow.runtime.sync.http import HttpTransport
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users
from nanoflow.source import SourceFile

LOAD_APP = """module Load
role Member
entity Note with owner {
  Text: String(200) required
  Device: String(60)
  Round: Integer
}
access Note for Member { create, read *, write * where [System.owner = '[%CurrentUser%]'] }
offline { Note: all }
"""
PASSWORD = "load-pw-1"
NOTE = "Load.Note"


def load_app() -> App:
    result = compile_sources([SourceFile("load.nf", LOAD_APP)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nanoflow_command() -> list[str]:
    """The installed `nanoflow` console script beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("nanoflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nanoflow"]


@contextlib.contextmanager
def serve_processes(app_dir: Path, db_url: str, count: int, log_dir: Path) -> Iterator[list[str]]:
    """`count` `nanoflow serve` processes on free loopback ports, all on `db_url`; yields their
    base URLs once each answers, and stops them (SIGTERM) at the end."""
    processes: list[tuple[subprocess.Popen[bytes], Path]] = []
    urls: list[str] = []
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        for n in range(count):
            port = free_port()
            log = log_dir / f"serve-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        *nanoflow_command(),
                        "serve",
                        str(app_dir),
                        "--db",
                        db_url,
                        "--port",
                        str(port),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            processes.append((process, log))
            urls.append(f"http://127.0.0.1:{port}")
        for (process, log), url in zip(processes, urls, strict=True):
            _wait_ready(process, log, url)
        yield urls
    finally:
        for process, _log in processes:
            if process.poll() is None:
                process.terminate()
        for process, _log in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], log: Path, url: str) -> None:
    wait_until_serving(url, process, lambda: log.read_text(errors="replace"))


@dataclass
class LoadDevice:
    name: str
    user: str
    store: DeviceStore
    session: Session
    sync: DeviceSync
    client: httpx.AsyncClient
    created: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    """What a load run measured and found."""

    devices: int
    syncs: int
    seconds: float
    latencies: list[float]
    errors: list[str]
    lost: list[str]

    @property
    def throughput(self) -> float:
        return self.syncs / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.lost


async def add_users(app: App, db_url: str, base: Path, names: list[str]) -> None:
    """Create the database (schema, users) before the server processes start."""
    db = await ServerDatabase.open(app, resolve(db_url, base))
    try:
        users = Users(db)
        for name in names:
            await users.add(name, PASSWORD, ["Load.Member"])
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def open_device(
    app: App, path: Path, name: str, user: str, base_url: str
) -> AsyncIterator[LoadDevice]:
    store = await DeviceStore.open(path, app)
    client = httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=120)
    try:
        transport = HttpTransport(client, store.schema)
        answer = await transport.login(user, PASSWORD, None)
        sync = DeviceSync(transport, store, answer.device_id)
        session = Session(
            app,
            store=store,
            user=answer.user_name,
            roles=list(answer.roles),
            user_id=answer.user_id,
            sync=sync,
            microflows=sync,
        )
        await session.open()
        yield LoadDevice(name, user, store, session, sync, client)
    finally:
        await client.aclose()
        await store.close()


async def _device_rounds(
    device: LoadDevice, rounds: int, per_sync: int, start: asyncio.Event, result: LoadResult
) -> None:
    await start.wait()
    for round_ in range(rounds):
        session = device.session
        notes = [
            session.create(
                NOTE,
                {
                    "Text": f"{device.name} round {round_} note {n}",
                    "Device": device.name,
                    "Round": round_,
                },
            )
            for n in range(per_sync)
        ]
        try:
            await session.commit(notes, "the notes")
            begin = time.perf_counter()
            await session.run_synchronization("all", [])
            result.latencies.append(time.perf_counter() - begin)
            report = device.sync.last
            if report is None or report.failed:
                failures = report.failures if report is not None else "no report"
                result.errors.append(f"{device.name}: refused changes {failures}")
        except Exception as error:  # every error is reported, none stops the others
            result.errors.append(f"{device.name} round {round_}: {type(error).__name__}: {error}")
        device.created += [n.id for n in notes]


async def run_load(
    app: App,
    db_url: str,
    urls: list[str],
    work: Path,
    *,
    devices: int,
    users: int,
    rounds: int,
    per_sync: int,
) -> LoadResult:
    """`devices` devices of `users` users (created beforehand with `add_users`, named u0...),
    spread round-robin over `urls`, each doing `rounds` × (create `per_sync` notes, commit,
    synchronize all) concurrently; then every device synchronizes once more and the check runs:
    every note is in the server database, and every device holds exactly the notes of its user
    (a user reads only their own notes: several devices of one user see each other's changes,
    and no note leaks to another user)."""
    result = LoadResult(devices, 0, 0.0, [], [], [])
    async with contextlib.AsyncExitStack() as stack:
        fleet = [
            await stack.enter_async_context(
                open_device(
                    app, work / f"device-{n}.db", f"d{n}", f"u{n % users}", urls[n % len(urls)]
                )
            )
            for n in range(devices)
        ]
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(_device_rounds(d, rounds, per_sync, start, result)) for d in fleet
        ]
        begin = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - begin
        result.syncs = len(result.latencies)
        for device in fleet:  # every device now fetches what the others sent last
            try:
                await device.session.run_synchronization("all", [])
            except Exception as error:
                result.errors.append(f"{device.name} final sync: {type(error).__name__}: {error}")
        expected = {i for d in fleet for i in d.created}
        on_server = await _server_ids(app, db_url, work)
        result.lost += [f"{i} is not on the server" for i in sorted(expected - on_server)]
        mine: dict[str, set[str]] = {}
        for device in fleet:
            mine.setdefault(device.user, set()).update(device.created)
        stores = [
            (d.name, d.user, d.store.path, d.store.schema.layout(NOTE).table.sql) for d in fleet
        ]
    for name, user, path, table in stores:  # read once the stores are closed
        held = _device_ids(path, table)
        missing = mine.get(user, set()) - held
        if missing:
            result.lost.append(f"{name} lacks {len(missing)} of its user's notes")
        leaked = held - mine.get(user, set())
        if leaked:
            result.errors.append(f"{name} holds {len(leaked)} notes of other users")
    return result


async def _server_ids(app: App, db_url: str, work: Path) -> set[str]:
    db = await ServerDatabase.open(app, resolve(db_url, work))
    try:
        table = db.schema.layout(NOTE).table.sql
        async with db.read() as conn:
            return {r[0] for r in (await conn.execute(text(f"SELECT id FROM {table}"))).all()}
    finally:
        await db.close()


def _device_ids(path: Path, table: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute(f"SELECT id FROM {table}")}

