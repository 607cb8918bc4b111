"""The identity map: one Python object per object id in a runtime, held weakly.

A plain dict of weak references without callbacks (cheaper than `WeakValueDictionary`'s
per-entry callback objects); dead entries are purged when the map has doubled since the last
purge, so the cost stays amortized O(1) per insert.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from nanoflow.runtime.values import MxObject


class IdentityMap:
    """Object id → the runtime's `MxObject`, as long as something still holds it."""

    __slots__ = ("_purge_at", "_refs")

    def __init__(self) -> None:
        self._refs: dict[str, weakref.ref[MxObject]] = {}
        self._purge_at = 1024

    def get(self, object_id: str) -> MxObject | None:
        ref = self._refs.get(object_id)
        return ref() if ref is not None else None

    def __setitem__(self, object_id: str, obj: MxObject) -> None:
        self._refs[object_id] = weakref.ref(obj)
        if len(self._refs) >= self._purge_at:
            self.purge()

    def adopt(self, rows: list[dict[str, Any]]) -> list[MxObject]:
        """The runtime's objects for store rows: an object already in memory is kept (with its
        uncommitted changes); otherwise the row dict becomes a new object's values."""
        refs = self._refs
        ref = weakref.ref
        result = []
        for row in rows:
            object_id = row.pop("$id")
            entity = row.pop("$entity")
            held = refs.get(object_id)
            obj = held() if held is not None else None
            if obj is None:
                obj = MxObject(entity, object_id, row, row, False)
                refs[object_id] = ref(obj)
            result.append(obj)
        if len(refs) >= self._purge_at:
            self.purge()
        return result

    @property
    def refs(self) -> dict[str, weakref.ref[MxObject]]:
        """The map itself, for code that adds objects in bulk (then call `added`)."""
        return self._refs

    def added(self) -> None:
        """Entries were added through `refs`: purge if the map has grown enough."""
        if len(self._refs) >= self._purge_at:
            self.purge()

    def pop(self, object_id: str, default: MxObject | None = None) -> MxObject | None:
        ref = self._refs.pop(object_id, None)
        found = ref() if ref is not None else None
        return found if found is not None else default

    def purge(self) -> None:
        """Drop the entries of objects nothing holds any more."""
        self._refs = {k: r for k, r in self._refs.items() if r() is not None}
        self._purge_at = max(1024, 2 * len(self._refs))

    def clear(self) -> None:
        self._refs.clear()

    def values(self) -> Iterator[MxObject]:
        for ref in list(self._refs.values()):
            obj = ref()
            if obj is not None:
                yield obj

    def __len__(self) -> int:
        return sum(1 for _ in self.values())

    def __contains__(self, object_id: str) -> bool:
        return self.get(object_id) is not None
