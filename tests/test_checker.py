"""Targeted checks of the checker's semantics (the broken corpus covers single errors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoflow.compiler import compile_sources
from nanoflow.source import SourceFile

VALID = Path(__file__).parent / "cases" / "valid"

BASE = """module M
enumeration Color { Red 'Red' Green 'Green' }
entity Item { Name: String Qty: Integer Price: Decimal Hue: Color When: DateTime }
entity Box { Label: String }
entity Online { X: Integer }
association Item_Box from Item to Box
offline { Item: all Box: all }
"""


def codes(body: str, base: str = BASE) -> list[tuple[str, int]]:
    """(code, line) of every diagnostic of BASE + body; lines count from the body's first line."""
    offset = base.count("\n")
    result = compile_sources([SourceFile("t.nf", base + body)])
    return [(d.code, d.span.line - offset) for d in result.diagnostics]


@pytest.mark.parametrize("path", sorted(VALID.glob("*.nf")), ids=lambda p: p.name)
def test_valid_programs_compile_clean(path: Path) -> None:
    result = compile_sources([SourceFile.read(path)])
    assert [str(d) for d in result.diagnostics] == []
    assert result.app is not None


def test_variable_declared_on_both_branches_is_usable_after() -> None:
    body = """nanoflow F($i: Item) returns Integer {
  if $i/Qty > 1 { declare $a: Integer = 1 } else { declare $b: Integer = 2 }
  return 0
}
nanoflow G($i: Item) returns Integer {
  declare $a: Integer = 0
  if $i/Qty > 1 { set $a = 1 } else { return 2 }
  return $a
}"""
    assert codes(body) == []


def test_variable_declared_on_one_branch_is_not_usable_after() -> None:
    body = """nanoflow F($i: Item) returns Integer {
  if $i/Qty > 1 { declare $a: Integer = 1 }
  return $a
}"""
    assert codes(body) == [("NF203", 3)]


def test_variable_declared_in_a_loop_is_not_usable_after_it() -> None:
    body = """nanoflow F($l: List of Item) {
  for $i in $l { declare $n: Integer = 1 }
  log info toString($n)
  log info $i/Name
}"""
    assert codes(body) == [("NF203", 3), ("NF203", 4)]


def test_output_of_a_handled_activity_is_declared_after_it() -> None:
    body = """nanoflow F() returns Boolean {
  $n = call microflow Count() on error { log error $latestError }
  return $n > 0
}
microflow Count() returns Integer { return 1 }"""
    assert codes(body) == []


def test_latest_error_only_in_handlers_and_current_index_only_in_loops() -> None:
    body = """nanoflow F($l: List of Item) {
  log info $latestError
  log info toString($currentIndex)
  for $i in $l { log info toString($currentIndex) }
  commit $l on error { log info $latestError }
}"""
    assert codes(body) == [("NF201", 2), ("NF201", 3)]


def test_return_analysis_understands_exhaustive_switches_and_raise() -> None:
    body = """nanoflow A($i: Item) returns Integer {
  switch $i/Hue { case Red { return 1 } case Green { return 2 } case empty { raise 'no' } }
}
nanoflow B($i: Item) returns Integer {
  switch $i/Hue { case Red { return 1 } else { return 2 } }
}
nanoflow C($i: Item) returns Integer {
  switch $i/Hue { case Red { return 1 } case Green { return 2 } else { log info 'x' } }
}
nanoflow D($i: Item) returns Integer {
  for $x in retrieveAll() { return 1 }
}"""
    # A and B return on every path; C's `else` and D's empty loop reach the end
    assert codes(body) == [("NF309", 9), ("NF110", 11), ("NF309", 12)]


def test_enumeration_switch_must_cover_every_value_and_empty() -> None:
    body = """nanoflow F($i: Item) {
  switch $i/Hue { case Red { } case Green { } }
  switch $i/Hue { case Red, Green, empty { } }
  switch $i/Hue { case Red { } case Blue { } else { } }
}"""
    assert codes(body) == [("NF310", 2), ("NF105", 4)]


def test_bare_enumeration_values_resolve_from_the_expected_type() -> None:
    body = """nanoflow F($i: Item) returns Boolean {
  change $i (Hue = Red)
  $j = create Item (Hue = M.Color.Green)
  return $i/Hue = Color.Red or $j/Hue = 'Green'
}"""
    assert codes(body) == []


def test_arithmetic_types() -> None:
    body = """nanoflow F($i: Item) {
  declare $a: Integer = $i/Qty * 2
  declare $b: Decimal = $i/Qty : 2
  declare $c: Integer = $i/Qty : 2
  declare $d: String = $i/Name + $i/Qty + $i/Price
  declare $e: DateTime = $i/When + 1
  declare $f: Boolean = 1 < 'a'
}"""
    assert codes(body) == [("NF304", 4), ("NF301", 6), ("NF301", 7)]


def test_expressions_follow_associations_from_the_owner_only() -> None:
    body = """nanoflow F($i: Item, $b: Box) {
  log info $i/Item_Box/Box/Label
  log info $i/M.Item_Box/Label
  $items = retrieve $b/Item_Box
  declare $x = $b/Item_Box
}"""
    assert codes(body) == [("NF102", 5)]


def test_nanoflow_data_activities_need_the_offline_profile() -> None:
    body = """nanoflow F() {
  $o = create Online
  $l = retrieve Online
  commit $o
}
microflow G() {
  $o = create Online
  commit $o
}"""
    assert codes(body) == [("NF504", 2), ("NF504", 3), ("NF504", 4)]


def test_xpath_is_typed_against_the_entity() -> None:
    body = """nanoflow F() {
  $a = retrieve Item where [Qty = 'x']
  $b = retrieve Item where [Nme = 'x']
  $c = retrieve Item where [Hue = 'Red' and Item_Box/Box/Label = 'l'][Name]
  $d = retrieve Item where [contains(Qty, 'x')]
}"""
    assert codes(body) == [("NF313", 2), ("NF102", 3), ("NF313", 4), ("NF313", 5)]


def test_names_of_other_modules_must_be_qualified() -> None:
    other = "module N\nentity Thing { A: Integer }\n"
    result = compile_sources(
        [
            SourceFile("a.nf", BASE + "nanoflow F($t: Thing, $u: N.Thing) { }"),
            SourceFile("b.nf", other),
        ]
    )
    found = [(d.code, d.help) for d in result.diagnostics]
    assert found == [("NF104", "names of other modules are qualified: did you mean `N.Thing`?")]


def test_every_problem_of_every_file_is_reported_in_one_run() -> None:
    result = compile_sources(
        [
            SourceFile("a.nf", "module A\nnanoflow F() { log info $x }"),
            SourceFile("b.nf", "module B\nnanoflow G() { log info $y }"),
            SourceFile("c.nf", "module C\nnanoflow H() { log info }"),
            SourceFile("d.nf", "module D\nnanoflow H() { log info 1 + }"),
        ]
    )
    assert [(d.span.file, d.code) for d in result.diagnostics] == [
        ("a.nf", "NF201"),
        ("b.nf", "NF201"),
        ("c.nf", "NF001"),
        ("d.nf", "NF001"),
    ]


def test_system_module_and_alias() -> None:
    body = """microflow F($f: System.SynchronizationError) returns String {
  $u = retrieve first System.User where [Name = 'x']
  $all = retrieve System.SynchronizationFailure where [System.owner = '[%CurrentUser%]']
  return $f/Reason + $f/ObjectId + $u/Name
}"""
    assert codes(body) == []
