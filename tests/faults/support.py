"""The fault tests' harness: a real `nanoflow serve` process (started, SIGKILLed, restarted, with
or without fault points), devices in-process (real store, real HTTP through `httpx`, usually via
the loopback proxy) or in a subprocess (tests/faults/device_runner.py), and checks of what the
server and a store hold."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from nanoflow.compiler import App, load
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.sync.engine import DeviceSync
from nanoflow.runtime.sync.http import HttpTransport
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users

HERE = Path(__file__).resolve().parent
NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))
RUNNER = HERE / "device_runner.py"

APP = """module Field
role Inspector

entity Site with owner {
  Name: String(60)
  Visits: Integer
  on before commit BCo_Site
}
entity Photo extends System.FileDocument with owner {
  Caption: String
}
access Site for Inspector {
  create, delete, read *, write (Name) where [System.owner = '[%CurrentUser%]']
}
access Photo for Inspector {
  create, delete, read *, write * where [System.owner = '[%CurrentUser%]']
}
offline {
  Site: all
  Photo: all
}

// every commit of a site on the server counts one visit: a change applied twice counts two
microflow BCo_Site($site: Site) returns Boolean {
  change $site (Visits = $site/Visits + 1)
  return true
}

nanoflow Sync() returns String {
  synchronize all on error {
    return $latestError
  }
  return 'ok'
}

nanoflow SyncUnhandled() returns String {
  synchronize all
  return 'ok'
}
"""

USERS = {"alice": "alice-pw", "bob": "bob-pw"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_app(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "field.nf"
    path.write_text(APP, encoding="utf-8")
    return path


class Served:
    """`nanoflow serve` of the app in a subprocess on a fixed loopback port (kept across
    restarts, so a proxy in front of it keeps working)."""

    def __init__(self, app_path: Path, db_url: str, log: Path) -> None:
        self.app_path = app_path
        self.db_url = db_url
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    async def start(self, faults: str = "") -> None:
        """Start it (with `NANOFLOW_FAULTS=faults`) and wait until it answers."""
        assert self.process is None or self.process.poll() is not None
        env = {**os.environ, "NO_COLOR": "1", "NANOFLOW_FAULTS": faults}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [NANOFLOW, "serve", str(self.app_path), "--db", self.db_url,
                 "--port", str(self.port)],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.poll() is None, self.log.read_text()
                try:
                    answer = await client.get(f"{self.url}/openapi.json", timeout=2)
                    if answer.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not start listening"
                await asyncio.sleep(0.05)

    async def died(self, timeout: float = 30) -> int:
        """Wait until the process has ended (a fault point killed it); its return code."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            assert time.monotonic() < deadline, "the server did not die"
            await asyncio.sleep(0.02)
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


async def prepare_server(app: App, db_url: str, base: Path) -> None:
    """Create the server database with the users of `USERS` (role Field.Inspector)."""
    async with await ServerDatabase.open(app, resolve(db_url, base)) as db:
        users = Users(db)
        for name, password in USERS.items():
            await users.add(name, password, ["Field.Inspector"])


async def server_rows(app: App, db_url: str, base: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the server's database (read while the server may run)."""
    async with await ServerDatabase.open(app, resolve(db_url, base)) as db, db.read() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def sites_on_server(app: App, db_url: str, base: Path) -> dict[str, tuple[str, int]]:
    """id → (Name, Visits) of every site the server holds."""
    rows = await server_rows(
        app, db_url, base, 'SELECT id, "Field.Site.Name", "Field.Site.Visits" FROM "o:Field.Site"'
    )
    return {r[0]: (r[1], r[2]) for r in rows}


async def failures_on_server(app: App, db_url: str, base: Path) -> int:
    rows = await server_rows(
        app, db_url, base, 'SELECT count(*) FROM "o:System.SynchronizationFailure"'
    )
    return int(rows[0][0])


@dataclass
class Device:
    """A device in this process: its store, session and synchronization, talking real HTTP."""

    store: DeviceStore
    session: Session
    sync: DeviceSync
    transport: HttpTransport

    async def synchronize(self, mode: str = "all") -> None:
        await self.session.run_synchronization(mode, [])

    async def site(self, name: str) -> Any:
        obj = self.session.create("Field.Site", {"Name": name})
        await self.session.commit(obj, "$site")
        return obj


@contextlib.asynccontextmanager
async def device(
    app: App, path: Path, url: str, user: str, page_size: int = 5000
) -> AsyncIterator[Device]:
    """A device of `user` on the server at `url` (logged in; the store keeps its device id)."""
    store = await DeviceStore.open(path, app)
    client = httpx.AsyncClient(base_url=url)
    try:
        transport = HttpTransport(client, store.schema)
        known = await store.get_meta("device_id")
        answer = await transport.login(user, USERS[user], known)
        if known is None:
            await store.set_meta("device_id", answer.device_id)
        sync = DeviceSync(transport, store, answer.device_id, page_size=page_size)
        session = Session(
            app, store=store, user=answer.user_name, roles=list(answer.roles),
            user_id=answer.user_id, sync=sync, microflows=sync,
        )  # fmt: skip
        await session.open()
        yield Device(store, session, sync, transport)
    finally:
        await client.aclose()
        await store.close()


def load_app(path: Path) -> App:
    return load(path)


async def run_device(
    app_path: Path, store: Path, url: str, user: str, *commands: str,
    page_size: int = 5000, faults: str = "", timeout: float = 120,
) -> tuple[int, str, str]:
    """tests/faults/device_runner.py in a subprocess: (return code, stdout, stderr)."""
    env = {**os.environ, "NANOFLOW_FAULTS": faults}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(RUNNER), str(app_path), str(store), url, user, USERS[user],
        str(page_size), *commands,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def integrity(store: Path) -> str:
    """`PRAGMA integrity_check` of a store file (read while no process holds it)."""
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def store_rows(store: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return list(conn.execute(sql, params).fetchall())


def decode_cursor(cursor: str) -> list[Any]:
    """The server's download cursor: [key, since, upto, after, complete] (base64 JSON)."""
    import base64

    data: list[Any] = json.loads(base64.urlsafe_b64decode(cursor))
    return data
