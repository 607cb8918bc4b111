"""Lowering of types and of the headers of flows, pages and actions."""

from __future__ import annotations

from typing import Any, cast

from lark import Token

from nanoflow import ir
from nanoflow.lowering.base import LoweringBase
from nanoflow.source import Span


class CallableLowering(LoweringBase):
    """Callbacks of type references, flows, pages and actions."""

    def named_type(self, c: list[Any]) -> ir.NamedType:
        length = int(c[1]) if len(c) > 1 else None
        return ir.NamedType(
            span=self._span(c[0], c[-1]), name=self._ident(c[0]), length=length
        )

    def list_type(self, c: list[Any]) -> ir.ListTypeRef:
        return ir.ListTypeRef(span=self._span(c[0], c[2]), entity=self._ident(c[2]))

    def flow(self, c: list[Any]) -> ir.Flow:
        parameters: tuple[ir.Parameter, ...] = ()
        returns = None
        allow: tuple[ir.Ident, ...] = ()
        entity_access = False
        for item in c[2:-1]:
            if isinstance(item, tuple):
                if item[0] == "returns":
                    returns = item[1]
                elif item[0] == "allow":
                    allow = item[1]
                elif item[0] == "entity_access":
                    entity_access = True
                else:
                    parameters = item[1]
        return ir.Flow(
            span=self._span(c[0], c[1]),
            kind=cast(Any, str(c[0])),
            name=self._ident(c[1]),
            parameters=parameters,
            returns=returns,
            allow=allow,
            entity_access=entity_access,
            body=c[-1],
        )

    def flow_kind(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    def parameters(self, c: list[Any]) -> tuple[str, tuple[ir.Parameter, ...], Span]:
        return ("parameters", tuple(c), self._span(c[0], c[-1]))

    def parameter(self, c: list[Any]) -> ir.Parameter:
        return ir.Parameter(
            span=self._span(c[0], c[1]), variable=self._var(c[0]), type=c[1]
        )

    def returns_clause(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("returns", c[1], self._span(c[0], c[1]))

    def allow_clause(self, c: list[Any]) -> tuple[str, tuple[ir.Ident, ...], Span]:
        return ("allow", tuple(self._ident(t) for t in c[1:]), self._span(c[0], c[-1]))

    def entity_access(self, c: list[Any]) -> tuple[str, Span]:
        return ("entity_access", self._span(c[0], c[-1]))

    def page(self, c: list[Any]) -> ir.Page:
        params = c[2][1] if len(c) > 2 else ()
        return ir.Page(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), parameters=params
        )

    def action(self, c: list[Any]) -> ir.Action:
        params: tuple[ir.Parameter, ...] = ()
        returns = None
        for item in c[2:]:
            if item[0] == "returns":
                returns = item[1]
            else:
                params = item[1]
        return ir.Action(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), parameters=params, returns=returns
        )
