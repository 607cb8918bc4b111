"""`nanoflow --help` and `nanoflow COMMAND --help` from the per-user cache.

Typer renders help with rich, and importing the two costs several times Python's own start. The
help only changes with the code and with how the output is shown, so the first run records what
the command line printed, and later runs with the same key print it without importing either.
The key holds the package version, Python, the arguments, every module of the package (size and
modification time), Typer's and rich's installed files, the terminal (whether standard output
is one, its size and encoding) and the environment variables that rich, Typer and click read.
Only a help run that exits 0 is recorded.
"""

from __future__ import annotations

import os
import sys
import zlib

from nanoflow import __version__, disk_cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # the help path imports as little as it can
    from collections.abc import Callable, Sequence
    from typing import TextIO

HELP_OPTIONS = ("--help", "-h")
# Environment variables whose names contain one of these can change how help is rendered.
_ENV_WORDS = (
    "TERM", "COLOR", "COLUMNS", "LINES", "TTY", "TYPER", "RICH", "CLICK", "JUPYTER", "PY",
    "LANG", "LC_", "GITHUB_ACTIONS", "DATABRICKS", "NANOFLOW",
)  # fmt: skip


def is_help_request(argv: Sequence[str]) -> bool:
    """`--help` (or `-h`) alone, or after one command name."""
    return (
        0 < len(argv) <= 2
        and argv[-1] in HELP_OPTIONS
        and all(not arg.startswith("-") for arg in argv[:-1])
    )


def _stat(path: str | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _package_files() -> list[tuple[str, tuple[int, int] | None]]:
    package = os.path.dirname(os.path.abspath(__file__))
    try:
        names = sorted(n for n in os.listdir(package) if n.endswith(".py"))
    except OSError:
        return []
    return [(name, _stat(os.path.join(package, name))) for name in names]


def _library(name: str) -> tuple[int, int] | None:
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    return _stat(spec.origin if spec is not None else None)


def _terminal() -> tuple[bool, tuple[int, int] | None, str]:
    stdout = sys.stdout
    size = None
    for fd in (0, 1, 2):
        try:
            size = tuple(os.get_terminal_size(fd))
            break
        except (OSError, ValueError):
            continue
    try:
        tty = stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty, size, str(getattr(stdout, "encoding", ""))  # type: ignore[return-value]


def help_key(argv: Sequence[str]) -> str:
    """Everything the printed help depends on, as one line."""
    environment = sorted(
        (name, value)
        for name, value in os.environ.items()
        if any(word in name.upper() for word in _ENV_WORDS)
    )
    return repr(
        (
            __version__,
            sys.version,
            list(argv),
            _terminal(),
            environment,
            _package_files(),
            _library("typer"),
            _library("rich"),
        )
    )


def _entry(argv: Sequence[str]) -> str:
    return f"help-{zlib.crc32(chr(0).join(argv).encode()):08x}.txt"


def cached_help(argv: Sequence[str]) -> str | None:
    """The help recorded for `argv` in the same conditions, or None."""
    data = disk_cache.load_bytes(_entry(argv), help_key(argv))
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _Recorder:
    """Standard output as it is, keeping a copy of what is written."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        written = self._target.write(text)  # click probes with bytes, which a text stream refuses
        self.parts.append(text)
        return written

    def __getattr__(self, name: str) -> object:
        return getattr(self._target, name)


def run_recording(argv: Sequence[str], run: Callable[[], object]) -> None:
    """Run the help command `run`; when it exits 0, keep what it printed for next time."""
    key = help_key(argv)
    original = sys.stdout
    recorder = _Recorder(original)
    sys.stdout = recorder
    keep = False
    try:
        run()
        keep = True
    except SystemExit as exit_:
        keep = exit_.code in (0, None)
        raise
    finally:
        sys.stdout = original
        if keep:
            text = "".join(recorder.parts)
            disk_cache.store_bytes(_entry(argv), key, text.encode("utf-8", "surrogateescape"))
