"""Uploads in chunks (`DeviceSync.upload_chunk`, `MAX_UPLOAD_BYTES`): any number of changes gets
to the server, each chunk recorded, sent and settled in order; and an upload the server refuses
as sent (a 4xx that applies nothing) is dropped, never sent again as it was, while its changes
stay pending for the next synchronization, which sends them as they are then."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sync_support import Server, serve

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.sync import engine
from nanoflow.runtime.values import MendixError
from nanoflow.server.app import create_app
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Chunks
role Worker
entity Job with owner { Name: String  Note: String }
entity Step with owner { Label: String }
association Step_Job from Step to Job
access Job for Worker { create, delete, read *, write * }
access Step for Worker { create, delete, read *, write * }
offline {
  Job: all
  Step: all
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("chunks.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def _count(server: Server, entity: str) -> int:
    table = server.db.schema.layout(entity).table.sql
    async with server.db.read() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_many_changes_go_up_in_chunks_each_settled_in_order(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Chunks.Worker"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            ann.sync.upload_chunk = 3
            session = ann.session
            for n in range(4):  # each step refers to the job made just before it
                job = session.create("Chunks.Job", {"Name": f"job {n}"})
                await session.commit(job, "$job")
                step = session.create("Chunks.Step", {"Label": f"step {n}", "Chunks.Step_Job": job})
                await session.commit(step, "$step")
            await ann.synchronize()
            assert await ann.store.pending_changes() == []
            assert await ann.store.get_meta("upload_sequence") == 3  # 8 objects, 3 a request
            assert await ann.store.get_meta("upload") is None
            assert ann.sync.last is not None and ann.sync.last.failed == 0
        assert await _count(server, "Chunks.Job") == 4
        assert await _count(server, "Chunks.Step") == 4


async def test_a_large_chunk_is_split_until_each_request_fits(
    app: App, target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "MAX_UPLOAD_BYTES", 600)
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Chunks.Worker"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            for n in range(5):
                job = ann.session.create("Chunks.Job", {"Name": f"job {n}", "Note": "x" * 150})
                await ann.session.commit(job, "$job")
            await ann.synchronize()
            assert await ann.store.pending_changes() == []
            assert await ann.store.get_meta("upload_sequence") == 5  # one object a request
        assert await _count(server, "Chunks.Job") == 5


async def test_an_upload_refused_as_sent_is_built_anew_and_nothing_is_lost(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        server.api = create_app(app, server.db, max_body_bytes=2000)  # small requests only
        await server.users.add("ann", "ann-pw", ["Chunks.Worker"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            job = ann.session.create("Chunks.Job", {"Name": "big", "Note": "x" * 5000})
            await ann.session.commit(job, "$job")
            with pytest.raises(MendixError, match="413"):
                await ann.synchronize()
            assert await ann.store.get_meta("upload") is None  # not sent again as it was
            assert [c["$id"] for c in await ann.store.pending_changes()] == [job.id]
            with pytest.raises(MendixError, match="413"):  # still too large: still pending
                await ann.synchronize()
            ann.session.change(job, {"Note": "short now"}, "$job")
            await ann.session.commit(job, "$job")
            await ann.synchronize()  # the new request carries the object as it is now
            assert await ann.store.pending_changes() == []
        assert await _count(server, "Chunks.Job") == 1
        table = server.db.schema.layout("Chunks.Job").table.sql
        async with server.db.read() as conn:
            note = (await conn.execute(text(f'SELECT "Chunks.Job.Note" FROM {table}'))).scalar()
        assert note == "short now"
