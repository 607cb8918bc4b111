"""Sync targets (SYNC.md section 9, issue 8 item 8): a device's full, incremental and selected
synchronization with a `nanoflow serve` process over loopback HTTP, against bench-floor's
`full_sync_seconds` measured in the same run; and the device's peak memory during a full sync.

The server database is seeded directly (one `executemany` of rows built by the server's own row
builder, not through uploads) before anything is timed. Each device run is a fresh child process
(as the floor's client is) that uses the embedding API: `nanoflow.Runtime(app, store=...,
server=URL, user=..., password=...)` does the store's first full synchronization when it opens;
then `rt.synchronize()` with nothing changed, and a nanoflow `synchronize $item` of one object.

    python bench/sync_targets.py --child ...   (internal: one device run, JSON on stdout)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness import Context, Result, Target

FULL_OBJECTS = 100_000
RSS_OBJECTS = 1_000_000
FULL_TARGET = 2.0
INCREMENTAL_TARGET = 0.02
SELECTED_TARGET = 0.01
RSS_TARGET_MIB = 300.0
REPEATS = 5
"""Incremental and selected synchronizations timed per device run (median)."""
USER, PASSWORD = "bench", "bench-password"

APP = """module Bench
role Reader
entity Item {
  Name: String(200)
  Category: String(200)
  Note: String(200)
  Qty: Integer
  Version: Integer
  OwnerNo: Integer
  Price: Decimal
  Score: Decimal
  Active: Boolean
  UpdatedAt: DateTime
}
access Item for Reader { read * }
offline { Item: all }

nanoflow SyncOne($item: Item) {
  synchronize $item
}
"""

_WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
    "mike november oscar papa quebec romeo sierra tango uniform victor whiskey "
    "xray yankee zulu order invoice sensor parcel station meter ticket route"
).split()
_BASE = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1,700,000,000,000 ms


def rows(n: int, seed: int = 20240601) -> Iterator[tuple[str, dict[str, Any]]]:
    """`n` deterministic objects shaped like bench-floor's rows: a random UUID-shaped id, three
    ~20-character strings, three integers, a 2-decimal price and a full-precision score (as
    Decimals), a Boolean and a date-time (whole milliseconds)."""
    rng = random.Random(seed)

    def text() -> str:
        return f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.randrange(10_000_000):07d}"

    for _ in range(n):
        h = f"{rng.getrandbits(128):032x}"
        yield f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", {
            "Name": text(),
            "Category": text(),
            "Note": text(),
            "Qty": rng.randrange(0, 10_000),
            "Version": rng.randrange(1, 50),
            "OwnerNo": rng.randrange(1, 2_000_000),
            "Price": Decimal(f"{rng.uniform(0, 5000):.2f}"),
            "Score": Decimal(f"{rng.random():.8f}"),
            "Active": rng.random() < 0.7,
            "UpdatedAt": _BASE + timedelta(milliseconds=rng.randrange(0, 86_400_000 * 365)),
        }


# ---- the server ----------------------------------------------------------------------------


def _compile(path: Path) -> Any:
    from nanoflow.compiler import load

    return load(path)


async def _seed(app_path: Path, db_path: Path, n: int) -> None:
    """Create the server database with the user, then insert `n` objects straight into the
    entity's table (sequence 1) with the server's row builder."""
    import sqlite3

    from nanoflow.server.database import ServerDatabase
    from nanoflow.server.store import codecs_of
    from nanoflow.server.urls import resolve
    from nanoflow.server.users import Users

    app = _compile(app_path)
    db = await ServerDatabase.open(app, resolve(f"sqlite:///{db_path}", db_path.parent))
    try:
        await Users(db).add(USER, PASSWORD, ["Bench.Reader"])
        layout = db.schema.layout("Bench.Item")
        build = codecs_of(db).builder(layout, lenient=True)
    finally:
        await db.close()
    table = layout.table
    names = ["id", "entity", *(c.sql for c in table.columns), "_seq"]
    marks = ["?", "'Bench.Item'", *("?" * len(table.columns)), "?"]
    sql = f"INSERT INTO {table.sql} ({', '.join(names)}) VALUES ({', '.join(marks)})"
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        chunk: list[tuple[Any, ...]] = []
        for object_id, values in rows(n):
            chunk.append(build(object_id, values, 1))
            if len(chunk) == 50_000:
                conn.executemany(sql, chunk)
                chunk.clear()
        conn.executemany(sql, chunk)
        conn.execute("UPDATE nf_counter SET n = 1 WHERE id = 1")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    request = b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nanoflow serve exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.sendall(request)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("nanoflow serve did not become ready")


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Served:
    """A seeded server database served by a `nanoflow serve` process."""

    tmp: Path
    app_path: Path
    url: str
    process: subprocess.Popen[bytes]
    seed_seconds: float

    def stop(self) -> float | None:
        """Stop the server; its peak RSS in MiB."""
        hwm = _vm_hwm_kib(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return None if hwm is None else hwm / 1024


def serve(tmp: Path, n: int) -> Served:
    """Seed a server database with `n` objects and start `nanoflow serve` on it."""
    app_path = tmp / "bench_sync.nf"
    app_path.write_text(APP)
    db_path = tmp / "server.sqlite"
    start = time.perf_counter()
    asyncio.run(_seed(app_path, db_path, n))
    seed_seconds = time.perf_counter() - start
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "nanoflow", "serve", str(app_path), "--db",
         f"sqlite:///{db_path}", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_ready(port, process)
    except RuntimeError:
        process.kill()
        process.wait()
        raise RuntimeError((tmp / "server.log").read_text()) from None
    return Served(tmp, app_path, f"http://127.0.0.1:{port}", process, seed_seconds)


def device_run(
    served: Served, store: Path, repeats: int, pull: bool = False
) -> dict[str, Any]:
    """One device run in a fresh child process (see `child`); `pull`: the bare pull instead."""
    command = [
        sys.executable, __file__, "--child", "--app", str(served.app_path), "--server",
        served.url, "--store", str(store), "--repeats", str(repeats),
    ]  # fmt: skip
    if pull:
        command.append("--pull")
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"device run failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    return result


# ---- the device (child process) --------------------------------------------------------------


class _Clock:
    """A host that notes when each synchronization starts and ends (its progress events)."""

    def __init__(self) -> None:
        from nanoflow.runtime.host import Host

        class Timing(Host):
            async def sync_progress(inner, progress: Any) -> None:
                if progress.phase == "start":
                    self.start = time.perf_counter()
                elif progress.phase == "done":
                    self.end = time.perf_counter()
                    self.rss_kib = _vm_hwm_kib(os.getpid()) or 0

        self.host = Timing()
        self.start = 0.0
        self.end = 0.0
        self.rss_kib = 0

    @property
    def seconds(self) -> float:
        return self.end - self.start


async def _device(app_path: Path, server: str, store: Path, repeats: int) -> dict[str, Any]:
    import nanoflow

    app = _compile(app_path)
    clock = _Clock()
    rss_before = _vm_hwm_kib(os.getpid()) or 0
    opened = time.perf_counter()
    runtime = nanoflow.Runtime(
        app, store=store, server=server, user=USER, password=PASSWORD, host=clock.host
    )
    async with runtime as rt:
        open_seconds = time.perf_counter() - opened
        full = clock.seconds
        rss_full = clock.rss_kib
        last = await rt.store.get_meta("last_sync")  # type: ignore[union-attr]
        result: dict[str, Any] = {
            "full_seconds": full,
            "open_seconds": open_seconds,
            "downloaded": last["downloaded"],
            "bytes": last["bytes"],
            "rss_before_kib": rss_before,
            "rss_full_kib": rss_full,
        }
        if repeats:
            # Each kind is timed twice over: as a running app does it (the collector left to
            # its own schedule), and right after a forced full collection, which walks the
            # whole heap and leaves the caches cold (reported beside the row).
            incremental, incremental_cold = [], []
            for n in range(2 * repeats):
                if n % 2:
                    gc.collect()
                async for _progress in rt.synchronize():
                    pass
                (incremental_cold if n % 2 else incremental).append(clock.seconds)
            last = await rt.store.get_meta("last_sync")  # type: ignore[union-attr]
            result["incremental_downloaded"] = last["downloaded"]
            first_id = next(rows(1))[0]
            item = await rt.load(first_id, "Bench.Item")
            assert item is not None
            selected, selected_cold = [], []
            for n in range(2 * repeats):
                if n % 2:
                    gc.collect()
                start = time.perf_counter()
                await rt.call("Bench.SyncOne", item=item)
                (selected_cold if n % 2 else selected).append(time.perf_counter() - start)
            result["incremental_seconds"] = incremental
            result["incremental_cold_seconds"] = incremental_cold
            result["selected_seconds"] = selected
            result["selected_cold_seconds"] = selected_cold
    return result


async def _pull(server: str, entity: str = "Bench.Item") -> dict[str, Any]:
    """The server's side alone: every page of a full download fetched with a bare httpx client
    and decoded with orjson, nothing stored (what the device waits for, at least)."""
    import httpx
    import orjson

    from nanoflow.protocol.wire import API_PREFIX

    async with httpx.AsyncClient(base_url=server, timeout=120.0, trust_env=False) as client:
        login = await client.post(f"{API_PREFIX}/login", json={"user": USER, "password": PASSWORD})
        headers = {"authorization": f"Bearer {login.json()['token']}"}
        cursor: str | None = None
        count = 0
        start = time.perf_counter()
        while True:
            params: dict[str, Any] = {"limit": 5000}
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get(
                f"{API_PREFIX}/download/{entity}", params=params, headers=headers
            )
            response.raise_for_status()
            page = orjson.loads(response.content)
            count += len(page["rows"])
            cursor = page["cursor"]
            if not page["more"]:
                break
        return {"pull_seconds": time.perf_counter() - start, "pulled": count}


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--app", type=Path, required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=0)
    parser.add_argument("--pull", action="store_true")
    args = parser.parse_args(argv)
    if args.pull:
        result = asyncio.run(_pull(args.server))
    else:
        result = asyncio.run(_device(args.app, args.server, args.store, args.repeats))
    print(json.dumps(result), flush=True)


# ---- the targets -----------------------------------------------------------------------------


def _measure_100k(ctx: Context) -> dict[str, Any]:
    """Every device run against the 100,000-object server, once per bench run (shared by the
    three targets through `ctx.extras`)."""
    found = ctx.extras.get("sync_100k")
    if found is not None:
        return dict(found)
    runs = []
    pulls = []
    with tempfile.TemporaryDirectory(prefix="nf-sync-bench-") as tmp_text:
        tmp = Path(tmp_text)
        served = serve(tmp, FULL_OBJECTS)
        try:
            device_run(served, tmp / "warmup.sqlite", 0)  # server caches, OS page cache
            for n in range(ctx.runs):  # interleaved, so that load drift hits both alike
                runs.append(device_run(served, tmp / f"device{n}.sqlite", REPEATS))
                pulls.append(device_run(served, tmp / "pull", 0, pull=True))
        finally:
            server_rss = served.stop()
    result = {
        "runs": runs,
        "pulls": pulls,
        "seed_seconds": served.seed_seconds,
        "server_rss_mib": server_rss,
    }
    ctx.extras["sync_100k"] = result
    return result


def _floor_seconds(ctx: Context) -> float:
    assert ctx.floors is not None
    return float(ctx.floors["full_sync_seconds"])


def target_full_sync(ctx: Context) -> list[Result]:
    measured = _measure_100k(ctx)
    floor = _floor_seconds(ctx)
    runs = measured["runs"]
    seconds = [r["full_seconds"] for r in runs]
    median = statistics.median(seconds)
    assert all(r["downloaded"] == FULL_OBJECTS for r in runs), runs
    rss = statistics.median(r["rss_full_kib"] for r in runs) / 1024
    rows_per_s = FULL_OBJECTS / median
    opened = statistics.median(r["open_seconds"] for r in runs)
    return [
        Result(
            f"full_sync: {FULL_OBJECTS:,} objects from nanoflow serve / floor full_sync_seconds",
            median / floor,
            FULL_TARGET,
            detail=f"median {median:.2f} s (min {min(seconds):.2f}) = {rows_per_s:,.0f} obj/s, "
            f"floor {floor:.2f} s; open incl. login {opened:.2f} s; "
            f"{runs[0]['bytes'] / 1e6:.1f} MB; device peak RSS {rss:.0f} MiB; "
            f"seeding {measured['seed_seconds']:.1f} s",
        ),
        _server_row(measured, median),
    ]


def _server_row(measured: dict[str, Any], full: float) -> Result:
    pulls = [p["pull_seconds"] for p in measured["pulls"]]
    pull = statistics.median(pulls)
    assert all(p["pulled"] == FULL_OBJECTS for p in measured["pulls"])
    return Result(
        "full_sync / the server alone (bare httpx pull of the same pages, nothing stored)",
        full / pull,
        detail=f"bare pull median {pull:.2f} s (min {min(pulls):.2f}): near 1 means the device "
        "waits for the server (SYNC.md 9 budgets the server separately: serverbench)",
    )


def target_incremental(ctx: Context) -> list[Result]:
    measured = _measure_100k(ctx)
    floor = _floor_seconds(ctx)
    seconds = [s for r in measured["runs"] for s in r["incremental_seconds"]]
    cold = [s for r in measured["runs"] for s in r["incremental_cold_seconds"]]
    median = statistics.median(seconds)
    assert all(r["incremental_downloaded"] == 0 for r in measured["runs"])
    return [
        Result(
            "incremental_noop: synchronize all, nothing changed / floor full_sync_seconds",
            median / floor,
            INCREMENTAL_TARGET,
            unit="",
            detail=f"median {median * 1000:.1f} ms (min {min(seconds) * 1000:.1f}), "
            f"floor {floor:.2f} s",
        ),
        _cold_row("incremental_noop", cold, floor),
    ]


def _cold_row(name: str, cold: list[float], floor: float) -> Result:
    median = statistics.median(cold)
    return Result(
        f"{name} right after a forced gc.collect() / floor full_sync_seconds",
        median / floor,
        unit="",
        detail=f"median {median * 1000:.1f} ms (min {min(cold) * 1000:.1f}): the collection "
        "walks the whole heap and leaves the caches cold",
    )


def target_selected(ctx: Context) -> list[Result]:
    measured = _measure_100k(ctx)
    floor = _floor_seconds(ctx)
    seconds = [s for r in measured["runs"] for s in r["selected_seconds"]]
    cold = [s for r in measured["runs"] for s in r["selected_cold_seconds"]]
    median = statistics.median(seconds)
    return [
        Result(
            "selected_one: synchronize $item (one of 100,000) / floor full_sync_seconds",
            median / floor,
            SELECTED_TARGET,
            unit="",
            detail=f"median {median * 1000:.1f} ms (min {min(seconds) * 1000:.1f}), "
            f"floor {floor:.2f} s",
        ),
        _cold_row("selected_one", cold, floor),
    ]


def target_rss(ctx: Context) -> list[Result]:
    """Peak RSS of a device doing a 1,000,000-object full sync, next to a 100,000 one (the
    peak should follow the page size, not the object count)."""
    counts = (FULL_OBJECTS, RSS_OBJECTS // (10 if ctx.quick else 1))
    peaks: dict[int, dict[str, Any]] = {}
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="nf-sync-rss-") as tmp_text:
            tmp = Path(tmp_text)
            served = serve(tmp, count)
            try:
                peaks[count] = device_run(served, tmp / "device.sqlite", 0)
            finally:
                served.stop()
    small, large = (peaks[c] for c in counts)
    assert large["downloaded"] == counts[1], large
    mib = large["rss_full_kib"] / 1024
    return [
        Result(
            f"full_sync_rss: device peak RSS, full sync of {counts[1]:,} objects",
            mib,
            RSS_TARGET_MIB,
            unit=" MiB",
            detail=f"{counts[0]:,} objects: {small['rss_full_kib'] / 1024:.0f} MiB; "
            f"before the sync {large['rss_before_kib'] / 1024:.0f} MiB; "
            f"{counts[1]:,} in {large['full_seconds']:.1f} s",
        )
    ]


TARGETS = [
    Target("full_sync", "full sync of 100,000 objects vs the floor", target_full_sync, ("http",)),
    Target(
        "incremental_noop", "incremental sync, nothing changed", target_incremental, ("http",)
    ),
    Target("selected_one", "synchronize one selected object", target_selected, ("http",)),
    Target("full_sync_rss", "device peak RSS of a 1,000,000-object full sync", target_rss),
]

if __name__ == "__main__":
    child(sys.argv[1:])
