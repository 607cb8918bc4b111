"""One entry per list function (`nanoflow.list_functions`), shared by the checker, the code
generator and the runtime library."""

from __future__ import annotations

import pytest

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import LIST_CHECKS
from nanoflow.compiler import compile_sources
from nanoflow.functions import FUNCTIONS, STRING_OVERLOADS, list_function_of
from nanoflow.list_functions import LIST_FUNCTIONS, Shape
from nanoflow.runtime import functions as library
from nanoflow.runtime.functions import lists
from nanoflow.source import SourceFile

APP = """module Shop
entity Order {
  Total: Decimal
  Qty: Integer
  Name: String
  Placed: DateTime
}
nanoflow F($orders: List of Order, $order: Order) {
%s
}
"""

RESULTS = {
    "count($orders)": t.INTEGER,
    "length($orders)": t.INTEGER,
    "isEmpty($orders)": t.BOOLEAN,
    "head($orders)": t.ObjectType("Shop.Order"),
    "tail($orders)": t.ListType("Shop.Order"),
    "sum($orders, Qty)": t.LONG,
    "sum($orders, Total)": t.DECIMAL,
    "average($orders, Qty)": t.DECIMAL,
    "minimum($orders, Placed)": t.DATETIME,
    "maximum($orders, Qty)": t.INTEGER,
    "find($orders, Name, 'x')": t.ObjectType("Shop.Order"),
    "filter($orders, Name, 'x')": t.ListType("Shop.Order"),
    "findWhere($orders, $currentObject/Qty > 1)": t.ObjectType("Shop.Order"),
    "filterWhere($orders, $currentObject/Qty > 1)": t.ListType("Shop.Order"),
    "all($orders, $currentObject/Qty > 1)": t.BOOLEAN,
    "any($orders, $currentObject/Qty > 1)": t.BOOLEAN,
    "sort($orders, Name desc)": t.ListType("Shop.Order"),
    "union($orders, $order)": t.ListType("Shop.Order"),
    "intersect($orders, $orders)": t.ListType("Shop.Order"),
    "subtract($orders, $order)": t.ListType("Shop.Order"),
    "contains($orders, $order)": t.BOOLEAN,
    "equals($orders, $orders)": t.BOOLEAN,
    "range($orders, 0, 2)": t.ListType("Shop.Order"),
    "reduce($orders, 0, $currentResult + $currentObject/Total)": t.DECIMAL,
}


def test_every_list_function_has_a_result_case() -> None:
    assert {text.split("(")[0] for text in RESULTS} == set(LIST_FUNCTIONS)


def test_result_types_follow_the_entries() -> None:
    body = "\n".join(f"  declare $r{i} = {text}" for i, text in enumerate(RESULTS))
    result = compile_sources([SourceFile("shop.nf", APP % body)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    flow = next(d for d in result.app.files[0].declarations if isinstance(d, ir.Flow))
    for stmt, (text, expected) in zip(flow.body.statements, RESULTS.items(), strict=True):
        assert isinstance(stmt, ir.Declare) and stmt.value is not None
        assert result.app.expression_types[id(stmt.value)] == expected, text


def test_the_runtime_library_has_the_implementation_each_entry_names() -> None:
    assert set(library.LIST_FUNCTIONS) == set(LIST_FUNCTIONS)
    for name, entry in LIST_FUNCTIONS.items():
        assert library.LIST_FUNCTIONS[name] is getattr(lists, entry.implementation)
        assert entry.name == name


def test_every_shape_is_checked_and_used() -> None:
    assert set(LIST_CHECKS) == set(Shape)
    assert {entry.shape for entry in LIST_FUNCTIONS.values()} == set(Shape)


@pytest.mark.parametrize(
    ("name", "first", "is_list_function"),
    [
        ("find", t.ListType("Shop.Order"), True),
        ("find", t.STRING, False),
        ("contains", t.ERROR, False),
        ("length", None, False),
        ("count", t.STRING, True),
        ("count", None, True),
        ("toUpperCase", t.STRING, False),
    ],
)
def test_list_function_of_tells_string_functions_apart(
    name: str, first: t.Type | None, is_list_function: bool
) -> None:
    found = list_function_of(name, first)
    assert (found is not None) == is_list_function
    if found is not None:
        assert found is LIST_FUNCTIONS[name]


def test_names_overlap_only_where_a_string_function_shares_the_name() -> None:
    assert set(LIST_FUNCTIONS) & set(FUNCTIONS) == set()
    assert set(STRING_OVERLOADS) <= set(LIST_FUNCTIONS)
