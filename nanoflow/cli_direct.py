"""The commands that start most often, read without Typer.

`nanoflow eval EXPRESSION [--var NAME=JSON]... [--timezone ZONE] [--rounding MODE] [--json]`
and `nanoflow check APP`, written plainly, are read here and run at once: importing Typer and
building its command would cost about as much as the rest of `nanoflow eval '1+1'`. Anything
else (another command, help, `--version`, `--`, an option given twice or without its value, a
value that starts with `-`, an empty argument, a rounding mode that does not exist) is not read
here: the command line goes to Typer (`nanoflow/cli.py`), which reads what is read here the same
way and says what is wrong with the rest. `tests/test_cli_direct.py` holds the two readers to the
same results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

ROUNDINGS = ("half-away-from-zero", "half-even")
EVAL_VALUES = {"--var": "var", "--timezone": "timezone", "--rounding": "rounding"}

Command = Callable[[], int]


def rounding_mode(value: str) -> str | None:
    """`--rounding` in either spelling (`half-even`, `half_even`), as the command line writes
    it; None for anything else."""
    spelled = value.strip().lower().replace("_", "-")
    return spelled if spelled in ROUNDINGS else None


def read(argv: Sequence[str]) -> Command | None:
    """The command `argv` asks for, when it is one read here; None leaves it to Typer."""
    if not argv:
        return None
    name, args = argv[0], list(argv[1:])
    if name == "eval":
        return _eval(args)
    if name == "check":
        return _check(args)
    return None


def _plain(arg: str) -> bool:
    """An argument that is a value whatever the command: not empty, not option-like."""
    return arg != "" and not arg.startswith("-")


def _check(args: list[str]) -> Command | None:
    if len(args) != 1 or not _plain(args[0]):
        return None
    path = Path(args[0])
    try:
        os.stat(path)
    except ValueError:  # a NUL in the path: Typer's to judge
        return None
    except OSError:  # Typer hands a path that is not there to the command too
        pass
    else:
        if not os.access(path, os.R_OK):  # Typer refuses it with its own message
            return None

    def check() -> int:
        from nanoflow.cli_check import check_command

        return check_command(path)

    return check


def _eval(args: list[str]) -> Command | None:
    expression: str | None = None
    variables: list[str] = []
    values: dict[str, str] = {}
    json_out = False
    rest = iter(args)
    for arg in rest:
        if _plain(arg):
            if expression is not None:
                return None
            expression = arg
            continue
        option, equals, value = arg.partition("=")
        if option == "--json" and not equals and not json_out:
            json_out = True
            continue
        if option not in EVAL_VALUES:
            return None
        if not equals:
            value = next(rest, "")
        if not _plain(value):
            return None
        if option == "--var":
            variables.append(value)
        elif option in values:
            return None
        else:
            values[option] = value
    rounding = rounding_mode(values.get("--rounding", ROUNDINGS[0]))
    if expression is None or rounding is None:
        return None
    timezone = values.get("--timezone")
    text = expression

    def evaluate() -> int:
        from nanoflow.commands import eval_command

        return eval_command(text, variables, timezone, json_out, rounding)

    return evaluate


def run(argv: Sequence[str]) -> int | None:
    """Run the command `argv` asks for when it is read here (its exit code), else None."""
    command = read(argv)
    if command is None:
        return None
    from nanoflow.cli_edge import run_direct

    return run_direct(command, argv)
