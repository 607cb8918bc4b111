"""Nanoflow: Mendix-style nanoflows with offline-first synchronization.

`load(path)` compiles an app (raising `CompileError` with diagnostics); `Runtime` runs its
nanoflows against a device's offline store; `Host` receives client activities; `FlowError` is
what an unhandled error in a flow raises.
"""

from nanoflow.compiler import App, CompileResult, compile_path, compile_sources, load
from nanoflow.diagnostics import CompileError, Diagnostic

__all__ = [
    "App",
    "CompileError",
    "CompileResult",
    "Diagnostic",
    "EnumValue",
    "FlowError",
    "Host",
    "MendixError",
    "MxObject",
    "Runtime",
    "StoreError",
    "compile_path",
    "compile_sources",
    "load",
]


def __getattr__(name: str) -> object:
    """The runtime side of the API loads on first use (`check` never imports it)."""
    if name == "Runtime":
        from nanoflow.api import Runtime

        return Runtime
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
