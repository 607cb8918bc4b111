"""The lexer's compiled regular expressions, kept in the per-user cache.

lark's contextual lexer builds one large regular expression per parser state on first use, and
Python's `re` parses and compiles each in pure Python: about 25 ms for a small app, a tenth of a
whole `nanoflow check`. `CachedRe` stands in for the `re` module in lark's lexers: it keeps what
`re` hands to `_sre.compile` (the compiled code, flags and groups) for every pattern, and later
processes build their patterns from it directly. The table is keyed by the Python version and
the grammar; anything unexpected (another Python's internals, a corrupt entry) falls back to
`re.compile`, and CPython validates any code it is given.
"""

from __future__ import annotations

import re
import sys
from array import array
from importlib import import_module
from typing import Any

from nanoflow import disk_cache

try:  # `re`'s own parts (Python 3.11 and later), not part of its public interface
    _sre = import_module("_sre")
    _compiler = import_module("re._compiler")
    _parser = import_module("re._parser")
    _CODE = "I" if array("I").itemsize == _sre.CODESIZE else ""
except (ImportError, AttributeError):  # pragma: no cover - another Python's `re`
    _CODE = ""

ENTRY = "lexer-regex.pickle"
Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]


def _compile(pattern: str, flags: int) -> tuple[re.Pattern[str], Entry]:
    """`re._compiler.compile`, keeping the pieces it hands to `_sre.compile`."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    entry: Entry = (
        flags | parsed.state.flags,
        array(_CODE, code).tobytes(),
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )
    return _build(pattern, entry), entry


def _build(pattern: str, entry: Entry) -> re.Pattern[str]:
    flags, code, groups, groupindex, indexgroup = entry
    words = array(_CODE)
    words.frombytes(code)
    compiled: re.Pattern[str] = _sre.compile(
        pattern, flags, words.tolist(), groups, groupindex, indexgroup
    )
    return compiled


class CachedRe:
    """The `re` module as lark's lexers use it, with compiled patterns from the cache."""

    error = re.error

    def __init__(self, key: str) -> None:
        self._key = key
        loaded = disk_cache.load(ENTRY, key) if _CODE else None
        self._table: dict[tuple[str, int], Entry] = loaded if isinstance(loaded, dict) else {}
        self._added = False
        self._matchers: dict[tuple[str, int], re.Pattern[str]] = {}

    def compile(self, pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        if not _CODE or not isinstance(pattern, str):
            return re.compile(pattern, flags)
        entry = self._table.get((pattern, flags))
        if entry is not None:
            try:
                return _build(pattern, entry)
            except Exception:  # a stale or corrupt entry: compile it again below
                pass
        try:
            compiled, entry = _compile(pattern, flags)
        except AssertionError:  # lark shrinks a pattern with too many groups and retries
            raise
        except Exception:
            return re.compile(pattern, flags)
        self._table[(pattern, flags)] = entry
        self._added = True
        return compiled

    def match(self, pattern: Any, string: Any, flags: int = 0) -> re.Match[Any] | None:
        """`re.match`, with the pattern compiled through the table once per process (lark
        matches each string terminal against the regular ones when it builds a lexer state)."""
        if not isinstance(pattern, str):
            return re.match(pattern, string, flags)
        compiled = self._matchers.get((pattern, flags))
        if compiled is None:
            compiled = self._matchers[(pattern, flags)] = self.compile(pattern, flags)
        return compiled.match(string)

    def save(self) -> None:
        """Keep the patterns compiled since the last save for the next processes."""
        if self._added:
            self._added = False
            disk_cache.store(ENTRY, self._key, self._table)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


def install(parser: Any, grammar: str) -> CachedRe | None:
    """Make the lexers of a lark LALR parser with a contextual lexer compile through a
    `CachedRe`; None (and nothing changed) when the parser is not of that shape."""
    lexer = getattr(getattr(parser, "parser", None), "lexer", None)
    lexers = [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None)]
    if not _CODE or not lexers or not all(hasattr(each, "re") for each in lexers):
        return None
    cached = CachedRe(disk_cache.source_key(sys.version, str(_sre.MAGIC), grammar))
    for each in lexers:
        each.re = cached
    return cached
