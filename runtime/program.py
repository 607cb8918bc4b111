"""A program: an app ready to run, built once and shared by every session that runs it (the
device's runtime, and one session per request on the sync server).

It holds what only depends on the app: each flow's generated function and its line map (built
on first use), the default values of each entity, and the adopters that turn a store's rows
into objects.
"""

from __future__ import annotations

import threading
import weakref
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.runtime.adoption import Adopter, adopt_decoded, make_adopter
from nanoflow.runtime.flowgen import CompiledFlow, FlowGen
from nanoflow.runtime.values import EnumValue, MendixError, MxObject

if TYPE_CHECKING:
    from nanoflow.compiler import App
    from nanoflow.names import AttributeInfo
    from nanoflow.runtime.storage import Fetched, Store
    from nanoflow.runtime.store.schema import TableLayout

NOW = object()
"""The default of an attribute that defaults to `[%CurrentDateTime%]`."""

_programs: weakref.WeakKeyDictionary[Any, Program] = weakref.WeakKeyDictionary()
_programs_lock = threading.Lock()


class Program:
    """The compiled app's runnable parts. Use `Program.of(app)`: one per app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.names = app.names
        self._flows: dict[str, CompiledFlow] = {}
        self._by_filename: dict[str, CompiledFlow] = {}
        self._defaults: dict[str, dict[str, Any]] = {}
        self._adopters: dict[tuple[int, str], tuple[Any, Adopter]] = {}

    @classmethod
    def of(cls, app: App) -> Program:
        """The program of an app (built on the first call, then shared)."""
        with _programs_lock:
            found = _programs.get(app)
            if found is None:
                found = _programs[app] = cls(app)
            return found

    # ---- flows -------------------------------------------------------------------------------

    def flow(self, qname: str) -> CompiledFlow:
        """The generated flow `Module.Name` (generated on first use)."""
        found = self._flows.get(qname)
        if found is None:
            info = self.names.callables.get(qname)
            if info is None or info.kind not in ("nanoflow", "microflow"):
                raise MendixError(f"unknown flow `{qname}`")
            decl = info.decl
            assert isinstance(decl, ir.Flow)
            found = FlowGen(self.app, info.module, decl, info).generate()
            self._flows[qname] = found
            self._by_filename[found.filename] = found
        return found

    def locate(self, error: MendixError) -> None:
        """Record on the error the innermost flow activity it came from (once)."""
        if getattr(error, "span", None) is not None:
            return
        tb = error.__traceback__
        found = None
        while tb is not None:
            compiled = self._by_filename.get(tb.tb_frame.f_code.co_filename)
            if compiled is not None:
                found = (compiled, tb.tb_lineno)
            tb = tb.tb_next
        if found is None:
            return
        compiled, lineno = found
        position = compiled.position(lineno)
        error.flow = compiled.info.qname  # type: ignore[attr-defined]
        if position is not None:
            error.span, error.activity = position  # type: ignore[attr-defined]

    # ---- objects -----------------------------------------------------------------------------

    def defaults(self, entity: str) -> dict[str, Any]:
        """Each attribute's default value (`NOW` for the current date-time)."""
        found = self._defaults.get(entity)
        if found is None:
            found = {
                attr.name: _default(attr)
                for attr in self.names.entities[entity].attributes.values()
            }
            self._defaults[entity] = found
        return found

    def adopt(
        self, store: Store, table: TableLayout, fetched: Fetched, refs: dict[str, Any]
    ) -> list[MxObject]:
        """The objects of rows of one table, through an identity map's `refs`."""
        rows = fetched.rows
        if fetched.refsets is not None:
            if len(table.entities) == 1:
                entity = table.entities[0]
                return adopt_decoded(entity, store.decoder(entity), fetched, refs)
            from nanoflow.runtime.storage import Fetched

            return [
                adopt_decoded(
                    row[1], store.decoder(row[1]), Fetched([row], fetched.refsets), refs
                )[0]
                for row in rows
            ]
        if len(table.entities) == 1:
            return self._adopter(store, table.entities[0])(rows, refs)
        result = []
        for row in rows:
            result.extend(self._adopter(store, row[1])((row,), refs))
        return result

    def _adopter(self, store: Store, entity: str) -> Adopter:
        decode = store.decoder(entity)
        key = (id(decode), entity)
        found = self._adopters.get(key)
        if found is None or found[0] is not decode:
            found = self._adopters[key] = (decode, make_adopter(entity, decode))
        return found[1]


def _default(attr: AttributeInfo) -> Any:
    decl = attr.decl
    value = decl.default if decl is not None else None
    if value is None:
        if attr.type_name in ("Integer", "Long"):
            return 0
        if attr.type_name == "Decimal":
            return Decimal(0)
        if attr.type_name == "Boolean":
            return False
        return None
    if isinstance(value, ir.NameRef):
        assert isinstance(attr.type, t.EnumType)
        return EnumValue.of(attr.type.enum, value.name.text.rsplit(".", 1)[-1])
    if isinstance(value, ir.TokenRef):
        return NOW
    if isinstance(value, ir.EmptyLit):
        return None
    raw = value.value
    if attr.type_name == "Decimal":
        return Decimal(raw)
    return raw
