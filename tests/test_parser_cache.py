"""The parser kept whole in the per-user cache parses exactly as a freshly built one, a damaged
entry is a miss, and a command that finds the entry does not rebuild the parser."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark

from nanoflow import __version__, disk_cache, parser, parser_cache
from nanoflow.source import SourceFile

REPO = Path(__file__).resolve().parent.parent
FILES = sorted([*(REPO / "samples").rglob("*.nf"), *(REPO / "tests" / "cases").rglob("*.nf")])
BROKEN_TEXTS = ["module A\nnanoflow F( {", "module A\nentity E { x: }", "", "module"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(disk_cache.ENV_VAR, str(tmp_path))
    return tmp_path / __version__


def parse_everything(with_parser: Lark, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(parser, "_parser", with_parser)
    monkeypatch.setattr(parser, "_compiled_regex", None)
    sources = [SourceFile(str(path), path.read_text("utf-8")) for path in FILES]
    sources += [SourceFile(f"broken{i}.nf", text) for i, text in enumerate(BROKEN_TEXTS)]
    found: list[object] = [parser.parse_source(source) for source in sources]
    found += [parser.parse_xpath(SourceFile("<q>", q)) for q in ("[A = 1][B/C != 'x']", "[A =")]
    return found


def test_a_cached_parser_parses_like_a_fresh_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grammar = parser.grammar_text()
    key = parser_cache.key(grammar, parser._OPTIONS)
    fresh = Lark(grammar, transformer=parser._lowering, **parser._OPTIONS)
    parser_cache.store(fresh, key, parser._lowering)
    cached = parser_cache.load(key, parser._lowering)
    assert cached is not None and cached is not fresh
    frontend = cached.parser
    assert frontend.parser_conf.callbacks is cached._callbacks
    assert frontend.parser.parser.callbacks is cached._callbacks, "one callbacks dictionary"
    assert len(FILES) > 50
    assert parse_everything(cached, monkeypatch) == parse_everything(fresh, monkeypatch)


def test_other_options_or_grammar_are_another_key() -> None:
    grammar = parser.grammar_text()
    key = parser_cache.key(grammar, parser._OPTIONS)
    assert key == parser_cache.key(grammar, {**parser._OPTIONS, "transformer": object()})
    assert key != parser_cache.key(grammar + "\n", parser._OPTIONS)
    assert key != parser_cache.key(grammar, {**parser._OPTIONS, "start": ["start"]})


@pytest.mark.parametrize(
    "data",
    [b"garbage", pickle.dumps([1, 2]), pickle.dumps(Lark)[:-3]],
    ids=["garbage", "not a parser", "truncated"],
)
def test_a_damaged_entry_is_a_miss(cache: Path, data: bytes) -> None:
    disk_cache.store_bytes(parser_cache.ENTRY, "key", data)
    assert parser_cache.load("key", parser._lowering) is None
    assert parser_cache.load("other key", parser._lowering) is None


def test_a_command_with_the_entry_does_not_build_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, disk_cache.ENV_VAR: str(tmp_path)}
    folder = tmp_path / __version__

    def check() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "nanoflow", "check", str(REPO / "samples" / "sales")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stderr

    check()
    assert (folder / parser_cache.ENTRY).is_file()
    (folder / "grammar.lark").unlink()  # lark's own cache: only a rebuild would write it again
    check()
    assert not (folder / "grammar.lark").exists()
    (folder / parser_cache.ENTRY).write_bytes(b"damaged")
    check()
    assert (folder / "grammar.lark").is_file(), "built again"
    assert (folder / parser_cache.ENTRY).read_bytes().startswith(b"nanoflow-cache"), "kept again"
