"""A device in its own process, for the fault tests that kill the device:

    python device_runner.py APP STORE URL USER PASSWORD PAGE_SIZE COMMAND...

Commands, run in order: `sync` (synchronize all), `edit-during-download` (from then on, when a
synchronization reports its first downloaded page, a flow commits a new site `mid-sync` and
renames the first stored site to `edited mid-sync`: commits made while a synchronization runs),
`flow NAME` (run a nanoflow without arguments). Each prints one JSON line (`{"result": ...}` or
`{"error": message}`); fault points come from `NANOFLOW_FAULTS` as in any process.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from nanoflow.compiler import load
from nanoflow.runtime.session import Session
from nanoflow.runtime.store import DeviceStore
from nanoflow.runtime.store.sync import entity_ids
from nanoflow.runtime.sync.engine import DeviceSync, Progress
from nanoflow.runtime.sync.http import HttpTransport
from nanoflow.runtime.values import MendixError


async def main(argv: list[str]) -> int:
    app_path, store_path, url, user, password, page_size, *commands = argv
    app = load(Path(app_path))
    store = await DeviceStore.open(Path(store_path), app)
    client = httpx.AsyncClient(base_url=url)
    failed = False
    try:
        transport = HttpTransport(client, store.schema)
        known = await store.get_meta("device_id")
        try:
            answer = await transport.login(user, password, known)
        except MendixError as error:
            say({"error": f"login: {error}"})
            return 1
        if known is None:
            await store.set_meta("device_id", answer.device_id)
        sync = DeviceSync(transport, store, answer.device_id, page_size=int(page_size))
        session = Session(
            app, store=store, user=answer.user_name, roles=list(answer.roles),
            user_id=answer.user_id, sync=sync, microflows=sync,
        )  # fmt: skip
        await session.open()
        queue = list(commands)
        while queue:
            command = queue.pop(0)
            try:
                if command == "sync":
                    await session.run_synchronization("all", [])
                    say({"result": "ok"})
                elif command == "edit-during-download":
                    sync.on_progress = editor(session, store)
                elif command == "flow":
                    say({"result": await session.call(queue.pop(0))})
                else:
                    raise SystemExit(f"unknown command {command}")
            except MendixError as error:
                say({"error": str(error)})
                failed = True
    finally:
        await client.aclose()
        await store.close()
    return 1 if failed else 0


def editor(session: Session, store: DeviceStore) -> Any:
    done = False

    async def on_progress(progress: Progress) -> None:
        nonlocal done
        if done or progress.phase != "download" or progress.entity != "Field.Site":
            return
        done = True
        fresh = session.create("Field.Site", {"Name": "mid-sync"})
        await session.commit(fresh, "$fresh")
        ids = sorted(i for i in await entity_ids(store, "Field.Site") if i != fresh.id)
        found = await session.load(ids[0], "Field.Site") if ids else None
        if found is not None:
            found["Name"] = "edited mid-sync"
            await session.commit(found, "$found")
        say({"edited": found.id if found is not None else None, "created": fresh.id})

    return on_progress


def say(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
