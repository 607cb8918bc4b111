"""The store interface: what a session needs from a store, whatever keeps the data.

Two stores implement it: the device's offline store (`runtime/store/`, SQLite through
aiosqlite) and the sync server's store (`nanoflow/server/`, SQLAlchemy Core). Both lay their
tables out with the same `Schema` and answer the same compiled queries (`runtime/query.py`), so
a retrieve means the same on both. The session owns the objects: commit snapshots, `new` and
`touched`, and adoption into the identity map happen in the session (`runtime/session.py`);
a store only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nanoflow.runtime.query import Dialect, SelectSql
    from nanoflow.runtime.store.schema import Schema

Row = Sequence[Any]
"""A row in `TableLayout.select_list` order: id, entity (or None), then the data columns."""


@dataclass(slots=True)
class EntityWrites:
    """The objects of one entity written by one unit of work."""

    objects: list[tuple[str, dict[str, Any], frozenset[str]]] = field(default_factory=list)
    """(id, member values, members changed by this write) per object."""
    links: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    """(association, owner id, target ids): reference sets replaced by this write."""
    deltas: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    """(association, owner id, added, removed) for reference sets of committed objects: what
    changed against their previous committed value."""


@dataclass(slots=True)
class WriteUnit:
    """Everything one commit writes, grouped by entity; a store writes it all or nothing."""

    entities: dict[str, EntityWrites] = field(default_factory=dict)

    def of(self, entity: str) -> EntityWrites:
        found = self.entities.get(entity)
        if found is None:
            found = self.entities[entity] = EntityWrites()
        return found


@dataclass(slots=True)
class Fetched:
    """Rows of one table answering a query, with the reference sets of their objects when the
    entities have any (`refsets[object id][association]` → target ids, sorted)."""

    rows: Sequence[Row]
    refsets: dict[str, dict[str, tuple[str, ...]]] | None = None


class Store(Protocol):
    """A store of objects, as the session sees it."""

    @property
    def schema(self) -> Schema:
        """The table layout of the stored entities."""

    @property
    def dialect(self) -> Dialect:
        """How this store's SQL is spelled."""

    def decoder(self, entity: str) -> Any:
        """`decode(row) → member dict` for rows of `entity` (reference sets as `()`)."""

    async def select(self, query: SelectSql) -> Fetched:
        """The rows a compiled query selects, with their reference sets."""

    async def get_many(self, entity: str, ids: Sequence[str]) -> Fetched:
        """The committed rows of these ids among `entity` and its specializations."""

    async def write(self, unit: WriteUnit) -> None:
        """Validate and write every object of the unit in one transaction; raises
        `MendixError` (naming entity and member) before anything is written."""

    async def delete(self, ids: dict[str, list[str]]) -> list[str]:
        """Delete objects (entity → ids) in one transaction, clearing references to them;
        returns the ids that were stored."""

    async def pending_changes(self) -> list[dict[str, Any]]:
        """Every committed change not yet synchronized (see `DeviceStore.pending_changes`)."""

    async def summary(self) -> dict[str, dict[str, int]]:
        """Per entity: `objects`, `new`, `changed`, `deleted` counts."""

    async def write_file(self, obj_id: str, data: bytes) -> None:
        """Store the contents of a FileDocument object."""

    async def read_file(self, obj_id: str) -> bytes | None:
        """The contents of a FileDocument object, or None."""

    async def get_item(self, key: str) -> str | None:
        """A storage item."""

    async def set_item(self, key: str, value: str) -> None:
        """Set a storage item."""

    async def remove_item(self, key: str) -> None:
        """Remove a storage item."""

    async def get_meta(self, key: str) -> Any:
        """A value of the store's metadata (JSON)."""

    async def set_meta(self, key: str, value: Any) -> None:
        """Set a value of the store's metadata."""

    async def close(self) -> None:
        """Finish running work and release the store."""
