"""Mendix 7's deprecated Float functions are Decimal functions with a warning (NF701), and
warnings are a severity of their own: rendered `warning[...]`, never counted as errors, printed
by `check`, `run` and `eval`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import nanoflow
from nanoflow.cli import app as cli
from nanoflow.compiler import compile_sources
from nanoflow.evaluate import prepare
from nanoflow.render import render_plain
from nanoflow.runtime.errors import FlowError
from nanoflow.source import SourceFile

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))

# (expression, value, the replacement the warning names)
CASES: list[tuple[str, Any, str]] = [
    ("toFloat(3)", Decimal(3), "the value itself"),
    ("toFloat(2.50)", Decimal("2.50"), "the value itself"),
    ("parseFloat('12.5')", Decimal("12.5"), "`parseDecimal`"),
    ("parseFloat('x', 7)", Decimal(7), "`parseDecimal`"),
    ("formatFloat(1234.5)", "1,234.5", "`formatDecimal`"),
    ("formatFloat(1234.56, '#,##0.0')", "1,234.6", "`formatDecimal`"),
    ("floatsEqual(0.51, 0.50, 1)", True, "`abs(a - b) < pow(10, -precision)`"),
    ("floatsEqual(0.51, 0.50, 2)", False, "`abs(a - b) < pow(10, -precision)`"),
    ("floatsEqual(1, 1, 0)", True, "`abs(a - b) < pow(10, -precision)`"),
    ("floatsEqual(100, 149, -2)", True, "`abs(a - b) < pow(10, -precision)`"),
    ("currenciesEqual(2.001, 2.002, 2)", True, "`abs(a - b) < pow(10, -precision)`"),
    ("currenciesEqual(2.01, 2.02, 2)", False, "`abs(a - b) < pow(10, -precision)`"),
]


def evaluate(expression: str) -> tuple[Any, list[str]]:
    prepared = prepare(expression, {})

    async def run() -> Any:
        async with nanoflow.Runtime(prepared.app) as rt:
            return await rt.call(prepared.flow)

    return asyncio.run(run()), [render_plain(w, None) for w in prepared.warnings]


@pytest.mark.parametrize(("expression", "value", "replacement"), CASES)
def test_deprecated_function_runs_as_its_decimal_form(
    expression: str, value: Any, replacement: str
) -> None:
    result, warnings = evaluate(expression)
    assert result == value and type(result) is type(value)
    assert len(warnings) == 1
    name = expression.split("(", 1)[0]
    assert warnings[0].startswith(f"warning[NF701]: `{name}` is a deprecated Mendix 7 function")
    assert f"help: use {replacement}" in warnings[0]


def test_deprecated_arguments_are_checked_like_the_replacement() -> None:
    source = "module M\nnanoflow F() returns Boolean {\n  return floatsEqual('a', 1, 2)\n}\n"
    result = compile_sources([SourceFile("m.nf", source)])
    assert sorted((d.code, d.severity) for d in result.diagnostics) == [
        ("NF302", "error"),
        ("NF701", "warning"),
    ]
    assert result.app is None
    with pytest.raises(FlowError, match="floatsEqual: the first number is empty"):
        asyncio.run(_call_with_empty())


async def _call_with_empty() -> Any:
    source = (
        "module M\nnanoflow F($x: Decimal) returns Boolean {\n  return floatsEqual($x, 1, 2)\n}\n"
    )
    result = compile_sources([SourceFile("m.nf", source)])
    assert result.app is not None and [d.code for d in result.app.warnings] == ["NF701"]
    async with nanoflow.Runtime(result.app) as rt:
        return await rt.call("M.F", x=None)


def test_warnings_do_not_stop_compiling_or_loading(tmp_path: Path) -> None:
    path = tmp_path / "m.nf"
    path.write_text("module M\nnanoflow F() returns Decimal {\n  return toFloat(1)\n}\n")
    loaded = nanoflow.load(path)
    assert [(d.code, d.severity, d.span.line) for d in loaded.warnings] == [("NF701", "warning", 3)]
    result = compile_sources([SourceFile("m.nf", path.read_text())])
    assert result.ok and result.errors == [] and len(result.warnings) == 1


def test_no_did_you_mean_to_a_deprecated_function() -> None:
    source = "module M\nnanoflow F() returns Decimal {\n  return toFloa(1)\n}\n"
    result = compile_sources([SourceFile("m.nf", source)])
    assert [d.code for d in result.diagnostics] == ["NF110"]
    assert "toFloat" not in result.diagnostics[0].help


WARNED = "module M\nnanoflow F() returns String {\n  return formatFloat(2.5)\n}\n"


def test_check_with_only_warnings_exits_0_and_prints_them(tmp_path: Path) -> None:
    (tmp_path / "m.nf").write_text(WARNED)
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning[NF701]: `formatFloat` is a deprecated" in result.output
    assert "help: use `formatDecimal`" in result.output
    assert "warning: 1 warning\n" in result.output
    assert "error" not in result.output
    assert "ok: 1 file, 1 module, 1 flow" in result.output


def test_check_counts_errors_apart_from_warnings(tmp_path: Path) -> None:
    broken = WARNED.replace("}\n", "}\nnanoflow G() { log info $nope }\n", 1)
    (tmp_path / "m.nf").write_text(broken)
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "error: 1 problem found (1 warning)" in result.output


def test_run_and_eval_print_warnings_on_stderr_and_run(tmp_path: Path) -> None:
    (tmp_path / "m.nf").write_text(WARNED)
    store = str(tmp_path / "device.sqlite")
    done = subprocess.run(
        [NANOFLOW, "run", str(tmp_path), "F", "--json", "--store", store],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": "2.5"}
    assert "warning[NF701]" in done.stderr
    done = subprocess.run(
        [NANOFLOW, "eval", "toFloat(4) : 8", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "0.5"
    assert "warning[NF701]: `toFloat`" in done.stderr
    assert "Traceback" not in done.stderr
