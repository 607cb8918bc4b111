"""Run a command's coroutine so that one Ctrl-C stops it, also in a loop that never awaits.

`asyncio.run` answers the first SIGINT by cancelling the main task, which takes effect only at
the task's next `await`: a flow spinning in a loop that never touches the store would ignore it.
Here the first SIGINT raises `KeyboardInterrupt` inside the running step when a step runs (a busy
flow), and cancels the main task when the loop waits (a flow awaiting the store). Either way the
coroutine's `finally` blocks run (the store is closed, a transaction under way rolls back) before
`KeyboardInterrupt` leaves `run_interruptible`. A second SIGINT interrupts at once.

`run_at_once` is for a coroutine that seldom waits (`nanoflow eval`): it runs without an event
loop, and without importing asyncio, until it first waits, which an expression never does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Coroutine, Generator
from types import FrameType
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


def run_at_once(main: Coroutine[Any, Any, T]) -> T:
    """`run_interruptible(main)`, but `main` runs here, without an event loop, until it first
    waits; only then does asyncio start and take it on from where it waits. Code that runs
    before that must not need a running loop (it may not make tasks or futures). A SIGINT
    meanwhile raises `KeyboardInterrupt` in the running code, as in a busy flow."""
    if threading.current_thread() is not threading.main_thread():
        return run_interruptible(main)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        waiting = main.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    finally:
        signal.signal(signal.SIGINT, previous)
    return run_interruptible(_resume(main, waiting))


async def _resume(main: Coroutine[Any, Any, T], waiting: Any) -> T:
    return await _Resumed(main, waiting)


class _Resumed(Generic[T]):
    """Awaiting this goes on with a coroutine that has already yielded `waiting` (what it
    waits for) outside the loop: the task running it sees what the coroutine itself yields."""

    def __init__(self, main: Coroutine[Any, Any, T], waiting: Any) -> None:
        self.main = main
        self.waiting = waiting

    def __await__(self) -> Generator[Any, None, T]:
        waiting = self.waiting
        while True:
            try:
                yield waiting
            except BaseException as error:  # cancellation (or a close): the coroutine's own
                try:
                    waiting = self.main.throw(error)
                except StopIteration as done:
                    return cast(T, done.value)
            else:
                try:
                    waiting = self.main.send(None)
                except StopIteration as done:
                    return cast(T, done.value)


def run_interruptible(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` with the SIGINT handling above; raises `KeyboardInterrupt` when
    interrupted (after the coroutine's cleanup has run)."""
    import asyncio

    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(main)
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task: asyncio.Task[T] | None = None
        signals = 0

        async def wrapper() -> T:
            nonlocal task
            task = asyncio.current_task()
            return await main

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            nonlocal signals
            signals += 1
            if signals > 1 or task is None or task.done():
                raise KeyboardInterrupt
            if asyncio.current_task(loop) is task:
                raise KeyboardInterrupt  # the flow is running Python code: stop it there
            task.cancel()  # the flow waits: cancel the wait
            loop.call_soon_threadsafe(lambda: None)  # and wake the loop up

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            return runner.run(wrapper())
        except asyncio.CancelledError:
            if signals:
                raise KeyboardInterrupt from None
            raise
        finally:
            signal.signal(signal.SIGINT, previous)
