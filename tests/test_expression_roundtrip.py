"""Property: an expression evaluates the same after a print/parse round trip."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nanoflow import ir
from nanoflow.diagnostics import CompileError
from nanoflow.evaluate import prepare
from nanoflow.printer import print_expression
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.session import Session as Runtime
from nanoflow.source import NO_SPAN

S = NO_SPAN


def ident(text: str) -> ir.Ident:
    return ir.Ident(span=S, text=text)


integers = st.integers(min_value=-(10**6), max_value=10**6).map(
    lambda v: ir.IntegerLit(span=S, value=v)
)
decimals = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3, allow_nan=False
).map(lambda v: ir.DecimalLit(span=S, value=v))
strings = st.text(alphabet="ab' xy", max_size=6).map(lambda v: ir.StringLit(span=S, value=v))
booleans = st.booleans().map(lambda v: ir.BooleanLit(span=S, value=v))


def numbers(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.one_of(integers, decimals)
    if depth == 0:
        return leaf
    sub = numbers(depth - 1)
    return st.one_of(
        leaf,
        st.builds(
            lambda op, a, b: ir.Binary(span=S, op=op, left=a, right=b),
            st.sampled_from(["+", "-", "*", ":", "div", "mod"]),
            sub,
            sub,
        ),
        sub.map(lambda a: ir.Negate(span=S, operand=a)),
        st.builds(
            lambda c, a, b: ir.IfExpr(span=S, condition=c, then=a, otherwise=b),
            conditions(depth - 1),
            sub,
            sub,
        ),
        st.builds(
            lambda a, p: ir.FunctionCall(span=S, name=ident("round"), args=(a, p)),
            sub,
            st.integers(0, 3).map(lambda v: ir.IntegerLit(span=S, value=v)),
        ),
        sub.map(lambda a: ir.FunctionCall(span=S, name=ident("abs"), args=(a,))),
    )


def texts(depth: int) -> st.SearchStrategy[Any]:
    leaf = strings
    if depth == 0:
        return leaf
    return st.one_of(
        leaf,
        st.builds(
            lambda a, b: ir.Binary(span=S, op="+", left=a, right=b),
            texts(depth - 1),
            st.one_of(texts(depth - 1), numbers(depth - 1)),
        ),
        texts(depth - 1).map(
            lambda a: ir.FunctionCall(span=S, name=ident("toUpperCase"), args=(a,))
        ),
    )


def conditions(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return booleans
    sub = conditions(depth - 1)
    return st.one_of(
        booleans,
        st.builds(
            lambda op, a, b: ir.Compare(span=S, op=op, left=a, right=b),
            st.sampled_from(["=", "!=", "<", ">", "<=", ">="]),
            numbers(depth - 1),
            numbers(depth - 1),
        ),
        st.builds(
            lambda op, a, b: ir.Logical(span=S, op=op, left=a, right=b),
            st.sampled_from(["and", "or"]),
            sub,
            sub,
        ),
        sub.map(lambda a: ir.Not(span=S, operand=a)),
    )


expressions = st.one_of(numbers(2), texts(2), conditions(2))


def evaluate(text: str) -> tuple[str, Any]:
    prepared = prepare(text, {})

    async def run() -> Any:
        async with Runtime(prepared.app) as rt:
            return await rt.call(prepared.flow)

    try:
        return ("value", asyncio.run(run()))
    except FlowError as error:
        return ("error", error.message)


def reparse(text: str) -> ir.Expr:
    prepared = prepare(text, {})
    flow = prepared.app.names.callables[prepared.flow].decl
    assert isinstance(flow, ir.Flow)
    statement = flow.body.statements[0]
    assert isinstance(statement, ir.Return) and statement.value is not None
    return statement.value


@given(expressions)
def test_print_parse_round_trip_evaluates_the_same(expr: Any) -> None:
    text = print_expression(expr)
    try:
        first = evaluate(text)
    except CompileError as error:
        raise AssertionError(f"{text!r} does not compile: {error.diagnostics}") from error
    again = print_expression(reparse(text))  # literals like `-0` may normalize once
    assert print_expression(reparse(again)) == again
    assert evaluate(again) == first
