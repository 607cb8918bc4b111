"""The outer edge of the `nanoflow` command: what reaches the user when a command does not end
normally. Usage errors are one `error:` line (and, under `--json`, one JSON document on
standard output); Ctrl-C is one `interrupted` line and exit 130; anything unexpected is one line
saying it is an internal error and where the full report was written, exit 70. No traceback ever
reaches the terminal.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nanoflow import cli_click as click

USAGE = 2
INTERNAL_ERROR = 70  # EX_SOFTWARE of sysexits.h
INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for `--json` (before a `--`)."""
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def json_error(message: str, **extra: object) -> None:
    """The `{"error": {...}}` document of a failed command, on standard output."""
    document = {"error": {"message": message, **extra}}
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def error_line(message: str) -> None:
    """`error: message` on standard error (bold red on a terminal)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        Text(f"error: {message}", style="bold red")
    )


def run_cli(command: click.Command, argv: Sequence[str]) -> int:
    """Run the click/typer `command` on `argv` and return the exit code."""
    from nanoflow import cli_click as click

    as_json = wants_json(argv)
    try:
        result = command.main(args=list(argv), prog_name="nanoflow", standalone_mode=False)
    except click.NoArgsIsHelpError as error:
        error.show()
        return USAGE
    except click.ClickException as error:
        return _usage_error(error, as_json)
    except (click.Abort, KeyboardInterrupt):
        return interrupted(as_json)
    except Exception as error:
        return _internal_error(error, argv, as_json)
    if result == INTERRUPTED and not _announced:  # Typer turns a Ctrl-C into a silent 130
        return interrupted(as_json)
    return result if isinstance(result, int) else 0


def run_direct(command: Callable[[], int], argv: Sequence[str]) -> int:
    """Run a command read without Typer (`nanoflow/cli_direct.py`) on `argv`; it ends as
    `run_cli` ends the same command run by Typer."""
    as_json = wants_json(argv)
    try:
        result = command()
    except EOFError:
        sys.stderr.write("\n")  # as click does before it aborts
        return interrupted(as_json)
    except KeyboardInterrupt:
        return interrupted(as_json)
    except OSError as error:
        if error.errno != errno.EPIPE:
            return _internal_error(error, argv, as_json)
        _quiet_closed_pipe()  # the reader has gone (`nanoflow eval ... | head -0`): exit 1
        raise SystemExit(1) from None
    except Exception as error:
        return _internal_error(error, argv, as_json)
    if result == INTERRUPTED and not _announced:
        return interrupted(as_json)
    return result


def _quiet_closed_pipe() -> None:
    """Send what is still to be written to a closed standard output nowhere (Python's recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        return


_announced = False


def interrupted(as_json: bool) -> int:
    """Say that a Ctrl-C stopped the command (once); the exit code to end with."""
    global _announced
    if not _announced:
        _announced = True
        if as_json:
            json_error("interrupted")
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    return INTERRUPTED


def _usage_error(error: click.ClickException, as_json: bool) -> int:
    from nanoflow import cli_click as click

    message = error.format_message()
    if as_json:
        json_error(message)
    error_line(message)
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        help_option = (context.help_option_names or ["--help"])[-1]
        sys.stderr.write(f"(see `{context.command_path} {help_option}`)\n")
    return error.exit_code


def _internal_error(error: Exception, argv: Sequence[str], as_json: bool) -> int:
    kind = type(error).__name__
    try:
        where = f"the full report is in {write_report(error, argv)}"
    except OSError as failure:
        where = f"no report could be written ({failure.strerror}): {error}"
    if as_json:
        json_error(f"internal error ({kind}); {where}")
    sys.stderr.write(f"internal error: nanoflow failed unexpectedly ({kind}); {where}\n")
    return INTERNAL_ERROR


def write_report(error: BaseException, argv: Sequence[str]) -> Path:
    """Write the full report of an unexpected error to a file; return its path."""
    import platform
    import tempfile
    import time
    import traceback
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("nanoflow")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        own = "unknown"
    lines = [
        f"nanoflow {own} internal error report",
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        f"python: {platform.python_version()} on {platform.platform()}",
        f"command: nanoflow {' '.join(argv)}",
        f"directory: {os.getcwd()}",
        "",
        *traceback.format_exception(error),
    ]
    fd, name = tempfile.mkstemp(prefix="nanoflow-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(line.rstrip("\n") for line in lines) + "\n")
    return Path(name)
