"""Pausing the cyclic garbage collector while the front end builds the IR."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Compilation allocates many small acyclic objects; the cyclic collector would only
    rescan the growing IR again and again. Reference counting still frees garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
