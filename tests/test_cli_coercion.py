"""The CLI's plain coercion gives every parameter the value (or the error) Typer's pydantic
adapters give, and the command line then never imports pydantic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer._click.exceptions import BadParameter

from nanoflow.cli import app
from nanoflow.cli_coercion import PlainRuntimeParam, plain_coercion

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sales"

VALUES: dict[str, list[Any]] = {
    "str": ["x", "", "Sales.Summary", "ünïcode", "$x=1", 12],
    "path": ["a/b.nf", str(SAMPLE), str(SAMPLE / "domain.nf"), "", Path("p")],
    "list": [(), ("a",), ("a=1", "b=2"), ["x"]],
    "bool": [True, False, "yes", "0", "off", "TRUE", "maybe", ""],
    "choice": ["half-even", "half-away-from-zero", "HALF-EVEN", "nope"],
}


def kind(param: Any) -> str:
    annotation = param.type_descriptor.annotation
    if annotation in (str, bool, int):
        return str(annotation.__name__)
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "path"
    if getattr(annotation, "__origin__", None) is list:
        return "list"
    return "choice"


def all_params(command: Any, path: str = "") -> dict[tuple[str, str], Any]:
    found = {(path, p.name): p for p in command.params}
    for name, sub in getattr(command, "commands", {}).items():
        found.update(all_params(sub, f"{path} {name}".strip()))
    return found


def outcome(param: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", param.get_runtime_param().coerce(value, param=param, ctx=None)
    except BadParameter as error:
        return "error", error.format_message()


def test_every_parameter_but_numbers_gets_a_plain_coercion() -> None:
    plain = all_params(plain_coercion(typer.main.get_command(app)))
    assert ("eval", "expression") in plain and ("users add", "name") in plain
    for key, param in plain.items():
        expected = kind(param) != "int"  # left to Typer: only `serve --port` has one
        assert isinstance(param._runtime_param, PlainRuntimeParam) == expected, key


def test_plain_coercion_agrees_with_typers_adapters() -> None:
    typer_params = all_params(typer.main.get_command(app))
    plain_params = all_params(plain_coercion(typer.main.get_command(app)))
    assert typer_params.keys() == plain_params.keys()
    for key, theirs in typer_params.items():
        ours = plain_params[key]
        if kind(theirs) == "int":
            continue
        for value in [None, *VALUES[kind(theirs)]]:
            assert outcome(ours, value) == outcome(theirs, value), (key, value)


def test_commands_run_without_pydantic() -> None:
    script = (
        "import sys; sys.argv = ['nanoflow', 'check', sys.argv[1]]\n"
        "from nanoflow.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(SAMPLE)], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 False"


@pytest.mark.parametrize("argv", [["eval", "1 + 1", "--rounding", "nope"], ["run"]])
def test_usage_errors_read_as_before(argv: list[str]) -> None:
    nanoflow = str(Path(sys.executable).with_name("nanoflow"))
    done = subprocess.run([nanoflow, *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
