"""Lowering of XPath constraints (their operands are expression literals and variables)."""

from __future__ import annotations

from typing import Any, cast

from nanoflow import ir
from nanoflow.lowering.base import unquote
from nanoflow.lowering.expressions import ExpressionLowering


class XPathLowering(ExpressionLowering):
    """Callbacks of the XPath rules."""

    def xpath_query(self, c: list[Any]) -> tuple[ir.XPathConstraint, ...]:
        return tuple(c)

    def xpath(self, c: list[Any]) -> ir.XPathConstraint:
        return ir.XPathConstraint(span=c[0].span, expr=c[0])

    def xp_or_op(self, c: list[Any]) -> ir.XPathLogical:
        return ir.XPathLogical(
            span=self._span(c[0], c[2]), op="or", left=c[0], right=c[2]
        )

    def xp_and_op(self, c: list[Any]) -> ir.XPathLogical:
        return ir.XPathLogical(
            span=self._span(c[0], c[2]), op="and", left=c[0], right=c[2]
        )

    def xp_not_op(self, c: list[Any]) -> ir.XPathNot:
        return ir.XPathNot(span=self._span(c[0], c[1]), operand=c[1])

    def xp_compare(self, c: list[Any]) -> ir.XPathCompare:
        return ir.XPathCompare(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def xp_test(self, c: list[Any]) -> ir.XPathTest:
        return ir.XPathTest(span=c[0].span, operand=c[0])

    def xp_string_function(self, c: list[Any]) -> ir.XPathFunction:
        return ir.XPathFunction(
            span=self._span(c[0], c[2]),
            name=cast(Any, str(c[0])),
            path=c[1],
            value=c[2],
        )

    def xp_path(self, c: list[Any]) -> ir.XPathPath:
        return ir.XPathPath(
            span=self._span(c[0], c[-1]), steps=tuple(self._ident(t) for t in c)
        )

    def xp_string(self, c: list[Any]) -> ir.StringLit | ir.TokenRef:
        value = unquote(c[0])
        if value.startswith("[%") and value.endswith("%]") and value[2:-2].isidentifier():
            return ir.TokenRef(span=self._sp(c[0]), name=value[2:-2])
        return ir.StringLit(span=self._sp(c[0]), value=value)

    xp_integer = ExpressionLowering.integer
    xp_decimal = ExpressionLowering.decimal
    xp_negative_integer = ExpressionLowering.negative_int
    xp_negative_decimal = ExpressionLowering.negative_decimal
    xp_empty = ExpressionLowering.empty
    xp_variable = ExpressionLowering.variable
    xp_variable_path = ExpressionLowering.member_path
    xp_token = ExpressionLowering.token

    def xp_true(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit(span=self._sp(c[0]), value=True)

    def xp_false(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit(span=self._sp(c[0]), value=False)
