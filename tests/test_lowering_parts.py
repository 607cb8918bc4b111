"""The lowering is one class per part of the grammar; together they cover every rule."""

from __future__ import annotations

from nanoflow.lowering import PARTS, Lowering
from nanoflow.lowering.base import LoweringBase
from nanoflow.parser import _get_parser


def _callbacks(part: type) -> set[str]:
    return {name for name in vars(part) if not name.startswith("_")}


def test_no_callback_is_defined_in_two_parts() -> None:
    parts = [*PARTS, *{base for part in PARTS for base in part.__mro__[1:]} - {LoweringBase}]
    parts = [
        p for p in dict.fromkeys(parts) if issubclass(p, LoweringBase) and p is not LoweringBase
    ]
    seen: dict[str, str] = {}
    clashes = []
    for part in parts:
        for name in _callbacks(part):
            if name in seen:
                clashes.append(f"{name}: {seen[name]} and {part.__name__}")
            seen[name] = part.__name__
    assert not clashes


def test_every_rule_that_is_not_inlined_has_a_callback() -> None:
    missing = sorted(
        {
            str(rule.alias or rule.origin.name)
            for rule in _get_parser().rules
            if not str(rule.alias or rule.origin.name).startswith("_")
            and not rule.options.expand1
            and not hasattr(Lowering, str(rule.alias or rule.origin.name))
        }
    )
    assert not missing, f"grammar rules without a lowering callback: {missing}"
