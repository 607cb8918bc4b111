"""A per-user cache on disk for what every process would otherwise compute again: the grammar's
analysis (lark's own cache file), the parsed built-in modules and the command line's help.

The cache lives in `$NANOFLOW_CACHE_DIR`, else the platform's user cache directory
(`$XDG_CACHE_HOME/nanoflow` or `~/.cache/nanoflow` on Linux), in a folder per package version.
Each entry is one file that starts with the key it was made for (a hash of, or the very values
it was computed from) and a checksum of its data; an entry with another key, a wrong checksum
or that cannot be read is a miss, and is computed again and replaced. A cache that cannot be
created or written only costs the time it would have saved: nothing here raises. Imports stay
light (the help is served from here before anything else is imported).
"""

from __future__ import annotations

import os
import sys
import zlib

from nanoflow import __version__

ENV_VAR = "NANOFLOW_CACHE_DIR"
_FORMAT = b"nanoflow-cache 2\n"


def _user_cache_root() -> str:
    if sys.platform == "win32":  # pragma: no cover - not run on this project's machines
        return os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    if sys.platform == "darwin":  # pragma: no cover
        return os.path.expanduser("~/Library/Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


def cache_dir() -> str | None:
    """This version's cache folder, created if needed; None when there is none to be had."""
    configured = os.environ.get(ENV_VAR)
    root = configured or os.path.join(_user_cache_root(), "nanoflow")
    if not os.path.isabs(root):  # no home directory: `~` was left as it is
        return None
    folder = os.path.join(root, __version__)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


def source_key(*parts: str | bytes) -> str:
    """A key for data computed from `parts` (texts, sources) by this Python."""
    import hashlib

    digest = hashlib.sha256(sys.version.encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def load_bytes(name: str, key: str) -> bytes | None:
    """The data stored under `name` for `key` (one line of text), or None when absent,
    stale or damaged."""
    folder = cache_dir()
    if folder is None or "\n" in key:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as file:
            if file.readline() != _FORMAT or file.readline() != key.encode() + b"\n":
                return None
            checksum = file.readline()
            data = file.read()
    except (OSError, ValueError):
        return None
    return data if checksum == _checksum(data) else None


def _checksum(data: bytes) -> bytes:
    return b"%08x\n" % zlib.crc32(data)


def store_bytes(name: str, key: str, data: bytes) -> None:
    """Store `data` under `name` for `key`, atomically; any failure is ignored."""
    folder = cache_dir()
    if folder is None or "\n" in key:
        return
    import tempfile

    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(handle, "wb") as file:
            file.write(_FORMAT + key.encode() + b"\n" + _checksum(data) + data)
        os.replace(temporary, os.path.join(folder, name))
    except (OSError, ValueError):
        if temporary is not None:
            _remove(temporary)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        return


def load(name: str, key: str) -> object | None:
    """The object pickled under `name` for `key`, or None (absent, stale or corrupt)."""
    data = load_bytes(name, key)
    if data is None:
        return None
    import pickle

    try:
        return pickle.loads(data)  # type: ignore[no-any-return]
    except Exception:  # a corrupt file can fail to unpickle in any way
        return None


def store(name: str, key: str, value: object) -> None:
    """Pickle `value` under `name` for `key`; a value that cannot be pickled is not stored."""
    import pickle

    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # anything unpicklable just goes uncached
        return
    store_bytes(name, key, data)


def lark_cache() -> str | bool:
    """lark's `cache=` argument: a file in this cache folder, else lark's own temporary file."""
    folder = cache_dir()
    return os.path.join(folder, "grammar.lark") if folder is not None else True
