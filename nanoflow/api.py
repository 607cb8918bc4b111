"""The embedding API (LANGUAGE.md section 10): `Runtime` with the front-end conveniences the
device runtime itself does not carry (XPath given as text)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.compiler import App, compile_xpath
from nanoflow.runtime.functions.tokens import token_value
from nanoflow.runtime.host import Host
from nanoflow.runtime.number_text import DECIMAL_RANGE, in_decimal_range, shorten
from nanoflow.runtime.query import Query
from nanoflow.runtime.session import Session
from nanoflow.runtime.storage import Store
from nanoflow.runtime.values import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, EnumValue, MxObject
from nanoflow.source import NO_SPAN


class Runtime(Session):
    """Runs an app's nanoflows on a device: `async with nanoflow.Runtime(app, store=...)`."""

    def __init__(
        self,
        app: App,
        store: Store | str | Path | None = None,
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
        self._queries: dict[tuple[str, str], Query] = {}

    def create(self, entity: str, values: dict[str, Any] | None = None) -> MxObject:
        """A new, uncommitted object; member values are checked against the entity (attributes
        by name, associations by name or qualified name: objects, lists of objects, or None)."""
        info = self.names.entities.get(entity)
        if info is None:
            raise ValueError(f"unknown entity `{entity}`")
        checked: dict[str, Any] = {}
        for member, value in (values or {}).items():
            attr = info.attributes.get(member)
            if attr is not None:
                checked[member] = check_value(value, attr.type, f"{entity}.{member}", self)
                continue
            found = self.names.find_association(
                ir.Ident(span=NO_SPAN, text=member), info.module, entity
            )
            if found is None or found[1] != "source":
                raise ValueError(f"{entity} has no attribute or owned association `{member}`")
            assoc = found[0]
            checked[assoc.qname] = check_value(
                value, assoc.type_from("source"), f"{entity}.{member}", self
            )
        return super().create(entity, checked)

    async def call(self, flow: str, /, **arguments: Any) -> Any:
        """Run a flow by `Module.Name` (or unique `Name`) with its parameters as keyword
        arguments; raises `FlowError` if it ends in an unhandled error."""
        info = self.app.find_flow(flow)
        if info is not None:
            unknown = set(arguments) - set(info.parameters)
            if unknown:
                raise TypeError(
                    f"`{info.qname}` has no parameter {', '.join(sorted(unknown))} "
                    f"(parameters: {', '.join(info.parameters) or 'none'})"
                )
            arguments = {
                name: check_value(value, info.parameters[name], f"parameter `{name}`", self)
                for name, value in arguments.items()
            }
        return await super().call(flow, **arguments)

    async def retrieve(self, entity: str, xpath: str = "") -> list[MxObject]:
        """The objects of an entity matching an XPath constraint written as text, e.g.
        `await rt.retrieve("Sales.Order", xpath="[Status = 'Placed']")`. Only the XPath is
        compiled (once per entity and text); a mistake raises `CompileError` pointing into
        the text."""
        query = self._queries.get((entity, xpath))
        if query is None:
            if self.store is None:
                raise ValueError("this runtime has no offline store (pass `store=...`)")
            constraints = compile_xpath(self.app, entity, xpath)
            info = self.names.entities[entity]
            query = Query.of(info.qname, constraints, (), info.module)
            self._queries[(entity, xpath)] = query
        values = tuple(
            token_value(self.ctx, node.name)
            for node in query.slots
            if isinstance(node, ir.TokenRef)
        )
        found: list[MxObject] = await self.retrieve_query(query, values, None, None, False)
        return found


def check_value(value: Any, type_: t.Type, what: str, rt: Runtime) -> Any:
    """A Python value given through the API, checked (and converted where it is safe) for a
    member or parameter of type `type_`."""
    if value is None:
        return [] if isinstance(type_, t.ListType) else None
    if isinstance(type_, t.ListType):
        if not isinstance(value, list) or not all(isinstance(o, MxObject) for o in value):
            raise TypeError(f"{what} takes a list of {type_.entity} objects")
        for obj in value:
            _check_object(obj, type_.entity, what, rt)
        return list(value)
    if isinstance(type_, t.ObjectType):
        if not isinstance(value, MxObject):
            raise TypeError(f"{what} takes an object of {type_.entity}, not {value!r}")
        _check_object(value, type_.entity, what, rt)
        return value
    if isinstance(type_, t.EnumType):
        if isinstance(value, EnumValue) and value.enum == type_.enum:
            return value
        keys = rt.names.enums[type_.enum].values
        if isinstance(value, str) and value in keys:
            return EnumValue.of(type_.enum, value)
        raise ValueError(f"{what} takes a value of {type_.enum} ({', '.join(keys)})")
    name = type_.name if isinstance(type_, t.Prim) else ""
    if name in ("String", "HashedString") and isinstance(value, str):
        return value
    if name in ("Integer", "Long") and isinstance(value, int) and not isinstance(value, bool):
        low, high = (INT_MIN, INT_MAX) if name == "Integer" else (LONG_MIN, LONG_MAX)
        if not low <= value <= high:
            raise ValueError(
                f"{what}: {value} does not fit in {'an' if name == 'Integer' else 'a'} {name}"
            )
        return value
    if name == "Decimal" and isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{what}: {value} is not a number (NaN and infinities never are)")
        if not in_decimal_range(number):
            raise ValueError(f"{what}: {shorten(str(value))} is out of range ({DECIMAL_RANGE})")
        return number
    if name == "Boolean" and isinstance(value, bool):
        return value
    if name == "DateTime" and isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{what} takes an aware datetime (with a time zone)")
        return value
    if name == "Binary" and isinstance(value, bytes):
        return value
    raise TypeError(f"{what} takes a {name or type_}, not {type(value).__name__} {value!r}")


def _check_object(obj: MxObject, entity: str, what: str, rt: Runtime) -> None:
    if not rt.names.is_a(obj.entity, entity):
        raise TypeError(f"{what} takes an object of {entity}, not of {obj.entity}")
