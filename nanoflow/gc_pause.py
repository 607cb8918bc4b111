"""Pausing the cyclic garbage collector while the front end builds the IR, or the server a
download page."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Compilation (or a page of thousands of rows) allocates many small acyclic objects;
    the cyclic collector would only rescan them again and again. Reference counting still
    frees garbage. Never await inside: the pause is process-wide."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
