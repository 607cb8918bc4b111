"""The click that Typer runs on: Typer (0.29 and later) vendors a trimmed copy of click as
`typer._click`, whose exceptions are not the `click` package's."""

from typer import Abort
from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter

__all__ = [
    "Abort",
    "ClickException",
    "Command",
    "Context",
    "HelpFormatter",
    "NoArgsIsHelpError",
    "Parameter",
    "UsageError",
]
