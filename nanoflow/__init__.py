"""Nanoflow: Mendix-style nanoflows with offline-first synchronization.

`load(path)` compiles an app (raising `CompileError` with diagnostics);
`compile_path` / `compile_sources` return the diagnostics instead.
"""

from nanoflow.compiler import App, CompileResult, compile_path, compile_sources, load
from nanoflow.diagnostics import CompileError, Diagnostic

__all__ = [
    "App",
    "CompileError",
    "CompileResult",
    "Diagnostic",
    "compile_path",
    "compile_sources",
    "load",
]
