"""Run a command's coroutine so that one Ctrl-C stops it, also in a loop that never awaits.

`asyncio.run` answers the first SIGINT by cancelling the main task, which takes effect only at
the task's next `await`: a flow spinning in a loop that never touches the store would ignore it.
Here the first SIGINT raises `KeyboardInterrupt` inside the running step when a step runs (a busy
flow), and cancels the main task when the loop waits (a flow awaiting the store). Either way the
coroutine's `finally` blocks run (the store is closed, a transaction under way rolls back) before
`KeyboardInterrupt` leaves `run_interruptible`. A second SIGINT interrupts at once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


def run_interruptible(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` with the SIGINT handling above; raises `KeyboardInterrupt` when
    interrupted (after the coroutine's cleanup has run)."""
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
