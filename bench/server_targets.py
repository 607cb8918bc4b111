"""Server targets (issue 7 item 10, SYNC.md section 9): applying an upload, answering a full
download, and a load run of 50 devices through two `nanoflow serve` processes on PostgreSQL.

The upload and download figures call the server's endpoints in this process through ASGI (the
real FastAPI app with its routing, authentication, validation and database work, no socket), so
they measure the server's own work; each is divided by the same database job done directly
with SQLAlchemy Core in the same run. PostgreSQL rows run when `NANOFLOW_BENCH_PG_URL` (or
`NANOFLOW_TEST_PG_URL`) names a database; each run uses fresh schemas, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from harness import REPO, Context, Result, Target
from sqlalchemy import insert, select

from nanoflow.compiler import App, compile_sources
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.store import codecs_of
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users
from nanoflow.source import SourceFile

sys.path.insert(0, str(REPO / "tests"))

UPLOAD_OBJECTS = 10_000
UPLOAD_TARGET = 3.0
DOWNLOAD_OBJECTS = 100_000
DOWNLOAD_TARGET = 1.5
PAGE = 5000
ENTITY = "Bench.Item"
PASSWORD = "bench-pw-1"

APP = """module Bench
role User
entity Item {
  Name: String(100)
  Category: String(100)
  Note: String(100)
  Qty: Integer
  Version: Integer
  Rank: Long
  Price: Decimal
  Score: Decimal
  Active: Boolean
  UpdatedAt: DateTime
}
access Item for User { create, delete, read *, write * }
offline { Item: all }
"""

WORDS = ["alpha", "bravo", "delta", "gamma", "omega", "sigma", "tango", "zulu"]


def _app() -> App:
    result = compile_sources([SourceFile("bench.nf", APP)])
    assert result.app is not None, result.diagnostics
    return result.app


def _pg_url() -> str | None:
    for name in ("NANOFLOW_BENCH_PG_URL", "NANOFLOW_TEST_PG_URL"):
        url = os.environ.get(name, "").strip()
        if url:
            return url
    return None


def _wire_item(n: int) -> dict[str, Any]:
    """Member values of the n-th item, as a device uploads them (like bench-floor's rows)."""
    w = WORDS
    return {
        "Name": f"{w[n % 8]} {w[(n // 8) % 8]} {n:07d}",
        "Category": f"{w[(n // 3) % 8]} {w[(n // 5) % 8]} {n % 9973:07d}",
        "Note": f"{w[(n // 7) % 8]} {w[(n // 11) % 8]} {n * 7 % 10_000_019:07d}",
        "Qty": n % 1000,
        "Version": 1 + n % 7,
        "Rank": n * 1_000_003,
        "Price": f"{(n % 100_000) / 100:.2f}",
        "Score": f"{(n * 0.6180339887) % 1000:.10f}",
        "Active": n % 2 == 0,
        "UpdatedAt": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z",
    }


# ---- the app in this process, through ASGI ---------------------------------------------------


async def asgi(
    api: Any, method: str, path: str, *, query: str = "", body: bytes = b"", token: str = ""
) -> tuple[int, bytes]:
    """One request to an ASGI app in this process; the status and the whole body."""
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }  # fmt: skip
    sent = False
    status = 0
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a disconnect never comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await api(scope, receive, send)
    return status, b"".join(parts)


class Served:
    """The server app on a database, with one logged-in user."""

    def __init__(self, app: App, db: ServerDatabase) -> None:
        self.app = app
        self.db = db
        self.api = create_app(app, db)
        self.token = ""
        self.device_id = ""
        self.sequence = 0

    def upload_body(self, objects: list[dict[str, Any]]) -> bytes:
        """The device's next upload of these objects (a new sequence number)."""
        self.sequence += 1
        request = {"device_id": self.device_id, "sequence": self.sequence, "objects": objects}
        return orjson.dumps(request)

    async def upload(self, body: bytes) -> bytes:
        """POST /upload; the answer."""
        status, data = await asgi(self.api, "POST", "/api/v1/upload", body=body, token=self.token)
        assert status == 200, data[:500]
        return data

    async def login(self) -> None:
        await Users(self.db).add("bench", PASSWORD, ["Bench.User"])
        status, body = await asgi(
            self.api,
            "POST",
            "/api/v1/login",
            body=orjson.dumps({"user": "bench", "password": PASSWORD}),
        )
        assert status == 200, body
        answer = orjson.loads(body)
        self.token, self.device_id = answer["token"], answer["device_id"]


@asynccontextmanager
async def _database(app: App, kind: str, work: Path, name: str) -> AsyncIterator[ServerDatabase]:
    """A fresh server database of the app: a SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        db = await ServerDatabase.open(app, resolve(f"sqlite:///{work / name}.sqlite", work))
        try:
            yield db
        finally:
            await db.close()
        return
    import asyncpg

    url = _pg_url()
    assert url is not None
    schema = f"nf_bench_{name}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        db = await ServerDatabase.open(app, resolve(f"{url}?schema={schema}", work))
        try:
            yield db
        finally:
            await db.close()
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def _stored_rows(
    db: ServerDatabase, items: list[tuple[str, dict[str, Any]]], seq: int
) -> list[dict[str, Any]]:
    """Rows of the entity's table as the server stores these objects (untimed preparation)."""
    from nanoflow.runtime.wire import from_wire, member_kinds

    layout = db.schema.layout(ENTITY)
    kinds = member_kinds(layout)
    build = codecs_of(db).builder(layout)
    names = [c.name for c in layout.table.columns]
    rows = []
    for object_id, wire in items:
        values = {m: from_wire(kinds[m][0], v, kinds[m][1]) for m, v in wire.items()}
        built = build(object_id, values, None)
        row = {"id": object_id, "entity": ENTITY, "_seq": seq}
        row.update(zip(names, built[1:-1], strict=True))
        rows.append(row)
    return rows


Timing = tuple[float, float]
"""Wall seconds and CPU seconds of this process (all its threads: aiosqlite works in one)."""


async def _timed(fn: Callable[[], Awaitable[Any]]) -> Timing:
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    await fn()
    return time.perf_counter() - start, time.process_time() - cpu


async def _against(
    served: Served, body: bytes, n: int, direct: Callable[[], Awaitable[Any]]
) -> tuple[Timing, Timing]:
    """One timed upload of `body` through the endpoint and one timed run of the floor's job
    (`direct`); then, untimed, every one of the `n` objects must have been applied."""
    answer: list[bytes] = []

    async def upload() -> None:
        answer.append(await served.upload(body))

    took, floor_took = await _timed(upload), await _timed(direct)
    outcomes = orjson.loads(answer[0])["outcomes"]
    applied = sum(1 for o in outcomes if o["status"] == "applied")
    assert applied == n, [o for o in outcomes if o["status"] != "applied"][:3]
    return took, floor_took


def _new_objects(items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"id": i, "entity": ENTITY, "kind": "new", "attributes": w} for i, w in items]


def _best(timings: list[Timing]) -> Timing:
    """The fastest run by wall time, and the least CPU time of any run."""
    return min(t[0] for t in timings), min(t[1] for t in timings)


# ---- upload_10k ------------------------------------------------------------------------------


async def _upload(kind: str, runs: int, n: int) -> tuple[Timing, Timing]:
    app = _app()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with (
            _database(app, kind, work, "up") as db,
            _database(app, kind, work, "floor") as floor_db,
        ):
            served = Served(app, db)
            await served.login()
            table = floor_db.tables.object_table(ENTITY)
            ours: list[Timing] = []
            floors: list[Timing] = []
            for run in range(runs + 1):  # the first is a warm-up
                items = [(str(uuid.uuid4()), _wire_item(run * n + i)) for i in range(n)]
                body = served.upload_body(_new_objects(items))
                async with floor_db.write() as conn:
                    seq = await floor_db.next_sequence(conn)
                rows = _stored_rows(floor_db, items, seq)

                async def direct(rows: list[dict[str, Any]] = rows) -> None:
                    async with floor_db.write() as conn:
                        await conn.execute(insert(table), rows)

                took, floor_took = await _against(served, body, n, direct)
                if run:
                    ours.append(took)
                    floors.append(floor_took)
    return _best(ours), _best(floors)


def _upload_rows(
    ctx: Context,
    what: str,
    floor_job: str,
    measure: Callable[[str, int, int], Awaitable[tuple[Timing, Timing]]],
    target: float | None,
) -> list[Result]:
    """One row per database: an upload of `what` against the floor's `floor_job`."""
    n = UPLOAD_OBJECTS // (5 if ctx.quick else 1)
    rows = []
    for kind in ("sqlite", "postgresql"):
        name = f"upload: apply {n:,} {what} ({kind}) / SQLAlchemy {floor_job}"
        if kind == "postgresql" and _pg_url() is None:
            rows.append(Result(name, None, skipped="no NANOFLOW_BENCH_PG_URL/NANOFLOW_TEST_PG_URL"))
            continue
        (ours, ours_cpu), (floor, floor_cpu) = asyncio.run(measure(kind, ctx.runs, n))
        rows.append(
            Result(
                name,
                ours / floor,
                target,
                detail=f"POST /upload {ours:.3f} s ({n / ours:,.0f} objects/s), "
                f"{floor_job} {floor:.3f} s; CPU {ours_cpu:.3f} s / {floor_cpu:.3f} s = "
                f"{ours_cpu / floor_cpu:.2f}x",
            )
        )
    return rows


def target_upload(ctx: Context) -> list[Result]:
    return _upload_rows(ctx, "new objects", "insert", _upload, UPLOAD_TARGET)


async def _upload_changes(kind: str, runs: int, n: int) -> tuple[Timing, Timing]:
    """Changes of two members of each of n existing objects, applied through the endpoint;
    floor: the same columns of the same rows updated directly with SQLAlchemy."""
    from sqlalchemy import bindparam, update

    app = _app()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with (
            _database(app, kind, work, "chg") as db,
            _database(app, kind, work, "chgfloor") as floor_db,
        ):
            served = Served(app, db)
            await served.login()
            items = [(str(uuid.uuid4()), _wire_item(i)) for i in range(n)]
            await served.upload(served.upload_body(_new_objects(items)))
            table = floor_db.tables.object_table(ENTITY)
            async with floor_db.write() as conn:
                seq = await floor_db.next_sequence(conn)
                await conn.execute(insert(table), _stored_rows(floor_db, items, seq))
            layout = floor_db.schema.layout(ENTITY)
            qty, note = (layout.attributes[m].name for m in ("Qty", "Note"))
            ours: list[Timing] = []
            floors: list[Timing] = []
            for run in range(runs + 1):  # the first is a warm-up
                body = served.upload_body(
                    [
                        {"id": i, "entity": ENTITY, "kind": "changed",
                         "attributes": {"Qty": run, "Note": f"note {run} {k}"}}
                        for k, (i, _w) in enumerate(items)
                    ]
                )  # fmt: skip
                async with floor_db.write() as conn:
                    seq = await floor_db.next_sequence(conn)
                rows = [
                    {"b_id": i, "b_qty": run, "b_note": f"note {run} {k}", "b_seq": seq}
                    for k, (i, _w) in enumerate(items)
                ]
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values({qty: bindparam("b_qty"), note: bindparam("b_note"),
                             "_seq": bindparam("b_seq")})
                )  # fmt: skip

                async def direct(rows: list[dict[str, Any]] = rows, sql: Any = statement) -> None:
                    async with floor_db.write() as conn:
                        await conn.execute(sql, rows)

                took, floor_took = await _against(served, body, n, direct)
                if run:
                    ours.append(took)
                    floors.append(floor_took)
    return _best(ours), _best(floors)


def target_upload_changes(ctx: Context) -> list[Result]:
    return _upload_rows(ctx, "changed objects", "update", _upload_changes, None)


# ---- download_100k ---------------------------------------------------------------------------

_TAIL = re.compile(rb'"cursor":"([^"]+)","more":(true|false)\}$')


async def _download(kind: str, runs: int, n: int) -> tuple[Timing, Timing, int]:
    app = _app()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with _database(app, kind, work, "down") as db:
            served = Served(app, db)
            await served.login()
            table = db.tables.object_table(ENTITY)
            async with db.write() as conn:
                seq = await db.next_sequence(conn)
                items = [(str(uuid.uuid4()), _wire_item(i)) for i in range(n)]
                for start in range(0, n, 10_000):
                    await conn.execute(
                        insert(table), _stored_rows(db, items[start : start + 10_000], seq)
                    )
            del items
            layout = db.schema.layout(ENTITY)
            columns = [
                table.c.id,
                table.c.entity,
                *(table.c[c.name] for c in layout.table.columns),
                table.c._seq,
            ]
            size = 0

            async def endpoint() -> None:
                nonlocal size
                cursor = ""
                size = 0
                while True:
                    query = f"limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
                    status, body = await asgi(
                        served.api,
                        "GET",
                        f"/api/v1/download/{ENTITY}",
                        query=query,
                        token=served.token,
                    )
                    assert status == 200, body[:500]
                    size += len(body)
                    found = _TAIL.search(body, len(body) - 4096)
                    assert found is not None, body[-300:]
                    if found.group(2) == b"false":
                        return
                    cursor = found.group(1).decode()

            async def direct() -> None:
                after = ""
                while True:
                    async with db.read() as conn:
                        result = await conn.execute(
                            select(*columns)
                            .where(table.c.id > after)
                            .order_by(table.c.id)
                            .limit(PAGE)
                        )
                        rows = result.all()
                    orjson.dumps({"rows": [tuple(r) for r in rows]}, default=str)
                    if len(rows) < PAGE:
                        return
                    after = rows[-1][0]

            await _check_download(served, n)
            ours: list[Timing] = []
            floors: list[Timing] = []
            for _ in range(runs + 1):
                ours.append(await _timed(endpoint))
                floors.append(await _timed(direct))
    return _best(ours[1:]), _best(floors[1:]), size


async def _check_download(served: Served, n: int) -> None:
    """Untimed: the pages hold every object once, with its values."""
    seen: set[str] = set()
    cursor = ""
    while True:
        query = f"limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
        status, body = await asgi(
            served.api, "GET", f"/api/v1/download/{ENTITY}", query=query, token=served.token
        )
        assert status == 200, body[:500]
        page = orjson.loads(body)
        seen.update(r[0] for r in page["rows"])
        if not page["more"]:
            break
        cursor = page["cursor"]
    assert len(seen) == n, (len(seen), n)


def target_download(ctx: Context) -> list[Result]:
    n = DOWNLOAD_OBJECTS // (5 if ctx.quick else 1)
    rows = []
    for kind in ("sqlite", "postgresql"):
        name = f"download: answer {n:,} objects ({kind}) / SQLAlchemy select + orjson"
        if kind == "postgresql" and _pg_url() is None:
            rows.append(Result(name, None, skipped="no NANOFLOW_BENCH_PG_URL/NANOFLOW_TEST_PG_URL"))
            continue
        (ours, ours_cpu), (floor, floor_cpu), size = asyncio.run(_download(kind, ctx.runs, n))
        rows.append(
            Result(
                name,
                ours / floor,
                DOWNLOAD_TARGET,
                detail=f"GET /download ×{-(-n // PAGE)} {ours:.3f} s ({n / ours:,.0f} rows/s, "
                f"{size / 1e6:.1f} MB), select+orjson {floor:.3f} s; CPU {ours_cpu:.3f} s / "
                f"{floor_cpu:.3f} s = {ours_cpu / floor_cpu:.2f}x",
            )
        )
    return rows


# ---- load --------------------------------------------------------------------------------------

LOAD_DEVICES = 50
LOAD_USERS = 10
LOAD_PROCESSES = 2


def target_load(ctx: Context) -> list[Result]:
    from load_support import LOAD_APP, add_users, load_app, run_load, serve_processes
    from server_support import write_app

    url = _pg_url()
    rounds = 2 if ctx.quick else 5
    name = (
        f"load: {LOAD_DEVICES} devices, {LOAD_PROCESSES} serve processes (PostgreSQL), "
        f"{rounds} syncs each"
    )
    if url is None:
        return [Result(name, None, skipped="no NANOFLOW_BENCH_PG_URL/NANOFLOW_TEST_PG_URL")]

    async def run(work: Path) -> Any:
        import asyncpg

        app = load_app()
        app_dir = write_app(work / "app", LOAD_APP)
        schema = f"nf_bench_load_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            db_url = f"{url}?schema={schema}"
            await add_users(app, db_url, app_dir, [f"u{i}" for i in range(LOAD_USERS)])
            with serve_processes(app_dir, db_url, LOAD_PROCESSES, work) as urls:
                return await run_load(
                    app,
                    db_url,
                    urls,
                    work,
                    devices=LOAD_DEVICES,
                    users=LOAD_USERS,
                    rounds=rounds,
                    per_sync=2,
                )
        finally:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()

    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(Path(tmp)))
    problems = [*result.errors, *result.lost]
    detail = (
        f"{result.syncs} syncs in {result.seconds:.2f} s; p50 {result.percentile(50) * 1000:.0f}"
        f" ms, p99 {result.percentile(99) * 1000:.0f} ms; devices and servers share 2 CPUs"
    )
    return [
        Result(f"{name}: throughput", result.throughput, unit=" syncs/s", detail=detail),
        Result(f"{name}: p50 latency", result.percentile(50) * 1000, unit=" ms"),
        Result(f"{name}: p99 latency", result.percentile(99) * 1000, unit=" ms"),
        Result(
            f"{name}: errors + lost changes",
            len(problems),
            0,
            unit="",
            detail="; ".join(problems[:3])
            or "every change on the server and on its user's devices, none on another user's",
        ),
    ]


TARGETS = [
    Target("upload_10k", "the server applying an upload of 10,000 new objects", target_upload),
    Target(
        "upload_changes_10k",
        "the server applying an upload of 10,000 changes of existing objects",
        target_upload_changes,
    ),
    Target(
        "download_100k", "the server answering a full download of 100,000 objects", target_download
    ),
    Target("load", "50 devices through two nanoflow serve processes on PostgreSQL", target_load),
]
