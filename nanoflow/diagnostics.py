"""Diagnostics: what is wrong, where, and what would help. Rendering lives in `render`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from nanoflow.codes import Code
from nanoflow.source import Span

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in an app, with a stable code (`Code.UNKNOWN_VARIABLE`, `NF201`). A
    warning does not stop the app from compiling or running."""

    code: Code
    message: str
    span: Span
    label: str = ""
    help: str = ""
    notes: tuple[str, ...] = field(default=())
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)

    def __str__(self) -> str:
        where = f"{self.span.file}:{self.span.line}:{self.span.column}"
        kind = "" if self.is_error else "warning "
        return f"{where}: {kind}{self.code} {self.message}"


class CompileError(Exception):
    """An app did not compile; `diagnostics` says why (sorted by file and position; warnings
    found alongside the errors are included)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=lambda d: d.sort_key)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else None
        count = len(errors)
        summary = f"{count} error{'s' if count != 1 else ''}"
        super().__init__(f"{summary}; first: {first}" if first else summary)


class DiagnosticSink:
    """Collects diagnostics during compilation, dropping exact repeats."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._seen: set[tuple[str, Span, str]] = set()

    def error(
        self, code: Code, message: str, span: Span, *, label: str = "", help: str = ""
    ) -> None:
        key = (code, span, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Diagnostic(code, message, span, label, help))

    def warning(
        self, code: Code, message: str, span: Span, *, label: str = "", help: str = ""
    ) -> None:
        """Report something that still compiles and runs (a deprecated function, ...)."""
        self.add(Diagnostic(code, message, span, label, help, severity="warning"))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diagnostic)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
