"""File contents through `synchronize all`: what one device stores reaches the server and the
devices of the users who may read the object (SYNC.md 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Snap
role Taker
entity Picture extends System.Image with owner { Caption: String }
access Picture for Taker { create, read *, write * }
offline { Picture: all }

nanoflow Take($path: String, $caption: String) returns Picture {
  $picture = create Picture (Caption = $caption)
  call action NanoflowCommons.StoreFileFromPath(file = $picture, path = $path)
  commit $picture
  return $picture
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("snap.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_contents_stored_before_the_first_commit_reach_the_other_device(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    """The idiom of Mendix apps (create, store the file, commit): the new object's contents go
    up with it, and another device downloads them."""
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG not really, but bytes")
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Snap.Taker"])
        await server.users.add("bob", "bob-pw", ["Snap.Taker"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            taken = await ann.session.call("Snap.Take", path=str(image), caption="door")
            await ann.synchronize()
            assert ann.sync.last is not None and ann.sync.last.failed == 0
        async with server.device(tmp_path / "bob.db", "bob", "bob-pw") as bob:
            await bob.synchronize()
            seen = await bob.session.load(taken.id, "Snap.Picture")
            assert seen is not None and seen["HasContents"] is True
            assert await bob.session.read_file(seen) == image.read_bytes()


async def test_contents_written_after_the_commit_reach_the_other_device(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Snap.Taker"])
        await server.users.add("bob", "bob-pw", ["Snap.Taker"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            picture = ann.session.create("Snap.Picture", {"Caption": "gate"})
            await ann.session.commit(picture, "$picture")
            await ann.synchronize()
            await ann.session.write_file(picture, b"second version")
            await ann.session.commit(picture, "$picture")
            await ann.synchronize()
        async with server.device(tmp_path / "bob.db", "bob", "bob-pw") as bob:
            await bob.synchronize()
            seen = await bob.session.load(picture.id, "Snap.Picture")
            assert seen is not None
            assert await bob.session.read_file(seen) == b"second version"
