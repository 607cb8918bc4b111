"""The device's offline store (SQLite through aiosqlite); see `schema` for the table layout.

The layout (`schema`), the value codec (`codec`) and the fingerprint are shared with the sync
server's store; importing them does not load aiosqlite (`DeviceStore` is imported on first use).
"""

from typing import TYPE_CHECKING, Any

from nanoflow.runtime.store.errors import IncompatibleStore, StoreError, StoreInUse

if TYPE_CHECKING:
    from nanoflow.runtime.store.store import DeviceStore

CONTENTS = "$contents"
"""The member name that marks changed file contents in the change tracking."""

__all__ = ["CONTENTS", "DeviceStore", "IncompatibleStore", "StoreError", "StoreInUse"]


def __getattr__(name: str) -> Any:
    if name == "DeviceStore":
        from nanoflow.runtime.store.store import DeviceStore

        return DeviceStore
    raise AttributeError(name)
