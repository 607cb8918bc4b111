"""Whatever `check` accepts, `run` runs (issue 9 item 2): long operator chains and expressions
nested up to the stated limit (NF008) compile to Python and give the right value, computed
independently here; deeper nesting is a diagnostic, not a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nanoflow
from nanoflow.check_expressions import MAX_NESTING
from nanoflow.compiler import compile_sources
from nanoflow.source import SourceFile

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
ITEMS = [1, 2, 3]
VARIABLES: dict[str, Any] = {"x": 3, "d": Decimal("1.5"), "b": True, "s": "ab"}
PARAMS = "$x: Integer, $d: Decimal, $b: Boolean, $s: String, $l: List of Item"


class Overflow(Exception):
    """The model's Long overflow: the flow must fail too."""


Env = dict[str, Any]


@dataclass(frozen=True)
class Gen:
    """An expression: its text, static kind (I Integer/Long, D Decimal, B Boolean, S String)
    and a model computing its value."""

    text: str
    kind: str
    value: Callable[[Env], Any]


def long(value: int) -> int:
    if not LONG_MIN <= value <= LONG_MAX:
        raise Overflow
    return value


def apply(op: str, left: Gen, right: Gen) -> tuple[str, Callable[[Any, Any], Any]]:
    """The kind of `left op right` and the operation, following the language's static rules."""
    if op == "+" and "S" in (left.kind, right.kind):
        return "S", lambda a, b: text(a) + text(b)
    integral = left.kind == right.kind == "I"
    python = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}[op]
    if integral:
        return "I", lambda a, b: long(python(a, b))
    return "D", lambda a, b: python(Decimal(a), Decimal(b))


def text(value: Any) -> str:
    assert isinstance(value, int | str) and not isinstance(value, bool)
    return str(value)


def chain(terms: list[Gen], ops: list[str]) -> Gen:
    """A left-to-right operator chain, evaluated step by step as the language does."""
    kind = terms[0].kind
    steps = []
    current = terms[0]
    for op, term in zip(ops, terms[1:], strict=True):
        kind, fn = apply(op, current, term)
        steps.append((fn, term))
        current = Gen("", kind, current.value)

    def value(env: Env) -> Any:
        result = terms[0].value(env)
        for fn, term in steps:
            result = fn(result, term.value(env))
        return result

    return Gen(left_to_right(terms, ops, "*"), kind, value)


def logical(terms: list[Gen], ops: list[str]) -> Gen:
    def value(env: Env) -> bool:
        result: bool = terms[0].value(env)
        for op, term in zip(ops, terms[1:], strict=True):
            result = result and term.value(env) if op == "and" else result or term.value(env)
        return result

    return Gen(left_to_right(terms, ops, "and"), "B", value)


def left_to_right(terms: list[Gen], ops: list[str], tight: str) -> str:
    """The text of a chain evaluated left to right whatever the precedence: `($a + $b) * $c`
    (parentheses around a left operand keep it one chain in the IR)."""
    body = terms[0].text
    loose = False
    for op, term in zip(ops, terms[1:], strict=True):
        if op == tight and loose:
            body = f"({body})"
        loose = op != tight
        body = f"{body} {op} {term.text}"
    return f"({body})"


LEAVES: dict[str, list[Gen]] = {
    "I": [
        Gen("$x", "I", lambda env: env["x"]),
        Gen("2", "I", lambda env: 2),
        Gen("7", "I", lambda env: 7),
    ],
    "D": [Gen("$d", "D", lambda env: env["d"]), Gen("0.25", "D", lambda env: Decimal("0.25"))],
    "B": [Gen("$b", "B", lambda env: env["b"]), Gen("false", "B", lambda env: False)],
    "S": [Gen("$s", "S", lambda env: env["s"]), Gen("'x'", "S", lambda env: "x")],
}


def leaf(draw: st.DrawFn, kind: str, env_has_object: bool, budget: int) -> Gen:
    options = list(LEAVES[kind])
    if kind == "I" and env_has_object and budget >= 1:
        options.append(Gen("$currentObject/N", "I", lambda env: env["currentObject"]))
    return draw(st.sampled_from(options))


def expression(draw: st.DrawFn, kind: str, budget: int, deep: bool, iterating: bool) -> Gen:
    """An expression of `kind` nesting at most `budget` levels; `deep` makes one path use all
    of them."""
    if budget == 0 or (not deep and draw(st.integers(0, 2)) == 0):
        return leaf(draw, kind, iterating, budget)

    def sub(sub_kind: str, cost: int = 1, go_deep: bool = False, inner: bool = False) -> Gen:
        rest = budget - cost
        if rest < 0:
            return leaf(draw, sub_kind, iterating or inner, 0)
        if not go_deep:
            rest = min(rest, 2)
        return expression(draw, sub_kind, rest, go_deep, iterating or inner)

    forms = {
        "I": ["chain", "negate", "abs", "if", "count", "reduce"],
        "D": ["chain", "negate", "if"],
        "B": ["logical", "not", "compare", "any", "if"],
        "S": ["concat", "tostring", "if"],
    }[kind]
    if budget < 2:  # `count(filterWhere(...))` and `reduce(..., $currentResult + ...)` need 2
        forms = [f for f in forms if f not in ("count", "reduce")]
    form = draw(st.sampled_from(forms))
    deep_at = draw(st.integers(0, 2))
    if form in ("chain", "concat"):
        length = draw(st.integers(2, 6))
        if form == "chain":
            ops = draw(
                st.lists(st.sampled_from(["+", "-", "*"]), min_size=length - 1, max_size=length - 1)
            )
            kinds = [
                "I" if kind == "I" else draw(st.sampled_from(["I", "D"])) for _ in range(length)
            ]
        else:
            ops = ["+"] * (length - 1)
            kinds = [draw(st.sampled_from(["S", "I"])) for _ in range(length)]
            kinds[draw(st.integers(0, length - 1))] = "S"
        terms = [sub(k, go_deep=deep and i == deep_at % length) for i, k in enumerate(kinds)]
        made = chain(terms, ops)
        if kind == "D" and made.kind == "I":  # every term was integral
            made = chain([*terms, LEAVES["D"][1]], [*ops, "+"])
        return made
    if form == "negate":
        operand = sub(kind, go_deep=deep)
        negated = (lambda v: long(-v)) if kind == "I" else (lambda v: -v)
        return Gen(f"-({operand.text})", kind, lambda env: negated(operand.value(env)))
    if form == "abs":
        operand = sub("I", go_deep=deep)
        return Gen(f"abs({operand.text})", "I", lambda env: long(abs(operand.value(env))))
    if form == "tostring":
        operand = sub("I", go_deep=deep)
        return Gen(f"toString({operand.text})", "S", lambda env: str(operand.value(env)))
    if form == "not":
        operand = sub("B", go_deep=deep)
        return Gen(f"not({operand.text})", "B", lambda env: not operand.value(env))
    if form == "logical":
        length = draw(st.integers(2, 5))
        ops = draw(
            st.lists(st.sampled_from(["and", "or"]), min_size=length - 1, max_size=length - 1)
        )
        return logical(
            [sub("B", go_deep=deep and i == deep_at % length) for i in range(length)], ops
        )
    if form == "compare":
        op = draw(st.sampled_from(["<", "=", ">="]))
        left = sub("I", go_deep=deep and deep_at == 0)
        right = sub("I", go_deep=deep and deep_at != 0)
        python = {"<": lambda a, b: a < b, "=": lambda a, b: a == b, ">=": lambda a, b: a >= b}
        return Gen(
            f"{left.text} {op} {right.text}",
            "B",
            lambda env: python[op](left.value(env), right.value(env)),
        )
    if form == "if":
        cond = sub("B", go_deep=deep and deep_at == 0)
        then = sub(kind, go_deep=deep and deep_at == 1)
        other = sub(kind, go_deep=deep and deep_at == 2)
        return Gen(
            f"(if {cond.text} then {then.text} else {other.text})",
            kind,
            lambda env: then.value(env) if cond.value(env) else other.value(env),
        )
    if form == "count":  # count(filterWhere(...)) is two levels
        cond = sub("B", cost=2, go_deep=deep, inner=True)

        def counted(env: Env) -> int:
            return sum(1 for n in ITEMS if cond.value({**env, "currentObject": n}))

        return Gen(f"count(filterWhere($l, {cond.text}))", "I", counted)
    if form == "any":
        cond = sub("B", go_deep=deep, inner=True)
        return Gen(
            f"any($l, {cond.text})",
            "B",
            lambda env: any(cond.value({**env, "currentObject": n}) for n in ITEMS),
        )
    # reduce: `$currentResult` is an Integer inside the body, `$currentResult + ...` a level
    body = sub("I", cost=2, go_deep=deep, inner=True)
    with_result = chain([Gen("$currentResult", "I", lambda env: env["currentResult"]), body], ["+"])

    def reduced(env: Env) -> int:
        result = 0
        for n in ITEMS:
            result = with_result.value({**env, "currentObject": n, "currentResult": result})
        return result

    return Gen(f"reduce($l, 0, {with_result.text})", "I", reduced)


RETURNS = {"I": "Long", "D": "Decimal", "B": "Boolean", "S": "String"}


def run(gen: Gen) -> Any:
    source = (
        "module M\nentity Item { N: Integer }\n"
        f"nanoflow F({PARAMS}) returns {RETURNS[gen.kind]} {{\n  return {gen.text}\n}}\n"
    )
    result = compile_sources([SourceFile("m.nf", source)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    app = result.app

    async def call() -> Any:
        async with nanoflow.Runtime(app) as rt:
            items = [rt.create("M.Item", {"N": n}) for n in ITEMS]
            return await rt.call("M.F", l=items, **VARIABLES)

    return asyncio.run(call())


def check_against_model(gen: Gen) -> None:
    try:
        with localcontext() as exact:
            exact.prec = 100_000  # + - * on Decimals are exact in the language
            expected = gen.value(dict(VARIABLES))
    except Overflow:
        with pytest.raises(nanoflow.FlowError, match=r"overflow|does not fit"):
            run(gen)
        return
    result = run(gen)
    assert result == expected
    assert isinstance(result, Decimal) == (gen.kind == "D")


@st.composite
def deep_expressions(draw: st.DrawFn) -> Gen:
    kind = draw(st.sampled_from(["I", "D", "B", "S"]))
    return expression(draw, kind, MAX_NESTING, True, False)


@st.composite
def long_chains(draw: st.DrawFn) -> Gen:
    kind = draw(st.sampled_from(["I", "D", "B", "S"]))
    length = draw(st.integers(60, 300))
    terms = [expression(draw, kind, 2, False, False) for _ in range(length)]
    if kind == "B":
        ops = draw(
            st.lists(st.sampled_from(["and", "or"]), min_size=length - 1, max_size=length - 1)
        )
        return logical(terms, ops)
    if kind == "S":
        return chain(terms, ["+"] * (length - 1))
    ops = draw(st.lists(st.sampled_from(["+", "-"]), min_size=length - 1, max_size=length - 1))
    return chain(terms, ops)


@settings(max_examples=20)
@given(deep_expressions())
def test_expressions_nested_to_the_limit_run(gen: Gen) -> None:
    check_against_model(gen)


@settings(max_examples=8)
@given(long_chains())
def test_long_chains_run(gen: Gen) -> None:
    check_against_model(gen)


def test_long_chain_in_a_while_loop_runs() -> None:
    """`while` bodies are scanned for `$currentIndex` (without recursion)."""
    chain = " + ".join(["$i"] * 3000)
    source = (
        "module M\nnanoflow F() returns Long {\n  declare $i: Integer = 0\n"
        "  declare $total: Long = 0\n  while $i < 3 {\n    set $i = $i + 1\n"
        f"    set $total = $total + {chain} + $currentIndex\n  }}\n  return $total\n}}\n"
    )
    result = compile_sources([SourceFile("m.nf", source)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    app = result.app

    async def call() -> Any:
        async with nanoflow.Runtime(app) as rt:
            return await rt.call("M.F")

    assert asyncio.run(call()) == sum(3000 * i + (i - 1) for i in (1, 2, 3))
