"""The lexer's compiled regular expressions from the cache match exactly as `re.compile`'s, and
a damaged entry falls back to compiling."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nanoflow import __version__, disk_cache, parser, regex_cache

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sales"
TEXTS = [p.read_text("utf-8") for p in sorted(SAMPLE.glob("*.nf"))]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(disk_cache.ENV_VAR, str(tmp_path))
    return tmp_path / __version__


def lexer_patterns() -> list[tuple[str, int]]:
    """The patterns of the grammar's lexer states, as lark builds them."""
    lexer = parser._get_parser().parser.lexer
    found = []
    for each in [*lexer.lexers.values(), lexer.root_lexer]:
        for mre in each.scanner._mres:
            found.append((mre.pattern, mre.flags & ~re.UNICODE))
    return sorted(set(found))


def test_patterns_from_the_cache_match_like_compiled_ones(cache: Path) -> None:
    patterns = lexer_patterns()
    assert len(patterns) > 50
    first = regex_cache.CachedRe("key")
    for pattern, flags in patterns:
        first.compile(pattern, flags)
    first.save()
    again = regex_cache.CachedRe("key")
    assert again._table.keys() == first._table.keys()
    for pattern, flags in patterns:
        ours, theirs = again.compile(pattern, flags), re.compile(pattern, flags)
        assert (ours.pattern, ours.flags, ours.groups, ours.groupindex) == (
            theirs.pattern,
            theirs.flags,
            theirs.groups,
            theirs.groupindex,
        )
        for text in TEXTS:
            for pos in range(0, len(text), 7):
                a, b = ours.match(text, pos), theirs.match(text, pos)
                assert (a and (a.span(), a.lastgroup)) == (b and (b.span(), b.lastgroup))
    assert not again._added, "nothing new to save"


def test_a_damaged_entry_is_compiled_again(cache: Path) -> None:
    pattern = r"(?P<NAME>[A-Za-z_]\w*)|(?P<INT>[0-9]+)"
    cached = regex_cache.CachedRe("key")
    cached.compile(pattern)
    flags, code, groups, groupindex, indexgroup = cached._table[(pattern, 0)]
    cached._table[(pattern, 0)] = (flags, b"\xff" * len(code), groups, groupindex, indexgroup)
    compiled = cached.compile(pattern)
    assert compiled.match("abc1").lastgroup == "NAME"
    assert cached._table[(pattern, 0)][1] == code, "the entry was compiled again"


def test_other_uses_of_re_pass_through() -> None:
    cached = regex_cache.CachedRe("key")
    assert cached.match("a+", "aa") is not None
    assert cached.error is re.error
    assert cached.IGNORECASE == re.IGNORECASE
    assert cached.compile(b"ab").match(b"ab") is not None
    with pytest.raises(re.error):
        cached.compile("(")


def test_commands_read_the_same_with_a_warm_cache(tmp_path: Path) -> None:
    env = {**os.environ, disk_cache.ENV_VAR: str(tmp_path)}
    broken = sorted((Path(__file__).parent / "cases" / "broken").rglob("*.nf"))[:8]
    outputs = []
    for _ in range(2):
        runs = [
            subprocess.run(
                [sys.executable, "-m", "nanoflow", "check", str(path)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            for path in [SAMPLE, *broken]
        ]
        outputs.append([(r.returncode, r.stdout, r.stderr) for r in runs])
        assert (tmp_path / __version__ / regex_cache.ENTRY).is_file()
    assert outputs[0] == outputs[1]
    assert outputs[0][0][0] == 0 and all(code == 1 for code, _, _ in outputs[0][1:])
