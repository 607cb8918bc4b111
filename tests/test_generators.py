"""Checks of the program generators themselves, with the parser only (no checker needed).

Generated apps must parse clean, be deterministic, and keep the variable rules the checker
enforces (declared once per flow; used only in the declaring block after the declaration, or
in blocks nested there). Token soup must never make the parser raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

import pytest
import strategies
from hypothesis import given
from program_gen import generate_app

from nanoflow import ir
from nanoflow.parser import parse_source
from nanoflow.source import SourceFile

BUILTIN_VARIABLES = {"currentIndex", "latestError", "currentObject", "currentResult"}


def parse_clean(text: str, name: str = "app.nf") -> ir.ModuleFile:
    module, problems = parse_source(SourceFile(name, text))
    if problems or module is None:
        lines = text.splitlines()
        shown = []
        for d in problems[:5]:
            start = max(0, d.span.line - 4)
            context = "\n".join(f"{n + 1:5}: {lines[n]}" for n in range(start, d.span.line))
            shown.append(f"{d} ({d.label})\n{context}")
        pytest.fail("generated app does not parse:\n" + "\n\n".join(shown))
    return module


def _variables(node: object) -> Iterator[str]:
    """Names of variables read in an expression or XPath tree (not inside blocks)."""
    if isinstance(node, ir.Variable):
        yield node.name
    elif isinstance(node, tuple):
        for item in node:
            yield from _variables(item)
    elif isinstance(node, ir.Node) and not isinstance(node, ir.Block | ir.ErrorHandler):
        for field in ir.fields(node):
            if field != "span":
                yield from _variables(getattr(node, field))


class ScopeChecker:
    """Block-scoped approximation of the checker's dominance rule, stricter than the rule."""

    def __init__(self, flow: ir.Flow) -> None:
        self.flow = flow
        self.declared: set[str] = set()
        self.problems: list[str] = []

    def run(self) -> list[str]:
        visible: set[str] = set()
        for param in self.flow.parameters:
            self._declare(param.variable.name, visible)
        self.block(self.flow.body, visible)
        return self.problems

    def _declare(self, name: str, visible: set[str]) -> None:
        if name in self.declared:
            self.problems.append(f"{self.flow.name.text}: ${name} declared twice")
        self.declared.add(name)
        visible.add(name)

    def _use(self, node: object, visible: set[str], line: int) -> None:
        for name in _variables(node):
            if name not in visible and name not in BUILTIN_VARIABLES:
                self.problems.append(f"{self.flow.name.text}:{line}: ${name} not visible")

    def block(self, block: ir.Block, visible: set[str]) -> None:
        inner = set(visible)
        for stmt in block.statements:
            self.statement(stmt, inner)

    def statement(self, stmt: ir.Stmt, visible: set[str]) -> None:
        line = stmt.span.line
        output: str | None = None
        for field in ir.fields(stmt):
            value = getattr(stmt, field)
            if field in ("span", "handler"):
                continue
            if field == "output" or (isinstance(stmt, ir.Declare) and field == "variable"):
                output = value.name if value is not None else None
            elif isinstance(stmt, ir.For) and field == "variable":
                continue
            elif isinstance(value, ir.Block):
                inner = set(visible)
                if isinstance(stmt, ir.For):
                    self._declare(stmt.variable.name, inner)
                self.block(value, inner)
            elif field in ("branches", "cases"):
                for part in value:
                    if isinstance(part, ir.IfBranch):
                        self._use(part.condition, visible, line)
                    self.block(part.body, visible)
            else:
                self._use(value, visible, line)
        if stmt.handler is not None and stmt.handler.body is not None:
            self.block(stmt.handler.body, visible)
        if output is not None:
            self._declare(output, visible)


def scope_problems(module: ir.ModuleFile) -> list[str]:
    problems: list[str] = []
    for decl in module.declarations:
        if isinstance(decl, ir.Flow):
            problems += ScopeChecker(decl).run()
    return problems


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_generated_app_parses_and_keeps_variable_rules(seed: int) -> None:
    text = generate_app(2000, seed)
    assert 2000 <= text.count("\n") <= 2300
    module = parse_clean(text, f"gen{seed}.nf")
    assert scope_problems(module) == []


def test_generate_app_is_deterministic() -> None:
    assert generate_app(800, 11) == generate_app(800, 11)
    assert generate_app(800, 11) != generate_app(800, 12)


def test_generated_app_uses_every_statement_kind() -> None:
    module = parse_clean(generate_app(5000, 3))
    seen: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, ir.Node):
            seen.add(type(node).__name__)
            for field in ir.fields(node):
                walk(getattr(node, field))
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    walk(module)
    wanted = {t.__name__ for t in get_args(ir.Stmt)}
    wanted |= {"XPathFunction", "XPathNot", "XPathLogical", "IfExpr", "SortKey", "Not", "Negate"}
    assert wanted - seen == set()


@given(strategies.valid_apps())
def test_valid_apps_parse_and_keep_variable_rules(text: str) -> None:
    module = parse_clean(text)
    assert scope_problems(module) == [], text


@given(strategies.token_soup())
def test_token_soup_never_crashes_the_parser(text: str) -> None:
    try:
        parse_source(SourceFile("soup.nf", text))
    except Exception as error:
        raise AssertionError(f"parse_source raised on {text!r}") from error


@given(strategies.mutated_apps())
def test_mutated_apps_never_crash_the_parser(text: str) -> None:
    try:
        parse_source(SourceFile("mutant.nf", text))
    except Exception as error:
        raise AssertionError(f"parse_source raised on {text!r}") from error
