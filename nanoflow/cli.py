"""The `nanoflow` command line."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nanoflow.cli_server import register as register_server_commands


class Rounding(StrEnum):
    """Mendix's "Round numbers" app setting."""

    half_away_from_zero = "half-away-from-zero"
    half_even = "half-even"


app = typer.Typer(
    name="nanoflow",
    help="Run Mendix-style nanoflows with offline-first synchronization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="An app: a `.nf` file or a directory of them.")],
) -> None:
    """Parse and type-check an app; exit 0 when clean, 1 with errors."""
    from rich.console import Console

    from nanoflow.compiler import compile_sources, read_sources
    from nanoflow.render import render_all

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not path.exists():
        err.print(f"error: no such file or directory: {path}", style="bold red", markup=False)
        raise typer.Exit(2)
    sources, problems = read_sources(path)
    if problems:
        render_all(problems, {}, err)
        raise typer.Exit(2)
    result = compile_sources(sources)
    if result.diagnostics:
        render_all(result.diagnostics, {s.path: s for s in sources}, out)
        raise typer.Exit(1)
    assert result.app is not None
    flows = len(result.app.flows())
    out.print(
        f"ok: {len(sources)} file{'s' if len(sources) != 1 else ''}, "
        f"{len(result.app.modules)} module{'s' if len(result.app.modules) != 1 else ''}, "
        f"{flows} flow{'s' if flows != 1 else ''}",
        markup=False,
    )


@app.command()
def run(
    path: Annotated[Path, typer.Argument(help="The app: a `.nf` file or a directory.")],
    flow: Annotated[str, typer.Argument(help="`Module.Name`, or `Name` when unambiguous.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="NAME=VALUE, by the parameter's type.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    store: Annotated[
        Path | None, typer.Option(help="The device store (default .nanoflow/device.sqlite).")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of date functions.")] = None,
    rounding: Annotated[
        Rounding, typer.Option(help="How `round` breaks ties (Mendix's app setting).")
    ] = Rounding.half_away_from_zero,
    server: Annotated[str | None, typer.Option(help="A running `nanoflow serve`.")] = None,
    user: Annotated[str, typer.Option(help="The user to run as.")] = "local",
    password: Annotated[str | None, typer.Option(help="The user's password.")] = None,
) -> None:
    """Run a nanoflow against the device's offline store and print its result."""
    from nanoflow.commands import run_command

    raise typer.Exit(
        run_command(
            path,
            flow,
            param or [],
            json_out,
            store,
            timezone,
            server,
            user,
            password,
            rounding.value,
        )
    )


@app.command("eval")
def eval_(
    expression: Annotated[str, typer.Argument(help="A Mendix expression.")],
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=JSON: a variable for the expression.")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of date functions.")] = None,
    rounding: Annotated[
        Rounding, typer.Option(help="How `round` breaks ties (Mendix's app setting).")
    ] = Rounding.half_away_from_zero,
    json_out: Annotated[bool, typer.Option("--json", help="Print the value as JSON.")] = False,
) -> None:
    """Evaluate a Mendix expression and print its value."""
    from nanoflow.commands import eval_command

    raise typer.Exit(eval_command(expression, var or [], timezone, json_out, rounding.value))


@app.command("store")
def store_(
    path: Annotated[Path, typer.Argument(help="The app: a `.nf` file or a directory.")],
    store: Annotated[
        Path | None, typer.Option(help="The device store (default .nanoflow/device.sqlite).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show the device's offline store: objects per entity and pending changes."""
    from nanoflow.commands import store_command

    raise typer.Exit(store_command(path, store, json_out))


register_server_commands(app)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"nanoflow {version('nanoflow')}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run Mendix-style nanoflows with offline-first synchronization."""


def main() -> None:
    """Entry point of the `nanoflow` console script."""
    from nanoflow.cli_coercion import plain_coercion

    plain_coercion(typer.main.get_command(app))()
