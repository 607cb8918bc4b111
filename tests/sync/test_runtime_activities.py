"""Synchronization activities started by nanoflows that the runtime runs (`nanoflow.Runtime`),
end to end against the real server (in-process, SQLite and PostgreSQL): what a microflow sends
with `synchronize to device` lands on the calling device; `synchronize unsynchronized` and
`synchronize $a, $list` refresh the flow's objects, and variables of removed objects become
`empty` while lists drop them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sync_support import Server, serve

from nanoflow.api import Runtime
from nanoflow.compiler import App, compile_sources
from nanoflow.runtime.sync.login import ServerLink
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Yard
role Hand
role Boss

entity Crate with owner {
  Label: String
  Seen: String
}
access Crate for Hand {
  create, delete, read *, write (Label) where [System.owner = '[%CurrentUser%]']
}
access Crate for Boss { create, delete, read *, write * }
offline { Crate: all }

nanoflow Make($label: String) returns Crate {
  $crate = create Crate (Label = $label)
  commit $crate
  return $crate
}

// The crate labelled `$give` goes to the boss, the others are marked, and all come back to
// the device; returns how many of the flow's variables still hold an object, and the list's
// length, as "variables/list".
nanoflow HandOver($keep: Crate, $give: Crate, $crates: List of Crate) returns String {
  $n = call microflow GiveAway(label = $give/Label)
  declare $held: Integer = 0
  if $keep != empty {
    set $held = $held + 1
  }
  if $give != empty {
    set $held = $held + 1
  }
  return toString($held) + '/' + toString(count($crates))
}

nanoflow Relabel($crate: Crate, $label: String) {
  change $crate (Label = $label)
  commit $crate
}

nanoflow SyncUnsynchronized($a: Crate, $b: Crate, $crates: List of Crate) returns String {
  synchronize unsynchronized
  return toString($a != empty) + ' ' + toString($b != empty) + ' ' + toString(count($crates))
}

nanoflow SyncSelected($a: Crate, $crates: List of Crate) returns String {
  synchronize $a, $crates
  return toString($a != empty) + ' ' + toString(count($crates))
}

microflow GiveAway($label: String) returns Integer allow Hand {
  $boss = retrieve first System.User where [Name = 'boss']
  $crates = retrieve Crate where [System.owner = '[%CurrentUser%]']
  for $c in $crates {
    if $c/Label = $label {
      change $c (System.owner = $boss)
    } else {
      change $c (Seen = 'seen by the server')
    }
  }
  commit $crates
  synchronize to device $crates
  return count($crates)
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("yard.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@asynccontextmanager
async def runtime(server: Server, path: Path, user: str) -> AsyncIterator[Runtime]:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.api), base_url="http://server.test"
    )
    link = ServerLink(client, "http://server.test", f"{user}-pw")
    async with Runtime(server.app, store=path, link=link, user=user) as rt:
        yield rt


async def users(server: Server) -> None:
    await server.users.add("ann", "ann-pw", ["Yard.Hand"])
    await server.users.add("boss", "boss-pw", ["Yard.Boss"])


async def test_synchronize_to_device_from_a_called_microflow_updates_and_removes_device_objects(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with runtime(server, tmp_path / "ann.sqlite", "ann") as ann:
            keep = await ann.call("Make", label="keep")
            give = await ann.call("Make", label="give")
            async for _ in ann.synchronize():
                pass
            crates = [keep, give]
            assert await ann.call("HandOver", keep=keep, give=give, crates=crates) == "1/1"
            assert keep["Seen"] == "seen by the server"  # the server's change arrived
            assert give.is_empty and give.removed  # handed over: no longer readable
            [stored] = await ann.retrieve("Yard.Crate")
            assert stored is keep
            assert ann.store is not None and await ann.store.pending_changes() == []
        async with runtime(server, tmp_path / "boss.sqlite", "boss") as boss:
            labels = sorted(c["Label"] for c in await boss.retrieve("Yard.Crate"))
            assert labels == ["give", "keep"]


async def test_synchronize_unsynchronized_from_a_nanoflow_empties_variables_of_refused_objects(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with (
            runtime(server, tmp_path / "ann.sqlite", "ann") as ann,
            runtime(server, tmp_path / "boss.sqlite", "boss") as boss,
        ):
            mine = await ann.call("Make", label="mine")
            lost = await ann.call("Make", label="lost")
            async for _ in ann.synchronize():
                pass
            async for _ in boss.synchronize():
                pass
            [theirs] = [c for c in await boss.retrieve("Yard.Crate") if c.id == lost.id]
            await boss.delete(theirs, "$crate")  # the boss deletes it on the server
            async for _ in boss.synchronize():
                pass
            await ann.call("Relabel", crate=mine, label="mine, relabelled")
            await ann.call("Relabel", crate=lost, label="lost, relabelled")
            answer = await ann.call("SyncUnsynchronized", a=mine, b=lost, crates=[mine, lost])
            assert answer == "true false 1"
            assert lost.is_empty and mine["Label"] == "mine, relabelled"
            [failure] = await ann.failures()  # the change is kept on the server
            assert failure.object_id == lost.id and failure.kind == "changed"


async def test_synchronize_selected_from_a_nanoflow_refreshes_and_drops_gone_objects(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await users(server)
        async with (
            runtime(server, tmp_path / "ann.sqlite", "ann") as ann,
            runtime(server, tmp_path / "boss.sqlite", "boss") as boss,
        ):
            a = await ann.call("Make", label="a")
            b = await ann.call("Make", label="b")
            c = await ann.call("Make", label="c")
            async for _ in ann.synchronize():
                pass
            async for _ in boss.synchronize():
                pass
            by_label = {o["Label"]: o for o in await boss.retrieve("Yard.Crate")}
            await boss.call("Relabel", crate=by_label["a"], label="a, by the boss")
            await boss.delete(by_label["b"], "$crate")
            async for _ in boss.synchronize():
                pass
            answer = await ann.call("SyncSelected", a=a, crates=[a, b, c])
            assert answer == "true 2"
            assert a["Label"] == "a, by the boss"  # refreshed, no local change
            assert b.is_empty and not c.is_empty
            assert sorted(o["Label"] for o in await ann.retrieve("Yard.Crate")) == [
                "a, by the boss",
                "c",
            ]
