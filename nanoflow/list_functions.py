"""The list functions of LANGUAGE.md 8.2: one entry each, shared by the checker, the code
generator and the runtime's function library.

An entry gives the function's `shape` (how its arguments look, which picks how the checker checks
them and how the generator compiles them), its `result` and the name of its `implementation` in
`nanoflow.runtime.functions.lists` (looked up when the runtime library is imported, so a missing
one fails at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


class Shape(Enum):
    """How a list function's arguments look."""

    WHOLE = "whole"  # the list alone: `count($l)`
    AGGREGATE = "aggregate"  # an attribute: `sum($l, Total)`
    SEARCH = "search"  # an attribute or reference and a value: `find($l, Name, 'x')`
    CONDITION = "condition"  # a Boolean over `$currentObject`: `filterWhere($l, ...)`
    SORT = "sort"  # attributes with `asc`/`desc`: `sort($l, Name desc)`
    SET = "set"  # another list or object: `union($l, $other)`
    RANGE = "range"  # an offset and an amount: `range($l, 0, 10)`
    REDUCE = "reduce"  # an initial value and an expression: `reduce($l, 0, ...)`


Result = Literal["object", "list", "Integer", "Boolean", "Decimal", "attribute", "sum", "join"]
"""What a call gives: an object or a list of the list's entity, a fixed type, the attribute's
type, a sum (Long for integral attributes), or the common type of `reduce`'s initial value and
expression."""


@dataclass(frozen=True, slots=True)
class ListFunction:
    """One list function: its name, shape, result and runtime implementation."""

    name: str
    shape: Shape
    result: Result
    implementation: str


_ALL = (
    ListFunction("count", Shape.WHOLE, "Integer", "count"),
    ListFunction("length", Shape.WHOLE, "Integer", "length"),
    ListFunction("isEmpty", Shape.WHOLE, "Boolean", "is_empty"),
    ListFunction("head", Shape.WHOLE, "object", "head"),
    ListFunction("tail", Shape.WHOLE, "list", "tail"),
    ListFunction("sum", Shape.AGGREGATE, "sum", "sum_"),
    ListFunction("average", Shape.AGGREGATE, "Decimal", "average"),
    ListFunction("minimum", Shape.AGGREGATE, "attribute", "minimum"),
    ListFunction("maximum", Shape.AGGREGATE, "attribute", "maximum"),
    ListFunction("find", Shape.SEARCH, "object", "find"),
    ListFunction("filter", Shape.SEARCH, "list", "filter_"),
    ListFunction("findWhere", Shape.CONDITION, "object", "find_where"),
    ListFunction("filterWhere", Shape.CONDITION, "list", "filter_where"),
    ListFunction("all", Shape.CONDITION, "Boolean", "all_"),
    ListFunction("any", Shape.CONDITION, "Boolean", "any_"),
    ListFunction("sort", Shape.SORT, "list", "sort"),
    ListFunction("union", Shape.SET, "list", "union"),
    ListFunction("intersect", Shape.SET, "list", "intersect"),
    ListFunction("subtract", Shape.SET, "list", "subtract"),
    ListFunction("contains", Shape.SET, "Boolean", "contains"),
    ListFunction("equals", Shape.SET, "Boolean", "equals"),
    ListFunction("range", Shape.RANGE, "list", "range_"),
    ListFunction("reduce", Shape.REDUCE, "join", "reduce"),
)

LIST_FUNCTIONS: dict[str, ListFunction] = {fn.name: fn for fn in _ALL}
"""Every list function, by name."""
