"""Rendering diagnostics rustc/ruff style: coloured on a terminal, plain on a pipe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.console import Console
from rich.text import Text

from nanoflow.diagnostics import Diagnostic
from nanoflow.source import SourceFile


def _display(line: str, column: int) -> tuple[str, int]:
    """The line with tabs expanded, and the display column of a 1-based source column."""
    prefix = line[: column - 1].expandtabs(4)
    return line.expandtabs(4), len(prefix)


def render(diagnostic: Diagnostic, source: SourceFile | None) -> Text:
    """One diagnostic as rich Text (source line with a caret under the span)."""
    span = diagnostic.span
    out = Text()
    colour = "red" if diagnostic.is_error else "yellow"
    out.append(f"{diagnostic.severity}[{diagnostic.code}]", style=f"bold {colour}")
    out.append(f": {diagnostic.message}\n", style="bold")
    gutter = " " * len(str(span.line))
    out.append(f"{gutter}--> ", style="bold blue")
    out.append(f"{span.file}:{span.line}:{span.column}\n")
    line = source.line(span.line) if source is not None else ""
    if source is not None and (line or span.line <= source.line_count):
        shown, start = _display(line, span.column)
        if span.end_line == span.line:
            _, end = _display(line, max(span.end_column, span.column + 1))
        else:
            end = len(shown)
        width = max(1, end - start)
        out.append(f"{gutter} |\n", style="bold blue")
        out.append(f"{span.line} | ", style="bold blue")
        out.append(f"{shown}\n")
        out.append(f"{gutter} | ", style="bold blue")
        out.append(" " * start + "^" * width, style=f"bold {colour}")
        if diagnostic.label:
            out.append(f" {diagnostic.label}", style=f"bold {colour}")
        out.append("\n")
    elif diagnostic.label:
        out.append(f"{gutter} = {diagnostic.label}\n")
    if diagnostic.help:
        out.append("help", style="bold cyan")
        out.append(f": {diagnostic.help}\n")
    for note in diagnostic.notes:
        out.append("note", style="bold")
        out.append(f": {note}\n")
    return out


def render_all(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile], console: Console
) -> int:
    """Print every diagnostic followed by a summary line; returns how many errors were printed
    (warnings are printed and counted apart)."""
    errors = warnings = 0
    for diagnostic in diagnostics:
        console.print(render(diagnostic, sources.get(diagnostic.span.file)), end="")
        console.print()
        if diagnostic.is_error:
            errors += 1
        else:
            warnings += 1
    warned = f"{warnings} warning{'s' if warnings != 1 else ''}"
    if errors:
        summary = f"error: {errors} problem{'s' if errors != 1 else ''} found"
        console.print(Text(summary + (f" ({warned})" if warnings else ""), style="bold red"))
    elif warnings:
        console.print(Text(f"warning: {warned}", style="bold yellow"))
    return errors


def render_plain(diagnostic: Diagnostic, source: SourceFile | None) -> str:
    """The same text without colours (for logs, exceptions and tests)."""
    return render(diagnostic, source).plain
