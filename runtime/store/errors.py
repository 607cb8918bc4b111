"""Errors of the device store that are not flow errors (those are `MendixError`).

`StoreError` is the runtime's (`nanoflow.runtime.errors`), so hosts and the CLI catch one type.
"""

from __future__ import annotations

from nanoflow.runtime.errors import StoreError

__all__ = ["IncompatibleStore", "StoreError", "StoreInUse"]


class StoreInUse(StoreError):
    """Another runtime (in this or another process) holds the store's file lock."""


class IncompatibleStore(StoreError):
    """The store was written for a model this app cannot migrate to without losing data.

    `differences` names each incompatible change; `pending` lists the store's unsynchronized
    changes (entity, id, state) that opening it with this app would lose.
    """

    def __init__(self, message: str, differences: list[str], pending: list[dict[str, str]]):
        super().__init__(message)
        self.differences = differences
        self.pending = pending
