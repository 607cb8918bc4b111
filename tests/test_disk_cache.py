"""The per-user disk cache: entries keyed by their sources, misses for anything stale, corrupt or
unwritable, and the parsed built-in modules and lark's grammar analysis kept there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nanoflow import __version__, compiler, disk_cache

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv(disk_cache.ENV_VAR, str(root))
    return root / __version__


def test_values_round_trip_under_their_key(cache: Path) -> None:
    disk_cache.store("entry.pickle", "key-1", {"a": (1, "b")})
    assert disk_cache.load("entry.pickle", "key-1") == {"a": (1, "b")}
    assert disk_cache.load("entry.pickle", "key-2") is None
    assert disk_cache.load("missing.pickle", "key-1") is None
    disk_cache.store("entry.pickle", "key-2", [3])
    assert disk_cache.load("entry.pickle", "key-2") == [3]
    assert disk_cache.load("entry.pickle", "key-1") is None
    assert sorted(p.name for p in cache.iterdir()) == ["entry.pickle"], "no temporary files left"


def test_keys_follow_every_part() -> None:
    key = disk_cache.source_key("a", b"b")
    assert key == disk_cache.source_key("a", b"b")
    assert key != disk_cache.source_key("ab", b"")
    assert key != disk_cache.source_key("a", b"c")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        b"nanoflow-cache 2\nkey\n",
        b"nanoflow-cache 2\nkey\n00000000\n\x80\x05truncated",
    ],
)
def test_corrupt_entries_are_misses_and_get_replaced(cache: Path, content: bytes) -> None:
    cache.mkdir(parents=True)
    (cache / "entry.pickle").write_bytes(content)
    assert disk_cache.load("entry.pickle", "key") is None
    disk_cache.store("entry.pickle", "key", "value")
    assert disk_cache.load("entry.pickle", "key") == "value"


def test_an_unusable_cache_folder_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(disk_cache.ENV_VAR, str(blocker / "cache"))
    assert disk_cache.cache_dir() is None
    disk_cache.store("entry.pickle", "key", "value")
    assert disk_cache.load("entry.pickle", "key") is None
    assert disk_cache.lark_cache() is True, "lark falls back to its own temporary file"
    monkeypatch.setenv(disk_cache.ENV_VAR, "relative/path")
    assert disk_cache.cache_dir() is None


def test_damaged_data_fails_its_checksum(cache: Path) -> None:
    disk_cache.store("entry.pickle", "key", list(range(1000)))
    entry = cache / "entry.pickle"
    damaged = bytearray(entry.read_bytes())
    damaged[-5] ^= 0x01
    entry.write_bytes(bytes(damaged))
    assert disk_cache.load("entry.pickle", "key") is None


def test_values_that_cannot_be_pickled_are_not_stored(cache: Path) -> None:
    disk_cache.store("entry.pickle", "key", lambda: None)
    assert disk_cache.load("entry.pickle", "key") is None


def test_builtin_modules_come_from_the_cache_equal_to_a_fresh_parse(cache: Path) -> None:
    parse = compiler.builtin_files.__wrapped__
    fresh = parse()
    assert (cache / "builtin-modules.pickle").is_file()
    cached = parse()
    assert cached == fresh
    assert cached[0] is not fresh[0]
    (cache / "builtin-modules.pickle").write_bytes(b"nanoflow-cache 2\nstale\n")
    assert parse() == fresh


def test_a_corrupt_cache_does_not_disturb_a_command(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / __version__
    cache.mkdir(parents=True)
    for name in ("grammar.lark", "builtin-modules.pickle"):
        (cache / name).write_bytes(b"\x00garbage\n" * 10)
    env = {**os.environ, disk_cache.ENV_VAR: str(tmp_path / "cache")}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "nanoflow", "check", str(REPO / "samples" / "sales")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == "" and done.stdout.startswith("ok:")
    assert (cache / "grammar.lark").read_bytes()[:9] != b"\x00garbage", "lark rewrote its cache"
    assert (cache / "builtin-modules.pickle").read_bytes().startswith(b"nanoflow-cache 2\n")


IR_IMPORT = """
import sys
from nanoflow import ir
classes = [c for c in vars(ir).values() if isinstance(c, ir.NodeMeta)]
sources = {ir._init_source(c.FIELDS, c.DEFAULTS) for c in classes}
fresh = ir._InitCode()
print(len(sources), len(sources - fresh.codes.keys()))
node = ir.Ident(span=ir.Span("f", 1, 1, 1, 2), text="a")
assert node == ir.Ident(span=node.span, text="a") and node.parts == ["a"]
"""


def test_the_ir_constructors_come_from_the_cache(tmp_path: Path) -> None:
    env = {**os.environ, disk_cache.ENV_VAR: str(tmp_path)}
    entry = tmp_path / __version__ / "ir-init-code.marshal"

    def missing_after_import() -> int:
        done = subprocess.run(
            [sys.executable, "-c", IR_IMPORT], capture_output=True, text=True, env=env, check=True
        )
        classes, missing = map(int, done.stdout.split())
        assert classes > 50
        return missing

    assert missing_after_import() == 0, "the first import keeps what it compiled"
    assert entry.is_file()
    assert missing_after_import() == 0
    entry.write_bytes(entry.read_bytes()[:-100] + b"\x00" * 100)  # damaged: fails its checksum
    assert missing_after_import() == 0, "compiled again and kept again"
