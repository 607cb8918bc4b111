"""Iteration functions nested in one another (LANGUAGE.md 8.2): each call has its own
`$currentObject` and `$currentResult`, an inner call shadows them only inside its own
expression, and `$currentIndex` stays the enclosing loop's. Expected values are computed
independently in plain Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import nanoflow
from nanoflow import ir
from nanoflow import types as t
from nanoflow.compiler import compile_sources
from nanoflow.source import SourceFile

NUMBERS = [3, 1, 4, 2]
KINDS = ["filterWhere", "findWhere", "any", "all", "reduce"]

# A Python model of one evaluation: `r` is the enclosing reduce's `$currentResult` (or None).
Model = Callable[[list[int], int | None], Any]


@dataclass(frozen=True)
class Inner:
    text: str
    model: Model


def inner(kind: str, in_reduce: bool) -> Inner:
    """An inner call; its threshold is the outer `$currentResult` when there is one."""
    limit = "$currentResult" if in_reduce else "1"

    def bound(r: int | None) -> int:
        return r if r is not None else 1

    if kind == "filterWhere":
        return Inner(
            f"count(filterWhere($l, $currentObject/N > {limit}))",
            lambda ns, r: sum(1 for n in ns if n > bound(r)),
        )
    if kind == "findWhere":
        return Inner(
            f"findWhere($l, $currentObject/N > {limit})",
            lambda ns, r: next((i for i, n in enumerate(ns) if n > bound(r)), None),
        )
    if kind in ("any", "all"):
        test = any if kind == "any" else all
        return Inner(
            f"{kind}($l, $currentObject/N > {limit})",
            lambda ns, r: test(n > bound(r) for n in ns),
        )
    # the initial value is read outside the inner call: the outer `$currentResult`
    return Inner(
        f"reduce($l, {limit}, $currentResult * 2 + $currentObject/N)",
        lambda ns, r: _fold(ns, bound(r), lambda acc, n: acc * 2 + n),
    )


def _fold(ns: list[int], start: int, step: Callable[[int, int], int]) -> int:
    acc = start
    for n in ns:
        acc = step(acc, n)
    return acc


def as_integer(kind: str, text: str) -> str:
    """Mendix text turning an inner call's value into an Integer (read before the outer
    `$currentObject`, which must still be the outer one afterwards)."""
    if kind in ("filterWhere", "reduce"):
        return text
    if kind == "findWhere":
        return f"(if {text} = $currentObject then 1 else 0)"
    return f"(if {text} then 1 else 0)"


def integer_model(kind: str, model: Model, ns: list[int], outer: int, r: int | None) -> int:
    value = model(ns, r)
    if kind == "findWhere":
        return 1 if value == outer else 0
    if kind in ("any", "all"):
        return 1 if value else 0
    return int(value)


def case(outer: str, inner_kind: str) -> tuple[str, str, Callable[[list[int]], Any]]:
    """(return type, expression, expected value) of `outer` with `inner_kind` in its body."""
    part = inner(inner_kind, outer == "reduce")
    value = as_integer(inner_kind, part.text)

    def term(ns: list[int], index: int, r: int | None) -> int:
        return integer_model(inner_kind, part.model, ns, index, r) + ns[index]

    condition = f"{value} + $currentObject/N > 4"
    if outer == "filterWhere":
        return (
            "Integer",
            f"count(filterWhere($l, {condition}))",
            lambda ns: sum(1 for i in range(len(ns)) if term(ns, i, None) > 4),
        )
    if outer == "findWhere":
        return (
            "Integer",
            f"reduce($l, 0, if $currentObject = findWhere($l, {condition}) then $currentObject/N "
            "else $currentResult)",
            lambda ns: next((ns[i] for i in range(len(ns)) if term(ns, i, None) > 4), 0),
        )
    if outer in ("any", "all"):
        test = any if outer == "any" else all
        return (
            "Boolean",
            f"{outer}($l, {condition})",
            lambda ns: test(term(ns, i, None) > 4 for i in range(len(ns))),
        )

    def fold(ns: list[int]) -> int:
        acc = 0
        for i in range(len(ns)):
            acc = term(ns, i, acc) + acc
        return acc

    return "Integer", f"reduce($l, 0, {value} + $currentObject/N + $currentResult)", fold


CASES = [(outer, inner_kind) for outer in KINDS for inner_kind in KINDS]

EXTRA = {
    # the issue's example: 4 + 4 + 4 + 4 (the bug gave 8)
    "issue": ("Integer", "reduce($l, 0, reduce($l, 0, $currentResult + 1) + $currentResult)", 16),
    # three levels, each reading its own `$currentResult` after the inner one ran
    "three_reduces": (
        "Integer",
        "reduce($l, 1, reduce($l, 0, reduce($l, 0, $currentResult + 1) + $currentResult) "
        "+ $currentResult)",
        1 + 4 * 16,
    ),
    # an inner call on the list an outer call produced (its iterable binds temporaries)
    "iterable_of_iterable": (
        "Integer",
        "count(filterWhere(filterWhere($l, $currentObject/N + 1 > 2), $currentObject/N * 2 < 8))",
        sum(1 for n in NUMBERS if n + 1 > 2 and n * 2 < 8),
    ),
    "range_iterable": (
        "Integer",
        "reduce(range($l, 0, count($l) - 1), 0, $currentResult + $currentObject/N)",
        sum(NUMBERS[:-1]),
    ),
    "reduce_over_filter_with_outer_result": (
        "Integer",
        "reduce($l, 0, $currentResult + reduce(filterWhere($l, $currentObject/N > $currentResult"
        "), $currentResult, $currentResult + $currentObject/N))",
        _fold(NUMBERS, 0, lambda acc, _n: acc + acc + sum(m for m in NUMBERS if m > acc)),
    ),
}


def _source() -> str:
    flows = []
    for outer, inner_kind in CASES:
        returns, text, _ = case(outer, inner_kind)
        flows.append(
            f"nanoflow C_{outer}_{inner_kind}($l: List of Item) returns {returns} {{\n"
            f"  return {text}\n}}"
        )
    for name, (returns, text, _) in EXTRA.items():
        flows.append(
            f"nanoflow X_{name}($l: List of Item) returns {returns} {{\n  return {text}\n}}"
        )
    flows.append(
        """nanoflow Indexed($l: List of Item) returns Integer {
  declare $total: Integer = 0
  for $x in $l {
    for $y in $l {
      set $total = $total + reduce($l, $currentIndex, $currentResult + $currentIndex)
        + count(filterWhere($l, $currentObject/N > $currentIndex))
    }
    set $total = $total + reduce($l, 0, $currentResult + $currentIndex * 100)
  }
  return $total
}"""
    )
    return "module T\nentity Item { N: Integer }\n\n" + "\n\n".join(flows) + "\n"


@pytest.fixture(scope="module")
def app() -> nanoflow.App:
    result = compile_sources([SourceFile("nested.nf", _source())])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def _call(app: nanoflow.App, flow: str) -> Any:
    async with nanoflow.Runtime(app) as rt:
        items = [rt.create("T.Item", {"N": n}) for n in NUMBERS]
        return await rt.call(flow, l=items)


@pytest.mark.parametrize(("outer", "inner_kind"), CASES, ids=[f"{o}-{i}" for o, i in CASES])
async def test_nested_pair(app: nanoflow.App, outer: str, inner_kind: str) -> None:
    _, _, expected = case(outer, inner_kind)
    assert await _call(app, f"T.C_{outer}_{inner_kind}") == expected(NUMBERS)


@pytest.mark.parametrize("name", list(EXTRA))
async def test_nested_extra(app: nanoflow.App, name: str) -> None:
    assert await _call(app, f"T.X_{name}") == EXTRA[name][2]


async def test_current_index_is_the_innermost_loop(app: nanoflow.App) -> None:
    count = len(NUMBERS)
    expected = 0
    for _outer in range(count):
        for j in range(count):
            expected += j + j * count + sum(1 for n in NUMBERS if n > j)
        expected += sum(_outer * 100 for _ in NUMBERS)
    assert await _call(app, "T.Indexed") == expected


def test_checker_types_current_result_by_the_innermost_reduce() -> None:
    source = (
        "module T\nentity Item { N: Integer  Name: String }\n"
        "nanoflow F($l: List of Item) returns String {\n"
        "  return reduce($l, '', $currentResult + toString(reduce($l, 0, $currentResult + "
        "$currentObject/N)) + $currentObject/Name)\n}\n"
    )
    result = compile_sources([SourceFile("types.nf", source)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    flow = result.app.names.callables["T.F"].decl
    assert isinstance(flow, ir.Flow)
    ret = flow.body.statements[0]
    assert isinstance(ret, ir.Return) and ret.value is not None
    types = result.app.expression_types
    found: dict[str, list[t.Type]] = {}

    def visit(node: object) -> None:
        if isinstance(node, ir.Variable) and node.name == "currentResult":
            found.setdefault("r", []).append(types[id(node)])
        elif isinstance(node, ir.Node):
            for value in ir.values(node):
                visit(value)
        elif isinstance(node, tuple):
            for value in node:
                visit(value)

    visit(ret.value)
    # the outer `$currentResult` is a String, the inner one an Integer
    assert found["r"] == [t.STRING, t.INTEGER]


def test_checker_rejects_outer_object_type_inside_inner_call() -> None:
    """Inside the inner call `$currentObject` is the inner list's member: an Order's member
    is unknown on a Line."""
    source = (
        "module T\nentity Order { Code: String }\nentity Line { Qty: Integer }\n"
        "nanoflow F($orders: List of Order, $lines: List of Line) returns Boolean {\n"
        "  return any($orders, any($lines, $currentObject/Code = 'x'))\n}\n"
    )
    result = compile_sources([SourceFile("shadow.nf", source)])
    assert [d.code for d in result.diagnostics] == ["NF102"]
