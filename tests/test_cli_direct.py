"""The plain `eval` and `check` command lines read without Typer (`nanoflow/cli_direct.py`) give
exactly what Typer gives: the same command with the same values, the same output and exit
code; whatever the direct reader does not take goes to Typer."""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from cli_process import no_traceback
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nanoflow import cli_check, cli_direct, commands
from nanoflow.cli import app
from nanoflow.cli_coercion import plain_coercion

REPO = Path(__file__).resolve().parent.parent
SAMPLE = str(REPO / "samples" / "sales")

TOKENS = [
    "1+1",
    "$x * 2",
    "x=1",
    'x="a"',
    "--var",
    "--var=x=1",
    "--var=",
    "--json",
    "--json=1",
    "--timezone",
    "--timezone=UTC",
    "Europe/Amsterdam",
    "--rounding",
    "--rounding=half_even",
    "half-even",
    "HALF_AWAY_FROM_ZERO",
    "bogus",
    "-1",
    "-",
    "--",
    "",
    "-h",
    "--help",
    "--version",
    "--js",
    "--store",
    SAMPLE,
    "eval",
    "check",
]


class Called(Exception):
    """Raised by the stand-ins of the commands, with what they were called with."""


def record(name: str) -> Any:
    def stand_in(*args: Any) -> int:
        raise Called((name, *args))

    return stand_in


def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "eval_command", record("eval"))
    monkeypatch.setattr(cli_check, "check_command", record("check"))


@functools.cache
def typer_command() -> Any:
    return plain_coercion(typer.main.get_command(app))


def through_typer(argv: list[str]) -> tuple[Any, ...] | None:
    """What Typer calls for `argv` (None when it calls nothing: help, a usage error)."""
    command = typer_command()
    try:
        command.main(args=list(argv), prog_name="nanoflow", standalone_mode=False)
    except Called as called:
        return called.args[0]  # type: ignore[no-any-return]
    except Exception:
        return None
    return None


def directly(argv: list[str]) -> tuple[Any, ...] | None:
    """What the direct reader calls for `argv`, or None when it leaves `argv` to Typer."""
    command = cli_direct.read(argv)
    if command is None:
        return None
    try:
        command()
    except Called as called:
        return called.args[0]  # type: ignore[no-any-return]
    raise AssertionError("the command was not called")


VALUES = ["UTC", "Europe/Amsterdam", "half_even", "Half-Even", "x=1", "y=[1]", "-1", "", "up"]
OPTIONS = ["--var", "--timezone", "--rounding"]
eval_items = st.one_of(
    st.tuples(st.sampled_from(OPTIONS), st.sampled_from(VALUES)).map(list),
    st.tuples(st.sampled_from(OPTIONS), st.sampled_from(VALUES)).map(lambda o: ["=".join(o)]),
    st.sampled_from(["--json", "1+1", "$x", *TOKENS]).map(lambda arg: [arg]),
)
command_lines = st.one_of(
    st.lists(eval_items, max_size=6).map(lambda items: ["eval", *itertools.chain(*items)]),
    st.tuples(
        st.sampled_from(["eval", "check", "run", "--json"]),
        st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=6),
    ).map(lambda parts: [parts[0], *parts[1]]),
)


@settings(max_examples=300)
@given(command_lines)
@example(["eval", "1+1"])
@example(["eval", "--json", "$x", "--var", "x=1", "--var=y=2", "--timezone=UTC"])
@example(["eval", "1", "--rounding", "HALF_EVEN"])
@example(["eval", "1", "--timezone", "--json"])
@example(["eval", "1", "--timezone", "UTC", "--timezone", "Europe/Amsterdam"])
@example(["eval", "-1"])
@example(["eval", "--", "-1"])
@example(["eval", ""])
@example(["check", SAMPLE])
@example(["check", ""])
@example(["check", SAMPLE, SAMPLE])
def test_what_is_read_directly_is_what_typer_reads(argv: list[str]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        stand_ins(monkeypatch)
        direct = directly(argv)
        if direct is not None:
            assert direct == through_typer(argv), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "1+1"],
        ["eval", "$x", "--var", "x=1", "--var=y=2", "--json"],
        ["eval", "--timezone", "Europe/Amsterdam", "--rounding=half_even", "1"],
        ["check", SAMPLE],
    ],
    ids=" ".join,
)
def test_plain_command_lines_are_read_directly(argv: list[str]) -> None:
    assert cli_direct.read(argv) is not None


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run", SAMPLE],
        ["eval"],
        ["eval", "1", "2"],
        ["eval", "-1"],
        ["eval", "--", "-1"],
        ["eval", "1", "--help"],
        ["eval", "1", "--var"],
        ["eval", "1", "--json", "--json"],
        ["eval", "1", "--rounding", "up"],
        ["eval", "1", "--timezone", "UTC", "--timezone=UTC"],
        ["check"],
        ["check", ""],
        ["check", "-x"],
        ["--version"],
    ],
    ids=repr,
)
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert cli_direct.read(argv) is None


TYPER_MAIN = """
import sys
from nanoflow.cli import main
sys.argv = ["nanoflow", *sys.argv[1:]]
main()
"""


def both_ways(*args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    """`nanoflow ARGS` by the console script's entry point and by Typer alone."""
    runs = (
        [sys.executable, "-m", "nanoflow", *args],
        [sys.executable, "-c", TYPER_MAIN, *args],
    )
    return tuple(
        no_traceback(subprocess.run(r, capture_output=True, text=True, check=False, cwd=REPO))
        for r in runs
    )


BROKEN_APP = "module A\nnanoflow F() { declare $x: Integer = $y }\n"


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "1 + 1"),
        ("eval", "$x * 2", "--var", "x=21", "--json"),
        ("eval", "$x", "--var", "x=Infinity"),
        ("eval", "round(2.5)", "--rounding", "half_even"),
        ("eval", "1 +", "--json"),
        ("eval", "1 div 0"),
        ("eval", "1", "--timezone", "Mars/Olympus"),
        ("eval", "formatDateTime([%CurrentDateTime%], 'yyyy')", "--timezone=UTC"),
        ("check", "samples/sales"),
        ("check", "no/such/app"),
        ("check", "BROKEN"),
    ],
    ids=" ".join,
)
def test_same_output_and_exit_code_either_way(tmp_path: Path, args: tuple[str, ...]) -> None:
    broken = tmp_path / "broken.nf"
    broken.write_text(BROKEN_APP)
    args = tuple(str(broken) if a == "BROKEN" else a for a in args)
    assert cli_direct.read(list(args)) is not None
    direct, typer_run = both_ways(*args)
    assert (direct.returncode, direct.stdout, direct.stderr) == (
        typer_run.returncode,
        typer_run.stdout,
        typer_run.stderr,
    )


CRASH = """
import sys
import nanoflow.cli_check
import nanoflow.commands
def broken(*args, **kwargs):
    raise RuntimeError("a bug")
nanoflow.commands.eval_command = broken
nanoflow.cli_check.check_command = broken
sys.argv = ["nanoflow", *sys.argv[1:]]
from nanoflow.__main__ import main
main()
"""


@pytest.mark.parametrize("args", [("eval", "1", "--json"), ("check", SAMPLE)], ids=" ".join)
def test_the_last_resort_ends_a_direct_command_too(args: tuple[str, ...]) -> None:
    assert cli_direct.read(list(args)) is not None
    done = no_traceback(
        subprocess.run(
            [sys.executable, "-c", CRASH, *args], capture_output=True, text=True, check=False
        )
    )
    assert done.returncode == 70
    assert done.stderr.startswith("internal error: nanoflow failed unexpectedly (RuntimeError)")
    report = Path(done.stderr.rsplit("the full report is in ", 1)[1].strip())
    assert "RuntimeError: a bug" in report.read_text()
    report.unlink()
    if "--json" in args:
        assert "internal error (RuntimeError)" in done.stdout


def test_a_closed_output_ends_either_way_alike() -> None:
    def closed_early(command: list[str]) -> tuple[int, str]:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader has gone before the command writes its value
        err = process.stderr.read()
        return process.wait(timeout=120), err

    args = ["eval", "'x'"]
    direct = closed_early([sys.executable, "-m", "nanoflow", *args])
    typer_run = closed_early([sys.executable, "-c", TYPER_MAIN, *args])
    assert direct == typer_run
    assert "Traceback" not in direct[1]
