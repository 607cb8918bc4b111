"""`run_at_once`: a coroutine runs without an event loop until it first waits, then asyncio takes
it on from there; its result, its errors, its cleanup and a Ctrl-C come out as under
`run_interruptible`."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest

from nanoflow.interrupt import run_at_once


@pytest.fixture(autouse=True)
def sigint_restored() -> Iterator[None]:
    before = signal.getsignal(signal.SIGINT)
    yield
    assert signal.getsignal(signal.SIGINT) is before, "the SIGINT handler is put back"


def test_a_coroutine_that_never_waits_runs_without_a_loop() -> None:
    async def value() -> int:
        return 21

    async def main() -> tuple[int, bool]:
        loop = asyncio.events._get_running_loop()
        return await value() * 2, loop is None

    assert run_at_once(main()) == (42, True)


def test_a_coroutine_goes_on_in_asyncio_from_where_it_first_waits() -> None:
    seen: list[str] = []

    async def main() -> str:
        seen.append("before")
        await asyncio.sleep(0)  # the first wait: asyncio starts here
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        loop.call_soon(future.set_result, "done")
        seen.append(await future)
        await asyncio.sleep(0.001)
        return "result"

    assert run_at_once(main()) == "result"
    assert seen == ["before", "done"]


def test_errors_come_out_and_cleanup_runs_before_and_after_the_first_wait() -> None:
    cleaned: list[str] = []

    async def fails(wait_first: bool) -> None:
        try:
            if wait_first:
                await asyncio.sleep(0)
            raise ValueError("broken")
        finally:
            cleaned.append(f"waited={wait_first}")

    for wait_first in (False, True):
        with pytest.raises(ValueError, match="broken"):
            run_at_once(fails(wait_first))
    assert cleaned == ["waited=False", "waited=True"]


@pytest.mark.parametrize("wait_first", [False, True], ids=["before waiting", "after waiting"])
def test_ctrl_c_in_a_busy_coroutine_stops_it_after_its_cleanup(wait_first: bool) -> None:
    cleaned: list[bool] = []
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # even when SIGINT came in ignored
    try:

        async def busy() -> None:
            try:
                if wait_first:
                    await asyncio.sleep(0)
                signal.raise_signal(signal.SIGINT)
                while True:
                    pass
            finally:
                cleaned.append(True)

        with pytest.raises(KeyboardInterrupt):
            run_at_once(busy())
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
    assert cleaned == [True]


def test_ctrl_c_while_waiting_cancels_the_wait_of_the_coroutine_itself() -> None:
    seen: list[str] = []

    async def waits() -> None:
        await asyncio.sleep(0)
        asyncio.get_running_loop().call_soon(signal.raise_signal, signal.SIGINT)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            seen.append("cleaned")

    with pytest.raises(KeyboardInterrupt):
        run_at_once(waits())
    assert seen == ["cancelled", "cleaned"]
