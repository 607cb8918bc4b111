"""The package's data files (the grammar, the built-in modules' `.nf` sources), read beside the
modules without importing `importlib.resources` (which costs more than reading them); a
package that is not a folder on disk (a zip) falls back to it."""

from __future__ import annotations

import os


def read_bytes(relative: str) -> bytes:
    """The bytes of `relative` (a `/`-separated path inside the `nanoflow` package)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), *relative.split("/"))
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        from importlib import resources

        return resources.files("nanoflow").joinpath(relative).read_bytes()


def read_text(relative: str) -> str:
    """The UTF-8 text of `relative`."""
    return read_bytes(relative).decode("utf-8")


def listdir(relative: str) -> list[str]:
    """The names in the package folder `relative`, sorted."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), *relative.split("/"))
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        from importlib import resources

        return sorted(p.name for p in resources.files("nanoflow").joinpath(relative).iterdir())
