"""The device's offline store (SQLite through aiosqlite); see `schema` for the table layout."""

from nanoflow.runtime.store.changes import CONTENTS
from nanoflow.runtime.store.errors import IncompatibleStore, StoreError, StoreInUse
from nanoflow.runtime.store.store import DeviceStore

__all__ = ["CONTENTS", "DeviceStore", "IncompatibleStore", "StoreError", "StoreInUse"]
