"""One entry per statement kind (`nanoflow.statements`), shared by the checker and the generator."""

from __future__ import annotations

from typing import get_args

import pytest

from nanoflow import ir
from nanoflow.check_flows import FlowChecker
from nanoflow.parser import parse_source
from nanoflow.runtime.flowgen import FlowGen
from nanoflow.source import SourceFile
from nanoflow.statements import ACTIVITIES, RunsOn, child_blocks, handlers


def _statement_classes() -> set[type]:
    found: set[type] = set()
    pending = list(ir.StmtBase.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_ir_statement_class_has_one_entry() -> None:
    assert set(ACTIVITIES) == _statement_classes() == set(get_args(ir.Stmt))
    for node, activity in ACTIVITIES.items():
        assert activity.node is node
        assert activity.name and activity.name == activity.name.strip().lower()


def test_checker_and_generator_have_a_method_for_every_entry() -> None:
    assert set(FlowChecker.checks) == set(ACTIVITIES)
    assert set(FlowGen.generators) == set(ACTIVITIES)
    for node in ACTIVITIES:
        assert FlowChecker.checks[node] is getattr(FlowChecker, f"check_{node.__name__}")
        assert FlowGen.generators[node] is getattr(FlowGen, f"_{node.__name__}")


def test_a_missing_method_fails_with_the_kinds_it_lacks() -> None:
    class Partial:
        def check_Declare(self) -> None:  # pragma: no cover - never called
            pass

    with pytest.raises(TypeError, match=r"Partial has no check_<Statement> method for: Set, "):
        handlers(Partial, "check_")


def test_where_activities_run() -> None:
    by_place = {
        place: sorted(a.name for a in ACTIVITIES.values() if a.runs_on is place) for place in RunsOn
    }
    assert by_place[RunsOn.CLIENT] == [
        "close page",
        "show message",
        "show page",
        "validation feedback",
    ]
    assert by_place[RunsOn.DEVICE_SYNC] == [
        "cancel synchronization",
        "clear from device",
        "synchronize",
        "synchronize all",
        "synchronize unsynchronized",
    ]
    assert by_place[RunsOn.SERVER] == ["synchronize to device"]


def test_child_blocks_finds_every_nested_block() -> None:
    text = """module M
entity E { }
nanoflow F($e: E, $l: List of E, $b: Boolean) {
  if $b { log info 'if' } else if not($b) { log info 'elif' } else { log info 'else' }
  switch $b { case true { log info 't' } else { log info 'f' } }
  switch type $e { case E { log info 'E' } case empty { log info 'none' } else { log info 'x' } }
  for $x in $l { log info 'for' }
  while $b { log info 'while' }
  commit $e on error { log info 'handler' }
}
"""
    tree, problems = parse_source(SourceFile("m.nf", text))
    assert tree is not None, problems
    flow = next(d for d in tree.declarations if isinstance(d, ir.Flow))

    def logged(stmt: ir.Stmt) -> list[str]:
        out = []
        for block in child_blocks(stmt):
            for inner in block.statements:
                assert isinstance(inner, ir.Log) and isinstance(inner.text, ir.StringLit)
                out.append(inner.text.value)
        return sorted(out)

    found = [logged(stmt) for stmt in flow.body.statements]
    assert found == [
        ["elif", "else", "if"],
        ["f", "t"],
        ["E", "none", "x"],
        ["for"],
        ["while"],
        ["handler"],
    ]
