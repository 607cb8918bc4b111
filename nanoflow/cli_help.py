"""Help that names values in words: an option shows its metavar (`NAME=VALUE`, `FILE`) or
nothing for a flag, never Typer's `<list[str]>` or `<bool>`; arguments read `APP FLOW` in the
usage line, not `{APP}`. The group applies this to every command it hands out, so commands
added later get it too."""

from __future__ import annotations

from collections.abc import Callable

from typer.core import TyperGroup

from nanoflow import cli_click as click


def _shown(param: click.Parameter) -> Callable[..., str | None]:
    def display_type_rich(ctx: click.Context | None = None) -> str | None:
        if param.param_type_name == "argument" or getattr(param, "is_flag", False):
            return None
        return param.metavar or (param.name or "value").upper()

    return display_type_rich


def _usage_name(param: click.Parameter) -> Callable[[], str]:
    def usage_display_name() -> str:
        name = param.metavar or (param.name or "").upper()
        return name if param.required else f"[{name}]"

    return usage_display_name


def in_words(command: click.Command, ctx: click.Context) -> click.Command:
    """`command` with its parameters' help in words (changes the command's own objects)."""
    helper = command.get_help_option(ctx)
    for sub in getattr(command, "commands", {}).values():  # a group's own commands too
        in_words(sub, ctx)
    for param in [*command.params, *([helper] if helper else [])]:
        setattr(param, "display_type_rich", _shown(param))  # noqa: B010 - instance override
        if param.param_type_name == "argument":
            setattr(param, "_usage_display_name", _usage_name(param))  # noqa: B010
    return command


class WordyGroup(TyperGroup):
    """A Typer group whose commands (and itself) describe their values in words."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else in_words(command, ctx)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        in_words(self, ctx)
        super().format_help(ctx, formatter)
