"""Nanoflow: Mendix-style nanoflows with offline-first synchronization.

`load(path)` compiles an app (raising `CompileError` with diagnostics); `Runtime` runs its
nanoflows against a device's offline store; `Host` receives client activities; `FlowError` is
what an unhandled error in a flow raises; `LocalServer` runs an app's sync server in this
process for several devices.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` is not imported at run time: the help path stays light
    from nanoflow.api import Runtime
    from nanoflow.compiler import App, CompileResult, compile_path, compile_sources, load
    from nanoflow.diagnostics import CompileError, Diagnostic
    from nanoflow.local_server import LocalServer
    from nanoflow.runtime.errors import FlowError, StoreError
    from nanoflow.runtime.host import Host
    from nanoflow.runtime.values import EnumValue, MendixError, MxObject

__version__ = "0.1.0"
"""The package version (pyproject.toml reads it from here)."""

__all__ = [
    "App",
    "CompileError",
    "CompileResult",
    "Diagnostic",
    "EnumValue",
    "FlowError",
    "Host",
    "LocalServer",
    "MendixError",
    "MxObject",
    "Runtime",
    "StoreError",
    "compile_path",
    "compile_sources",
    "load",
]


_COMPILER = ("App", "CompileResult", "compile_path", "compile_sources", "load")


def __getattr__(name: str) -> object:
    """Every name loads on first use: importing a submodule (`nanoflow.ir`, the CLI) costs
    nothing more, and `check` never imports the runtime side."""
    if name in _COMPILER:
        from nanoflow import compiler

        return getattr(compiler, name)
    if name in ("CompileError", "Diagnostic"):
        from nanoflow import diagnostics

        return getattr(diagnostics, name)
    if name == "Runtime":
        from nanoflow.api import Runtime

        return Runtime
    if name == "LocalServer":
        from nanoflow.local_server import LocalServer

        return LocalServer
    if name == "Host":
        from nanoflow.runtime.host import Host

        return Host
    if name == "FlowError":
        from nanoflow.runtime.errors import FlowError

        return FlowError
    if name in ("MxObject", "EnumValue", "MendixError"):
        from nanoflow.runtime import values

        return getattr(values, name)
    if name == "StoreError":
        from nanoflow.runtime.errors import StoreError

        return StoreError
    raise AttributeError(f"module 'nanoflow' has no attribute {name!r}")
