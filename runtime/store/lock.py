"""One runtime per store: an exclusive `flock` on a sidecar `<store>.lock` file.

The lock belongs to the open file description, so it dies with the process (even on SIGKILL)
and a second opener in the same process conflicts too. The holder writes its pid into the file
so that the refusal can name it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from nanoflow.runtime.store.errors import StoreError, StoreInUse

SQLITE_HEADER = b"SQLite format 3\x00"


def check_location(store_path: Path) -> bool:
    """Make sure `store_path` can be a store: creates its directory; raises `StoreError` for a
    directory, a file that is not an SQLite database, or a directory that cannot be made.
    Returns whether the store file exists already."""
    parent = store_path.parent
    if parent.exists() and not parent.is_dir():
        raise StoreError(f"cannot open the store {store_path}: {parent} is not a directory")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"cannot create the directory {parent} for the store: {error.strerror}"
        ) from None
    if store_path.is_dir():
        raise StoreError(f"cannot open the store {store_path}: it is a directory")
    if not store_path.exists():
        return False
    try:
        with store_path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StoreError(f"cannot read the store {store_path}: {error.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise StoreError(f"{store_path} is not a device store (not an SQLite database)")
    return True


class StoreLock:
    """The exclusive lock of one store file."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.path = store_path.with_name(store_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `StoreInUse` naming the holder's pid."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreInUse(f"store {self.store_path} is in use by process {holder}") from None
        data = f"{os.getpid()}\n".encode("ascii")
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None
