"""NF008: an expression may nest `MAX_NESTING` levels; deeper is a diagnostic with the limit,
never a RecursionError, in `check`, `run` and `eval`. Operator chains are not nesting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nanoflow.check_expressions import MAX_NESTING
from nanoflow.compiler import compile_sources
from nanoflow.diagnostics import Diagnostic
from nanoflow.source import SourceFile

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))


def diagnostics(expression: str, returns: str = "Boolean") -> list[Diagnostic]:
    source = (
        "module M\nentity Item { N: Integer  Next: Integer }\n"
        "association Item_Item from Item to Item\n"
        f"nanoflow F($b: Boolean, $x: Integer, $i: Item) returns {returns} {{\n"
        f"  return {expression}\n}}\n"
    )
    return compile_sources([SourceFile("m.nf", source)]).diagnostics


def nested(opening: str, depth: int, inner: str = "$b") -> str:
    return opening * depth + inner + ")" * depth


@pytest.mark.parametrize(
    ("opening", "inner", "returns"),
    [
        ("not(", "$b", "Boolean"),
        ("abs(", "$x", "Integer"),
        ("-(", "$x", "Integer"),
        ("(1 + ", "$x", "Integer"),
        ("(if $b then 1 else ", "$x", "Integer"),
        ("toString(", "$x", "String"),
    ],
)
def test_limit_is_exact(opening: str, inner: str, returns: str) -> None:
    assert diagnostics(nested(opening, MAX_NESTING, inner), returns) == []
    found = diagnostics(nested(opening, MAX_NESTING + 1, inner), returns)
    assert [(d.code, d.label) for d in found] == [("NF008", f"level {MAX_NESTING + 1}")]
    assert f"at most {MAX_NESTING} levels" in found[0].message


def test_extreme_nesting_is_one_diagnostic_not_a_recursion_error() -> None:
    found = diagnostics(nested("not(", 5000))
    assert [d.code for d in found] == ["NF008"]
    # the diagnostic points at the first part that is too deep
    assert found[0].span.column == len("  return ") + 1 + len("not(") * (MAX_NESTING + 1)


def test_member_path_steps_are_levels() -> None:
    path = "$i" + "/Item_Item" * 3 + "/N"
    assert diagnostics(nested("abs(", MAX_NESTING - 4, path), "Integer") == []
    found = diagnostics(nested("abs(", MAX_NESTING - 3, path), "Integer")
    assert [d.code for d in found] == ["NF008"]


@pytest.mark.parametrize("op", ["+", "*", "-", "and", "or"])
def test_chains_do_not_nest(op: str) -> None:
    operand = "$b" if op in ("and", "or") else "$x"
    chain = f" {op} ".join([operand] * 5000)
    assert diagnostics(chain, "Boolean" if operand == "$b" else "Long") == []


def test_eval_reports_the_limit_without_a_traceback() -> None:
    done = subprocess.run(
        [NANOFLOW, "eval", nested("not(", 1000, "true")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "error[NF008]: expression nested too deeply" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_eval_runs_long_chains() -> None:
    chain = " + ".join(["1"] * 3000)
    done = subprocess.run([NANOFLOW, "eval", chain], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "3000")
    done = subprocess.run(
        [NANOFLOW, "eval", " + ".join(["'ab'"] * 1000) + " = ''"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "false")
