"""The embedding API (LANGUAGE.md section 10): `Runtime` with the front-end conveniences the
device runtime itself does not carry (XPath given as text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nanoflow import ir
from nanoflow.compiler import App, compile_sources
from nanoflow.diagnostics import CompileError
from nanoflow.runtime.flowgen import FlowGen
from nanoflow.runtime.host import Host
from nanoflow.runtime.runtime import Runtime as DeviceRuntime
from nanoflow.runtime.values import MxObject
from nanoflow.source import SourceFile


class Runtime(DeviceRuntime):
    """Runs an app's nanoflows on a device: `async with nanoflow.Runtime(app, store=...)`."""

    def __init__(
        self,
        app: App,
        store: str | Path | None = None,
        server: str | None = None,
        user: str = "local",
        password: str | None = None,
        host: Host | None = None,
        timezone: str | None = None,
        rounding: str = "half_away_from_zero",
    ) -> None:
        if server is not None:
            raise ValueError(
                "server connections come with the sync server; this version runs locally"
            )
        super().__init__(
            app, store=store, host=host, timezone=timezone, user=user, rounding=rounding
        )
        self._queries: dict[tuple[str, str], Any] = {}

    async def retrieve(self, entity: str, xpath: str = "") -> list[MxObject]:
        """The objects of an entity matching an XPath constraint written as text, e.g.
        `await rt.retrieve("Sales.Order", xpath="[Status = 'Placed']")`."""
        function = self._queries.get((entity, xpath))
        if function is None:
            function = self._query(entity, xpath)
            self._queries[(entity, xpath)] = function
        result: list[MxObject] = await function(self)
        return result

    def _query(self, entity: str, xpath: str) -> Any:
        info = self.names.entities.get(entity)
        if info is None:
            raise ValueError(f"unknown entity `{entity}`")
        where = f" where {xpath}" if xpath.strip() else ""
        text = (
            f"module {info.module}\n"
            f"nanoflow Query__() returns List of {info.qname} {{\n"
            f"  $found = retrieve {info.qname}{where}\n"
            "  return $found\n}\n"
        )
        query = SourceFile("<query>", text)
        sources = [*self.app.sources.values(), query]
        result = compile_sources(sources)
        if result.app is None:
            raise CompileError(result.diagnostics)
        qname = f"{info.module}.Query__"
        callable_info = result.app.names.callables[qname]
        decl = callable_info.decl
        assert isinstance(decl, ir.Flow)
        return FlowGen(result.app, info.module, decl, callable_info).generate().function
