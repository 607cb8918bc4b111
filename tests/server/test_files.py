"""File contents on SQLite and PostgreSQL (SYNC.md 7): identical contents of one user's objects
are stored once; another user's identical contents are not shared (a hash reaches only the
caller's own contents: no existence oracle); downloads are authorised by the owning object's
read rule; contents no object refers to are deleted."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sync_support import Device, Server, serve

from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.sync.http import LINK_MIN_BYTES
from nanoflow.runtime.values import MxObject
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Docs
role Clerk
role Boss
entity Photo extends System.Image with owner { Caption: String }
access Photo for Clerk {
  create, delete, read *, write * where [System.owner = '[%CurrentUser%]']
}
access Photo for Boss { create, delete, read *, write * }
offline { Photo: all }
"""
BIG = bytes(range(256)) * (LINK_MIN_BYTES // 256 + 1)


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("docs.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@pytest.fixture
async def server(app: App, target: DatabaseTarget) -> AsyncIterator[Server]:
    async with serve(app, target) as served:
        for name, role in (("ann", "Clerk"), ("bob", "Clerk"), ("boss", "Boss")):
            await served.users.add(name, f"{name}-pw", [f"Docs.{role}"])
        yield served


async def photo(device: Device, caption: str, data: bytes) -> MxObject:
    s = device.session
    obj = s.create("Docs.Photo", {"Caption": caption, "Name": f"{caption}.jpg"})
    await s.commit(obj, "$photo")
    await s.write_file(obj, data)
    await device.synchronize()
    assert device.sync.last is not None and device.sync.last.failed == 0
    return obj


async def stored_contents(server: Server) -> dict[str, int]:
    """Content key → number of parts, for every stored content."""
    async with server.db.read() as conn:
        rows = await conn.execute(text("SELECT id, COUNT(*) FROM nf_file_chunks GROUP BY id"))
        return {r[0]: int(r[1]) for r in rows.all()}


async def token(client: httpx.AsyncClient, user: str) -> dict[str, str]:
    answer = await client.post("/api/v1/login", json={"user": user, "password": f"{user}-pw"})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def test_one_users_identical_contents_are_stored_once(
    server: Server, tmp_path: Path
) -> None:
    async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
        first = await photo(ann, "first", BIG)
        sent = ann.sync.transport.bytes_sent  # type: ignore[attr-defined]
        second = await photo(ann, "second", BIG)
        # offered by hash: the bytes stayed on the device
        assert ann.sync.transport.bytes_sent - sent < len(BIG)  # type: ignore[attr-defined]
        small = await photo(ann, "small", b"tiny")
        again = await photo(ann, "again", b"tiny")  # sent whole, stored once all the same
    contents = await stored_contents(server)
    assert len(contents) == 2
    async with server.client() as client:
        headers = await token(client, "ann")
        for obj, data in ((first, BIG), (second, BIG), (small, b"tiny"), (again, b"tiny")):
            answer = await client.get(f"/api/v1/files/{obj.id}", headers=headers)
            assert answer.status_code == 200 and answer.content == data


async def test_another_users_identical_contents_are_not_shared(
    server: Server, tmp_path: Path
) -> None:
    async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
        await photo(ann, "ann's", BIG)
    async with server.device(tmp_path / "bob.db", "bob", "bob-pw") as bob:
        s = bob.session
        obj = s.create("Docs.Photo", {"Caption": "bob's"})
        await s.commit(obj, "$photo")
        async with server.client() as client:
            headers = await token(client, "bob")
            offer = {"hash": hashlib.sha256(BIG).hexdigest(), "size": len(BIG)}
            answer = await client.post(
                f"/api/v1/files/{obj.id}/link", json=offer, headers=headers
            )
            # ann holds these bytes, but a hash is no right to them, nor a way to learn it
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "not_found"
        await s.write_file(obj, BIG)
        await bob.synchronize()
        assert bob.sync.last is not None and bob.sync.last.failed == 0
    contents = await stored_contents(server)
    assert len(contents) == 2  # the same bytes, once per user
    assert len({key.split(":")[1] for key in contents}) == 1


async def test_downloads_follow_the_owning_objects_read_rule(
    server: Server, tmp_path: Path
) -> None:
    async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
        obj = await photo(ann, "private", b"ann's bytes")
    async with server.client() as client:
        url = f"/api/v1/files/{obj.id}"
        answer = await client.get(url, headers=await token(client, "bob"))
        assert answer.status_code == 404  # bob may not read ann's photo
        answer = await client.get(url, headers=await token(client, "boss"))
        assert answer.status_code == 200 and answer.content == b"ann's bytes"
        # nor may bob give it contents, or claim contents for a pending object of ann's
        answer = await client.put(url, content=b"x", headers=await token(client, "bob"))
        assert answer.status_code == 404
        pending = "0190a000-0000-7000-8000-000000000001"
        answer = await client.put(
            f"/api/v1/files/{pending}", content=b"ann's next", headers=await token(client, "ann")
        )
        assert answer.status_code == 204
        answer = await client.put(
            f"/api/v1/files/{pending}", content=b"bob's", headers=await token(client, "bob")
        )
        assert answer.status_code == 404


async def test_contents_no_object_refers_to_are_deleted(server: Server, tmp_path: Path) -> None:
    async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
        one = await photo(ann, "one", b"shared")
        two = await photo(ann, "two", b"shared")
        assert len(await stored_contents(server)) == 1
        await ann.session.write_file(one, b"changed")
        await ann.synchronize()
        assert len(await stored_contents(server)) == 2  # `two` still holds the old ones
        await ann.session.delete(two, "$two")
        await ann.synchronize()
        [key] = await stored_contents(server)
        assert key.endswith(hashlib.sha256(b"changed").hexdigest())
        await ann.session.delete(one, "$one")
        await ann.synchronize()
    assert await stored_contents(server) == {}
