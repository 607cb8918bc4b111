"""Durability: a process killed at any moment leaves every commit whole or absent.

A child process commits batches in a loop (each batch: one tag and N items that all carry the
batch number and reference the tag through a reference set); the test kills it with SIGKILL at
random moments, reopens the store (the file lock must be free again) and checks every batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from nanoflow.compiler import load
from nanoflow.runtime.store import DeviceStore

APP = """
module K

entity Item {
  Batch: Integer
  Seq: Integer
  Note: String
}

entity Tag { Batch: Integer }

association Item_Tags from Item to many Tag

offline {
  Item: all
  Tag: all
}
"""

N = 300

WRITER = """
import asyncio, sys
from nanoflow.compiler import load
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.values import MxObject

async def main():
    store = await DeviceStore.open(sys.argv[1], load(sys.argv[2]))
    session = await Session(load(sys.argv[2]), store=store).open()
    n, batch = int(sys.argv[3]), int(sys.argv[4])
    while True:
        tag = MxObject("K.Tag", values={"Batch": batch})
        items = [
            MxObject("K.Item", values={"Batch": batch, "Seq": i, "Note": "x" * 40,
                                       "K.Item_Tags": (tag.id,)})
            for i in range(n)
        ]
        await session.commit([tag, *items], 'the batch')
        print(batch, flush=True)
        batch += 1

asyncio.run(main())
"""


def check(path: Path, source: Path) -> int:
    """Every batch is complete or absent; returns the next batch number."""
    asyncio.run(_reopen(path, source))  # the killed writer's lock is free; recovery runs
    with contextlib.closing(sqlite3.connect(path)) as db:
        items = dict(db.execute('SELECT "K.Item.Batch", count(*) FROM "o:K.Item" GROUP BY 1'))
        tags = dict(db.execute('SELECT "K.Tag.Batch", count(*) FROM "o:K.Tag" GROUP BY 1'))
        links = dict(
            db.execute(
                'SELECT t."K.Tag.Batch", count(*) FROM "r:K.Item_Tags" r '
                'JOIN "o:K.Tag" t ON t.id = r.target_id GROUP BY 1'
            )
        )
    assert set(items) == set(tags) == set(links)
    assert Counter(items.values()) == Counter({N: len(items)})
    assert all(count == 1 for count in tags.values())
    assert all(count == N for count in links.values())
    return max(items, default=0) + 1


def test_killed_writer_leaves_whole_commits(tmp_path: Path) -> None:
    source = tmp_path / "k.nf"
    source.write_text(APP)
    path = tmp_path / "device.db"
    rng = random.Random(20240501)
    batch = 1
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(source), str(N), str(batch)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline().strip()  # at least one batch is in
        assert first == str(batch), first
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        reported = [int(line) for line in child.stdout.read().split()]
        child.wait()
        next_batch = check(path, source)
        assert next_batch > max([batch, *reported])  # every reported commit survived
        batch = next_batch
    assert batch > 6
    asyncio.run(_reopen(path, source))


async def _reopen(path: Path, source: Path) -> None:
    store = await DeviceStore.open(path, load(source))
    await store.close()
