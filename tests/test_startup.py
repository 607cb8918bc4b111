"""Start-up: what `nanoflow --help`, `nanoflow check` and `nanoflow eval` import, and the help
served from the per-user cache (the same text as Typer prints, on a pipe and on a terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "sales"

# Imported by `--help` and `check` never: the device runtime, the sync server and the libraries
# only they need.
NEVER = (
    "nanoflow.runtime",
    "nanoflow.stdlib_actions",
    "nanoflow.api",
    "nanoflow.commands",
    "nanoflow.server",
    "nanoflow.protocol",
    "sqlalchemy",
    "fastapi",
    "httpx",
    "uvicorn",
    "aiosqlite",
    "asyncpg",
    "pydantic",
    "asyncio",
)
# Not imported when the help comes from the cache.
NOT_FOR_CACHED_HELP = ("typer", "click", "rich", "lark", "nanoflow.cli", "nanoflow.compiler")

DRIVER = """
import atexit, json, sys
out, *args = sys.argv[1:]
sys.argv = ["nanoflow", *args]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from nanoflow.__main__ import main
main()
"""


def environment(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**env, "NANOFLOW_CACHE_DIR": str(cache), **extra}


def run_and_list_modules(
    tmp_path: Path, cache: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(listing), *args],
        capture_output=True,
        text=True,
        env=environment(cache),
        check=False,
    )
    return done, set(json.loads(listing.read_text()))


def imported(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize(
    "args", [("--help",), ("check", "--help"), ("check", str(SAMPLE))], ids=" ".join
)
def test_help_and_check_do_not_import_the_runtime_or_the_server(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    cache = tmp_path / "cache"
    for attempt in ("first run", "second run"):
        done, modules = run_and_list_modules(tmp_path, cache, *args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        assert imported(modules, NEVER) == [], f"{' '.join(args)} ({attempt})"
    if args[-1] == "--help":
        assert imported(modules, NOT_FOR_CACHED_HELP) == [], "help from the cache"


# Imported by a plain `nanoflow eval` never: an expression needs neither a store, nor the sync
# client, nor an event loop, nor Typer to read its command line (`nanoflow/cli_direct.py`).
NOT_FOR_EVAL = (
    "nanoflow.api",
    "nanoflow.server",
    "nanoflow.protocol",
    "nanoflow.embedded",
    "nanoflow.runtime.sync",
    "nanoflow.runtime.store.store",
    "nanoflow.runtime.storage",
    "nanoflow.runtime.query",
    "sqlalchemy",
    "fastapi",
    "httpx",
    "uvicorn",
    "aiosqlite",
    "asyncpg",
    "sqlite3",
    "pydantic",
    "asyncio",
    "rich",
    "typer",
    "click",
)
# Nor by a `check` of a clean app: its one line needs no rich.
NOT_FOR_CLEAN_CHECK = ("typer", "click", "rich")


def test_eval_imports_no_store_no_sync_no_event_loop_no_typer(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for attempt in ("first run", "second run"):
        done, modules = run_and_list_modules(tmp_path, cache, "eval", "$x + 1", "--var", "x=1")
        assert (done.returncode, done.stdout, done.stderr) == (0, "2\n", ""), attempt
        assert imported(modules, NOT_FOR_EVAL) == [], attempt


def test_a_clean_check_imports_neither_typer_nor_rich(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for attempt in ("first run", "second run"):
        done, modules = run_and_list_modules(tmp_path, cache, "check", str(SAMPLE))
        assert done.returncode == 0 and done.stdout.startswith("ok: "), done.stderr
        assert imported(modules, NOT_FOR_CLEAN_CHECK) == [], attempt


def nanoflow(cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanoflow", *args],
        capture_output=True,
        text=True,
        env=environment(cache, **env),
        check=False,
    )


def help_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("help-*.txt"))


def test_cached_help_is_what_typer_prints(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for args in (("--help",), ("eval", "--help")):
        fresh = nanoflow(cache, *args)
        again = nanoflow(cache, *args)
        assert fresh.returncode == again.returncode == 0
        assert "Usage" in fresh.stdout
        assert again.stdout == fresh.stdout and again.stderr == fresh.stderr == ""
    assert len(help_files(cache)) == 2


def test_help_is_rendered_again_when_its_conditions_change(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wide = nanoflow(cache, "--help", COLUMNS="120").stdout
    narrow = nanoflow(cache, "--help", COLUMNS="60").stdout
    assert max(map(len, wide.splitlines())) > 60 >= max(map(len, narrow.splitlines()))
    assert nanoflow(cache, "--help", COLUMNS="120").stdout == wide
    assert nanoflow(cache, "--help", COLUMNS="60").stdout == narrow


def test_failed_help_is_not_cached(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for _ in range(2):
        done = nanoflow(cache, "nope", "--help")
        assert done.returncode == 2 and "nope" in done.stderr
    assert help_files(cache) == []


def on_terminal(cache: Path, *args: str) -> bytes:
    """What `nanoflow ARGS` prints on a pseudo-terminal of 100 columns."""
    main, follower = pty.openpty()
    env = environment(cache, TERM="xterm-256color", COLUMNS="100", LINES="40")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "nanoflow", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert process.wait(timeout=30) == 0
    return output


def test_cached_help_on_a_terminal_keeps_its_colours(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = on_terminal(cache, "--help")
    assert b"\x1b[" in fresh, "rich colours the help on a terminal"
    assert on_terminal(cache, "--help") == fresh
    assert nanoflow(cache, "--help").stdout.encode() != fresh, "a pipe gets its own entry"
