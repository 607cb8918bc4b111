"""A day of the inspections app, end to end: two devices of two users and the app's sync server,
all in this process (the server through an in-process transport, no socket).

    .venv/bin/python samples/inspections/demo.py

Every run starts afresh: it removes what the previous run left in `.nanoflow/demo/` beside
this file (the server's database and the two device stores, kept afterwards for a look with
`nanoflow store`) and nothing else.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

import nanoflow
from nanoflow.runtime.sync.engine import Progress

HERE = Path(__file__).resolve().parent
STATE = HERE / ".nanoflow" / "demo"
PHOTO = HERE / "photos" / "fire-exit.png"


class DemoHost(nanoflow.Host):
    """The screen of one device. Messages are shown; logs are left out of the story. A
    synchronization can be held at its first step (`hold()`), as a slow network would."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.syncing = asyncio.Event()
        self._held: asyncio.Event | None = None

    async def show_message(self, kind: str, text: str, blocking: bool) -> None:
        say(self.user, f"  ({kind} message) {text}")

    async def log(self, level: str, node: str | None, text: str) -> None:
        pass

    async def sync_progress(self, progress: Progress) -> None:
        held = self._held
        if held is not None and progress.phase == "start":
            self.syncing.set()
            await held.wait()

    def hold(self) -> asyncio.Event:
        """Hold the next synchronization at its start until the returned event is set."""
        self._held = asyncio.Event()
        self.syncing.clear()
        return self._held


def say(who: str, text: str, *more: str) -> None:
    """One step of the story (and its continuation lines), by the device that took it."""
    print(f"[{who}]".ljust(8) + text, flush=True)
    for line in more:
        print(" " * 8 + line, flush=True)


def shown(path: Path) -> Path:
    """A path as short as the working directory allows."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


async def synchronize(rt: nanoflow.Runtime) -> int:
    """`synchronize all` through the embedding API; how many objects went up, as its progress
    says."""
    uploaded = 0
    async for progress in rt.synchronize():
        if progress.phase == "upload" and progress.total is not None:
            uploaded = progress.total
    return uploaded


def check(answer: object, expected: object) -> None:
    """Stop the demo when a flow answers what the story does not expect."""
    if answer != expected:
        raise SystemExit(f"the demo expected {expected!r}, the flow answered {answer!r}")


async def main() -> None:
    app = nanoflow.load(HERE)
    shutil.rmtree(STATE, ignore_errors=True)
    print("Inspections demo: planner bob and inspector alice, two devices, one sync server")
    async with nanoflow.LocalServer(app, STATE / "server.sqlite") as server:
        await server.add_user("bob", "bob-secret", ["Inspections.Planner"])
        await server.add_user("alice", "alice-secret", ["Inspections.Inspector"])
        bob_screen, alice_screen = DemoHost("bob"), DemoHost("alice")
        async with nanoflow.Runtime(
            app,
            store=STATE / "bob.sqlite",
            user="bob",
            link=server.link("bob-secret"),
            host=bob_screen,
        ) as bob:
            first = await bob.call(
                "ACT_Site_Register", code="nl-ams-01", name="Amsterdam depot", inDays=0
            )
            site = await bob.retrieve("Inspections.Site")
            second = await bob.call(
                "ACT_Inspection_Plan", site=site[0], title="Fire safety check", inDays=7
            )
            check(
                await bob.call("ACT_Inspection_Assign", inspection=first, inspector="alice"), True
            )
            check(await bob.call("ACT_Synchronize"), "ok")
            say(
                "bob",
                f"plans inspections {first['Number']} and {second['Number']} at "
                f"Amsterdam depot, hands number {first['Number']} to alice",
            )

            async with nanoflow.Runtime(
                app,
                store=STATE / "alice.sqlite",
                user="alice",
                link=server.link("alice-secret"),
                host=alice_screen,
            ) as alice:
                await alice_day(alice, alice_screen, bob, first)
            say("bob", await bob.call("DS_Inspection_Summary", inspection=first))
    print(f"The stores and the server's database stay in {shown(STATE)} (until the next run):")
    print(f"  nanoflow store {shown(HERE)} --store {shown(STATE / 'alice.sqlite')}")


async def alice_day(
    alice: nanoflow.Runtime, screen: DemoHost, bob: nanoflow.Runtime, assigned: Any
) -> None:
    """alice's device, from its first synchronization (when it opened) to the evening."""
    mine = await alice.retrieve("Inspections.Inspection")
    sites = await alice.retrieve("Inspections.Site")
    say(
        "alice",
        f"first sync: {len(sites)} site, {len(mine)} inspection (number "
        f"{mine[0]['Number']}: owner-based access keeps the other one from her)",
    )
    inspection = mine[0]
    await alice.call("ACT_Inspection_Start", inspection=inspection)
    blocked = await alice.call(
        "ACT_Finding_Add", inspection=inspection, text="Fire exit blocked", severity="High"
    )
    for _ in range(2):  # a finding recorded twice by mistake
        duplicate = await alice.call(
            "ACT_Finding_Add", inspection=inspection, text="Label missing", severity="Low"
        )
    await alice.call("ACT_Photo_Attach", finding=blocked, path=str(PHOTO), caption="Exit 3")
    await alice.call("ACT_Feedback_Send", site=sites[0], text="The gate code changed")
    await alice.call("ACT_Site_Remember", site=sites[0])
    score = await alice.call("ACT_Inspection_Finish", inspection=inspection)
    say(
        "alice",
        f"offline on site: 3 findings (one twice by mistake), a photo, feedback for "
        f"the office; score {score}",
    )

    moved = await synchronize(alice)
    findings = await alice.retrieve("Inspections.Finding")
    stamped = sum(1 for f in findings if f["ReceivedAt"] is not None)
    feedback = await alice.retrieve("Inspections.Feedback")
    settings = await alice.retrieve("Inspections.DeviceSettings")
    say(
        "alice",
        f"synchronize all: {moved} objects up; the server stamped {stamped} findings as received;",
        f"feedback on the device: {len(feedback)} (nothing clear), "
        f"her settings: {len(settings)} (never)",
    )

    await synchronize(bob)
    theirs = await bob.retrieve("Inspections.Finding", xpath="[Text = 'Label missing']")
    photos = await bob.retrieve("Inspections.Photo")
    contents = await bob.read_file(photos[0])
    await bob.call("ACT_Finding_Remove", finding=next(f for f in theirs if f.id == duplicate.id))
    await bob.call("ACT_Inspection_Close", inspection=assigned)
    check(await bob.call("ACT_Synchronize"), "ok")
    say(
        "bob",
        f"synchronize all: her findings and the photo ({len(contents)} bytes); removes "
        f"the duplicate, closes inspection {assigned['Number']}",
    )

    still_there = await alice.call("ACT_Finding_Fix", finding=duplicate)
    say(
        "alice",
        "fixes the duplicate, synchronize $finding: deleted on the server, so "
        f"$finding is {'still set' if still_there else 'now empty'}",
        f"(and the object the demo holds: is_empty={duplicate.is_empty})",
    )
    late = await alice.call(
        "ACT_Finding_Add", inspection=inspection, text="Door squeaks", severity="Low"
    )
    await alice.call("ACT_Synchronize")
    gone = "gone from her device" if late.is_empty else "still on her device"
    say(
        "alice",
        "adds 'Door squeaks', synchronize all: refused by the server's before-commit "
        f"handler, {gone}",
    )
    failures = await alice.failures()
    say(
        "alice",
        f"rt.failures(): {len(failures)} refused changes, kept on the server as "
        "System.SynchronizationFailure:",
        *(f"  {f.kind} {f.entity}: {f.reason}" for f in failures),
    )

    release = screen.hold()
    first = asyncio.create_task(alice.call("ACT_Synchronize"))
    await screen.syncing.wait()  # the first synchronization is running
    second = await alice.call("ACT_Synchronize")
    release.set()
    say(
        "alice",
        f"taps Synchronize twice: the first answers {await first!r}; the second's "
        "error handler gets",
        f"  {second!r}",
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
