"""Lowering of expressions and literals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from lark import Token

from nanoflow import ir
from nanoflow.lowering.base import LoweringBase, unquote


class ExpressionLowering(LoweringBase):
    """Callbacks of the expression rules (attribute defaults and XPath use the literals)."""

    def if_expr(self, c: list[Any]) -> ir.IfExpr:
        return ir.IfExpr(
            span=self._span(c[0], c[5]), condition=c[1], then=c[3], otherwise=c[5]
        )

    def or_op(self, c: list[Any]) -> ir.Logical:
        return ir.Logical(
            span=self._span(c[0], c[2]), op="or", left=c[0], right=c[2]
        )

    def and_op(self, c: list[Any]) -> ir.Logical:
        return ir.Logical(
            span=self._span(c[0], c[2]), op="and", left=c[0], right=c[2]
        )

    def compare(self, c: list[Any]) -> ir.Compare:
        return ir.Compare(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def compare_op(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    add_op = mul_op = compare_op

    def binary(self, c: list[Any]) -> ir.Binary:
        return ir.Binary(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def negate(self, c: list[Any]) -> Any:
        operand = c[1]
        if type(operand) is ir.IntegerLit:
            return ir.IntegerLit(
                span=self._span(c[0], operand), value=-operand.value
            )
        if type(operand) is ir.DecimalLit:
            return ir.DecimalLit(
                span=self._span(c[0], operand), value=-operand.value
            )
        return ir.Negate(span=self._span(c[0], c[1]), operand=c[1])

    def not_op(self, c: list[Any]) -> ir.Not:
        return ir.Not(span=self._span(c[0], c[1]), operand=c[1])

    def variable(self, c: list[Any]) -> ir.Variable:
        return self._var(c[0])

    def member_path(self, c: list[Any]) -> ir.MemberPath:
        return ir.MemberPath(
            span=self._span(c[0], c[-1]),
            variable=self._var(c[0]),
            steps=tuple(self._ident(t) for t in c[1:]),
        )

    def name_ref(self, c: list[Any]) -> ir.NameRef:
        return ir.NameRef(span=self._sp(c[0]), name=self._ident(c[0]))

    def token(self, c: list[Any]) -> ir.TokenRef:
        return ir.TokenRef(span=self._sp(c[0]), name=str(c[0])[2:-2])

    def function_call(self, c: list[Any]) -> ir.FunctionCall:
        return ir.FunctionCall(
            span=self._span(c[0], c[-1]), name=self._ident(c[0]), args=tuple(c[1:])
        )

    def sort_key(self, c: list[Any]) -> ir.SortKey:
        return ir.SortKey(
            span=self._span(c[0], c[1]), key=c[0], descending=str(c[1]) == "desc"
        )

    def string(self, c: list[Any]) -> ir.StringLit:
        return ir.StringLit(span=self._sp(c[0]), value=unquote(c[0]))

    def integer(self, c: list[Any]) -> ir.IntegerLit:
        return ir.IntegerLit(span=self._sp(c[0]), value=int(c[0]))

    def decimal(self, c: list[Any]) -> ir.DecimalLit:
        return ir.DecimalLit(span=self._sp(c[0]), value=Decimal(str(c[0])))

    def true(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit(span=self._sp(c[0]), value=True)

    def false(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit(span=self._sp(c[0]), value=False)

    def empty(self, c: list[Any]) -> ir.EmptyLit:
        return ir.EmptyLit(span=self._sp(c[0]))

    def negative_int(self, c: list[Any]) -> ir.IntegerLit:
        return ir.IntegerLit(span=self._span(c[0], c[1]), value=-int(c[1]))

    def negative_decimal(self, c: list[Any]) -> ir.DecimalLit:
        return ir.DecimalLit(span=self._span(c[0], c[1]), value=-Decimal(str(c[1])))
