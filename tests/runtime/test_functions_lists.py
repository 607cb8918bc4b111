"""List functions: sorting, set operations, aggregates and removed objects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nanoflow.runtime.functions import LIST_FUNCTIONS, EvalContext
from nanoflow.runtime.values import EnumValue, MxObject

CTX = EvalContext()


def item(**values: Any) -> MxObject:
    return MxObject("Test.Item", values=values)


def call(name: str, *args: Any) -> Any:
    return LIST_FUNCTIONS[name](CTX, *args)


def names(objects: list[MxObject]) -> list[Any]:
    return [o["Name"] for o in objects]


def test_sort_strings_case_insensitively_with_empty_first() -> None:
    objects = [item(Name="b"), item(Name=None), item(Name="A"), item(Name="a"), item(Name="C")]
    assert names(call("sort", objects, [("Name", False)])) == [None, "A", "a", "b", "C"]
    assert names(call("sort", objects, [("Name", True)])) == ["C", "b", "A", "a", None]
    assert names(call("sort", objects, "Name")) == [None, "A", "a", "b", "C"]


def test_sort_by_several_members_is_stable() -> None:
    rows = [
        item(Name="x", Qty=2, Price=Decimal("1")),
        item(Name="y", Qty=1, Price=Decimal("2")),
        item(Name="z", Qty=2, Price=Decimal("0.5")),
        item(Name="w", Qty=1, Price=Decimal("2")),
    ]
    ordered = call("sort", rows, [("Qty", True), ("Price", False)])
    assert names(ordered) == ["z", "x", "y", "w"]
    assert names(rows) == ["x", "y", "z", "w"]  # the input list is not changed


def test_sort_enumerations_dates_and_booleans() -> None:
    status = [item(Name=k, S=EnumValue.of("M.S", k)) for k in ("b", "a")]
    assert names(call("sort", status, [("S", False)])) == ["a", "b"]
    flags = [item(Name=1, F=True), item(Name=2, F=False)]
    assert names(call("sort", flags, [("F", False)])) == [2, 1]


def test_union_has_no_duplicates_by_identity() -> None:
    a, b = item(Name="a"), item(Name="b")
    twin = MxObject("Test.Item", id=a.id, values={"Name": "a"})  # the same id: the same object
    assert call("union", [a, b, a], [twin, b]) == [a, b]


def test_removed_objects_are_skipped_everywhere() -> None:
    keep = item(Name="keep", Qty=1, Price=Decimal("1"))
    gone = item(Name="gone", Qty=5, Price=Decimal("5"))
    gone.removed = True
    lst = [gone, keep]
    assert call("count", lst) == call("length", lst) == 1
    assert call("sum", lst, "Qty") == 1
    assert call("average", lst, "Price") == Decimal(1)
    assert call("minimum", lst, "Qty") == call("maximum", lst, "Qty") == 1
    assert call("head", lst) is keep
    assert call("tail", [keep, gone]) == []
    assert call("find", lst, "Name", "gone") is None
    assert call("filter", lst, "Qty", 5) == []
    assert call("findWhere", lst, lambda o: True) is keep
    assert call("filterWhere", lst, lambda o: True) == [keep]
    assert call("sort", lst, "Name") == [keep]
    assert call("union", lst, [gone]) == [keep]
    assert call("intersect", lst, lst) == [keep]
    assert call("subtract", lst, []) == [keep]
    assert call("contains", lst, gone) is False
    assert call("equals", lst, [keep]) is True
    assert call("isEmpty", [gone]) is True
    assert call("range", lst, 0, 0) == [keep]
    assert call("all", lst, lambda o: o["Name"] == "keep") is True
    assert call("any", lst, lambda o: o["Name"] == "gone") is False
    assert call("reduce", lst, 0, lambda acc, o: acc + o["Qty"]) == 1


def test_sum_and_average_types() -> None:
    ints = [item(Qty=2**62), item(Qty=2**62 - 1)]
    assert call("sum", ints, "Qty") == 2**63 - 1
    with pytest.raises(Exception, match="does not fit a Long"):
        call("sum", [*ints, item(Qty=1)], "Qty")
    decimals = [item(P=Decimal("0.1")) for _ in range(3)]
    total = call("sum", decimals, "P")
    assert type(total) is Decimal and total == Decimal("0.3")
    assert call("average", [item(P=Decimal(1)), item(P=Decimal(2)), item(P=0)], "P") == 1
    huge = [item(P=Decimal("1" + "0" * 40 + ".5"))]
    assert call("sum", huge + huge, "P") == Decimal("2" + "0" * 39 + "1")  # exact, not 28 digits


def test_find_compares_as_nanoflow_equality() -> None:
    status = EnumValue.of("Shop.Status", "Placed")
    target = item(Name="t")
    rows = [
        item(Name="enum", Status=status),
        item(Name="ref", Shop_Order_Customer=target.id),
        item(Name="flag", F=True, N=1),
    ]
    assert call("find", rows, "Status", "Placed")["Name"] == "enum"
    assert call("find", rows, "Status", status)["Name"] == "enum"
    assert call("find", rows, "Shop_Order_Customer", target)["Name"] == "ref"
    assert call("find", rows, "F", 1) is None  # a Boolean never equals a number
    assert call("find", rows, "N", Decimal("1.00"))["Name"] == "flag"


def test_contains_a_list_and_equals_ignores_order() -> None:
    a, b, c = item(), item(), item()
    assert call("contains", [a, b, c], [c, a]) is True
    assert call("contains", [a, b], [c]) is False
    assert call("equals", [a, b], [b, a]) is True
    assert call("intersect", [c, b, a], [a, c]) == [c, a]
    assert call("subtract", [c, b, a], [a]) == [c, b]
