"""Properties of the front end: no input crashes it, and every valid app compiles clean."""

from __future__ import annotations

import pytest
import strategies
from hypothesis import given
from program_gen import generate_app

from nanoflow.compiler import compile_sources
from nanoflow.diagnostics import Diagnostic
from nanoflow.source import SourceFile


def _compile_without_crashing(name: str, text: str) -> None:
    try:
        result = compile_sources([SourceFile(name, text)])
        for diagnostic in result.diagnostics:
            str(diagnostic)
    except Exception as error:
        raise AssertionError(f"compile_sources raised on this input:\n{text!r}") from error
    assert isinstance(result.diagnostics, list)
    assert result.app is not None or result.diagnostics, "no app and no diagnostics"


def _report(text: str, diagnostics: list[Diagnostic], whole: bool) -> str:
    lines = text.splitlines()
    parts = [f"{len(diagnostics)} diagnostic(s):"]
    for d in diagnostics[:20]:
        parts.append(f"  {d}" + (f"  [{d.label}]" if d.label else ""))
        if not whole:
            start = max(0, d.span.line - 4)
            stop = min(len(lines), d.span.line + 1)
            parts += [f"    {n + 1:5}: {lines[n]}" for n in range(start, stop)]
    if whole:
        parts.append("program:")
        parts += [f"{n + 1:5}: {line}" for n, line in enumerate(lines)]
    return "\n".join(parts)


def _compile_clean(name: str, text: str, whole: bool) -> None:
    result = compile_sources([SourceFile(name, text)])
    assert not result.diagnostics, _report(text, result.diagnostics, whole)
    assert result.app is not None


@given(strategies.token_soup())
def test_token_soup_never_crashes_the_front_end(text: str) -> None:
    _compile_without_crashing("soup.nf", text)


@given(strategies.mutated_apps())
def test_mutated_apps_never_crash_the_front_end(text: str) -> None:
    _compile_without_crashing("mutant.nf", text)


@given(strategies.valid_apps())
def test_valid_apps_compile_without_diagnostics(text: str) -> None:
    _compile_clean("app.nf", text, whole=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_generated_2000_line_app_compiles_without_diagnostics(seed: int) -> None:
    _compile_clean(f"generated_{seed}.nf", generate_app(2000, seed), whole=False)
