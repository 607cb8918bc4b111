"""Complete downloads after the first (read rules that follow an association make every run
complete): objects unchanged since the cursor come by id only (`kept`) and stay on the device;
objects that left the user's view go (a run cut off and resumed: tests/faults/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Field
role Inspector
entity Area { Open: Boolean = true }
entity Site { Name: String }
association Site_Area from Site to Area
access Area for Inspector { read * }
access Site for Inspector { read * where [Site_Area/Area/Open = true] }
offline {
  Area: all
  Site: all
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("field.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_unchanged_objects_of_a_complete_download_stay_and_hidden_ones_go(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Field.Inspector"])
        async with server.db.write() as conn:
            seq = await server.db.next_sequence(conn)
            for area, is_open in (("a1", True), ("a2", True)):
                await conn.execute(text(
                    'INSERT INTO "o:Field.Area" (id, entity, "Field.Area.Open", _seq) '
                    "VALUES (:id, 'Field.Area', :open, :seq)"
                ), {"id": ids(area), "open": is_open, "seq": seq})  # fmt: skip
            for n in range(7):
                await conn.execute(text(
                    'INSERT INTO "o:Field.Site" (id, entity, "Field.Site.Name", '
                    '"Field.Site_Area", _seq) VALUES (:id, \'Field.Site\', :name, :area, :seq)'
                ), {"id": ids(f"s{n}"), "name": f"site {n}", "area": ids("a1" if n < 4 else "a2"),
                    "seq": seq})  # fmt: skip
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            ann.sync.page_size = 3
            await ann.synchronize()
            assert len(await sync_ids(ann)) == 7
            await ann.synchronize()  # complete again, everything unchanged: kept by id
            assert len(await sync_ids(ann)) == 7
            async with server.db.write() as conn:
                seq = await server.db.next_sequence(conn)
                await conn.execute(text(
                    'UPDATE "o:Field.Area" SET "Field.Area.Open" = false, _seq = :seq '
                    "WHERE id = :id"
                ), {"id": ids("a2"), "seq": seq})  # fmt: skip
            await ann.synchronize()
            assert await sync_ids(ann) == sorted(ids(f"s{n}") for n in range(4))


def ids(name: str) -> str:
    """A fixed canonical id per name (ordered like the names)."""
    number = int.from_bytes(name.encode().ljust(6, b"\0"), "big")
    return f"00000000-0000-7000-8000-{number:012x}"


async def sync_ids(device: object) -> list[str]:
    from nanoflow.runtime.store.sync import entity_ids

    return sorted(await entity_ids(device.store, "Field.Site"))  # type: ignore[attr-defined]
