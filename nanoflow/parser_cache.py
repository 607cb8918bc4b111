"""The constructed parser, kept whole in the per-user cache.

lark's own cache (`cache=` in `nanoflow/parser.py`) keeps the grammar's analysis, but every
process still rebuilds lark's objects from it (rules, terminals, the parse table, one lexer per
parser state): about three times what unpickling the finished parser costs, and a large part of
`nanoflow eval`'s start. This module pickles the parser as lark built it, before any lexer state
has compiled its regular expressions (those come from `nanoflow/regex_cache.py`). What cannot or
need not be pickled is left out and put back on load: the lowering transformer (the process's
own), modules by name, and objects lark tells apart by identity (the parse table's `Shift`
and `Reduce`); the parse callbacks, which lark makes as local functions, are made
again from the unpickled rules. The entry is keyed by the Python version, lark's version, the
grammar and the parser's options; anything unexpected is a miss, and the parser is built again.
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys
import types
from typing import Any

from lark import Lark, Transformer
from lark import __version__ as lark_version
from lark.parsers import lalr_analysis

from nanoflow import disk_cache
from nanoflow.gc_pause import gc_paused

ENTRY = "parser.pickle"
_FORMAT = "parser-cache 1"
# Objects lark tells apart by identity (`action is Shift`): kept by name, not copied.
_SINGLETONS: dict[str, Any] = {
    "Shift": lalr_analysis.Shift,
    "Reduce": lalr_analysis.Reduce,
}
_SINGLETON_NAMES = {id(value): name for name, value in _SINGLETONS.items()}


def key(grammar: str, options: dict[str, Any]) -> str:
    """The cache key of a parser built from `grammar` with lark `options` (transformer aside)."""
    shown = repr(sorted((k, v) for k, v in options.items() if k not in ("transformer", "cache")))
    return disk_cache.source_key(_FORMAT, sys.version, lark_version, grammar, shown)


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, parser: Lark, transformer: Transformer[Any, Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._transformer = transformer
        self._callbacks = parser._callbacks

    def persistent_id(self, obj: Any) -> Any:
        if obj is self._transformer:
            return "transformer"
        if obj is self._callbacks:
            return "callbacks"
        return None

    def reducer_override(self, obj: Any) -> Any:
        # Reduced objects are memoized: each is written (and made on load) once.
        name = _SINGLETON_NAMES.get(id(obj))
        if name is not None:
            return _singleton, (name,)
        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        return NotImplemented


def _singleton(name: str) -> Any:
    return _SINGLETONS[name]


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, transformer: Transformer[Any, Any]) -> None:
        super().__init__(file)
        self._transformer = transformer
        self.callbacks: dict[Any, Any] = {}

    def persistent_load(self, pid: Any) -> Any:
        if pid == "transformer":
            return self._transformer
        if pid == "callbacks":
            return self.callbacks
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")


def store(parser: Lark, cache_key: str, transformer: Transformer[Any, Any]) -> None:
    """Keep `parser` (just built: no lexer state used yet) under `cache_key`; a parser that
    cannot be pickled is not kept."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, parser, transformer).dump(parser)
    except Exception:  # a lark whose objects do not pickle: no cache, nothing else lost
        return
    disk_cache.store_bytes(ENTRY, cache_key, buffer.getvalue())


def load(cache_key: str, transformer: Transformer[Any, Any]) -> Lark | None:
    """The parser kept under `cache_key`, with `transformer` and its callbacks; None on a miss."""
    data = disk_cache.load_bytes(ENTRY, cache_key)
    if data is None:
        return None
    unpickler = _Unpickler(io.BytesIO(data), transformer)
    try:
        with gc_paused():  # many small objects, no garbage: no point in collecting meanwhile
            parser = unpickler.load()
            if not isinstance(parser, Lark):
                return None
            parser._prepare_callbacks()  # lark's own: the rules' callbacks for this transformer
    except Exception:  # a corrupt or foreign entry can fail in any way
        return None
    # The frontend and the LALR parser share one callbacks dictionary: fill the one they hold.
    unpickler.callbacks.update(parser._callbacks)
    parser._callbacks = unpickler.callbacks
    return parser
