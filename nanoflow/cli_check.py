"""What `nanoflow check` does (the CLI module only declares its argument)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nanoflow.diagnostics import Diagnostic
    from nanoflow.source import SourceFile

OK, ERRORS, USAGE = 0, 1, 2


def check_command(path: Path) -> int:
    """Parse and type-check the app at `path`: 0 when clean (warnings allowed), 1 with errors,
    2 when there is no app to check. rich is imported only when there is something to render."""
    from nanoflow.compiler import compile_sources, read_sources

    if not path.exists():
        from rich.console import Console

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        err.print(f"error: no such file or directory: {path}", style="bold red", markup=False)
        return USAGE
    sources, problems = read_sources(path)
    if problems:
        _render(problems, {}, stderr=True)
        return USAGE
    result = compile_sources(sources)
    if result.diagnostics:
        _render(result.diagnostics, {s.path: s for s in sources}, stderr=False)
    if result.app is None:
        return ERRORS
    flows = len(result.app.flows())
    # Plain text without markup, highlighting or wrapping: what rich would print, without rich.
    sys.stdout.write(
        f"ok: {len(sources)} file{'s' if len(sources) != 1 else ''}, "
        f"{len(result.app.modules)} module{'s' if len(result.app.modules) != 1 else ''}, "
        f"{flows} flow{'s' if flows != 1 else ''}\n"
    )
    return OK


def _render(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], stderr: bool
) -> None:
    from rich.console import Console

    from nanoflow.render import render_all

    render_all(diagnostics, sources, Console(stderr=stderr, highlight=False, soft_wrap=True))
