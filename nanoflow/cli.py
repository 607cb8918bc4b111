"""The `nanoflow` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nanoflow.cli_direct import ROUNDINGS, rounding_mode
from nanoflow.cli_help import WordyGroup
from nanoflow.cli_server import register as register_server_commands

STORE_HELP = "The device's offline store (default: .nanoflow/device.sqlite beside APP)."
ZONE_HELP = "The user's time zone, an IANA name such as Europe/Amsterdam (default: UTC)."
ROUNDING_HELP = (
    "How `round` breaks ties (Mendix's Round numbers setting): half-away-from-zero (default) "
    "or half-even; half_even and half_away_from_zero, the Python API's spelling, work too."
)


def _rounding(value: str) -> str:
    """`--rounding` in either spelling, as the command line writes it."""
    spelled = rounding_mode(value)
    if spelled is None:
        raise typer.BadParameter(f"`{value}` is not one of {', '.join(ROUNDINGS)}")
    return spelled


app = typer.Typer(
    name="nanoflow",
    help="Run Mendix-style nanoflows with offline-first synchronization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=WordyGroup,
)


@app.command()
def check(
    path: Annotated[
        Path,
        typer.Argument(metavar="APP", help="An app: a `.nf` file or a directory of them."),
    ],
) -> None:
    """Parse and type-check an app; exit 0 when clean (warnings allowed), 1 with errors."""
    from nanoflow.cli_check import check_command

    raise typer.Exit(check_command(path))


@app.command()
def run(
    path: Annotated[
        Path, typer.Argument(metavar="APP", help="The app: a `.nf` file or a directory.")
    ],
    flow: Annotated[
        str | None,
        typer.Argument(
            metavar="FLOW",
            help="`Module.Name`, or `Name` when unambiguous; left out, the app's nanoflows are "
            "listed.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            metavar="NAME=VALUE",
            help="A value for the flow's parameter $NAME, read by its type; once per parameter.",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", metavar="", help="Print one JSON document.")
    ] = False,
    store: Annotated[Path | None, typer.Option(metavar="FILE", help=STORE_HELP)] = None,
    timezone: Annotated[str | None, typer.Option(metavar="ZONE", help=ZONE_HELP)] = None,
    rounding: Annotated[
        str,
        typer.Option(metavar="MODE", help=ROUNDING_HELP, callback=_rounding, show_default=False),
    ] = ROUNDINGS[0],
    server: Annotated[
        str | None, typer.Option(metavar="URL", help="A running `nanoflow serve`.")
    ] = None,
    user: Annotated[str, typer.Option(metavar="NAME", help="The user to run as.")] = "local",
    password: Annotated[
        str | None, typer.Option(metavar="PASSWORD", help="The user's password.")
    ] = None,
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
            rounding,
        )
    )


@app.command("eval")
def eval_(
    expression: Annotated[str, typer.Argument(metavar="EXPRESSION", help="A Mendix expression.")],
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME=JSON",
            help="The variable $NAME for the expression, typed by its JSON value.",
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[str | None, typer.Option(metavar="ZONE", help=ZONE_HELP)] = None,
    rounding: Annotated[
        str,
        typer.Option(metavar="MODE", help=ROUNDING_HELP, callback=_rounding, show_default=False),
    ] = ROUNDINGS[0],
    json_out: Annotated[
        bool, typer.Option("--json", metavar="", help="Print the value as JSON.")
    ] = False,
) -> None:
    """Evaluate a Mendix expression and print its value."""
    from nanoflow.commands import eval_command

    raise typer.Exit(eval_command(expression, var or [], timezone, json_out, rounding))


@app.command("store")
def store_(
    path: Annotated[
        Path, typer.Argument(metavar="APP", help="The app: a `.nf` file or a directory.")
    ],
    store: Annotated[Path | None, typer.Option(metavar="FILE", help=STORE_HELP)] = None,
    json_out: Annotated[
        bool, typer.Option("--json", metavar="", help="Print one JSON document.")
    ] = False,
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
            "--version",
            metavar="",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Run Mendix-style nanoflows with offline-first synchronization."""


def main() -> None:
    """Entry point of the `nanoflow` console script."""
    from nanoflow.cli_coercion import plain_coercion
    from nanoflow.cli_edge import run_cli

    sys.exit(run_cli(plain_coercion(typer.main.get_command(app)), sys.argv[1:]))
