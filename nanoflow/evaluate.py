"""`nanoflow eval`: evaluate one Mendix expression with JSON variables.

The expression is compiled as the body of a synthesized nanoflow (so it gets the same checks
and the same compiled code as in flows); diagnostics are mapped back onto the expression text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.codes import Code
from nanoflow.compiler import App, compile_sources
from nanoflow.diagnostics import CompileError, Diagnostic
from nanoflow.source import SourceFile, Span

MODULE = "Eval"
_WRAPPER_WORDS = {"a statement", "`}`", "`{`", "`on`"}
EXPRESSION_FILE = "<expression>"


@dataclass
class Prepared:
    app: App
    flow: str
    arguments: dict[str, Any]
    warnings: list[Diagnostic] = field(default_factory=list)


def _type_of_json(value: Any, name: str, entities: list[str]) -> str:
    """The `.nf` type of a JSON variable; objects get a synthesized entity."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long" if abs(value) > 2**31 - 1 else "Integer"
    if isinstance(value, Decimal | float):
        return "Decimal"
    if isinstance(value, str) or value is None:
        return "String"
    if isinstance(value, dict) and "$date" in value:
        return "DateTime"
    if isinstance(value, dict):
        entity = f"Var_{name}"
        types = {}
        for key, member in value.items():
            if isinstance(member, dict | list) and not (
                isinstance(member, dict) and "$date" in member
            ):
                raise ValueError(f"variable `{name}`: member `{key}` must be a primitive value")
            types[key] = _type_of_json(member, f"{name}_{key}", entities)
        members = " ".join(f"{key}: {kind}" for key, kind in types.items())
        entities.append(f"entity {entity} {{ {members} }}")
        return entity
    if isinstance(value, list):
        if not all(isinstance(item, dict) and "$date" not in item for item in value):
            raise ValueError(f"variable `{name}`: a list holds JSON objects (with members)")
        union: dict[str, Any] = {}
        for item in value:
            for key, member in item.items():
                if union.get(key) is None:
                    union[key] = member
        entity = _type_of_json(union, name, entities)
        return f"List of {entity}"
    raise ValueError(f"variable `{name}`: unsupported JSON value {value!r}")


def _source(
    expression: str, variables: dict[str, Any], returns: str | None, discard: bool = False
) -> tuple[str, int]:
    entities: list[str] = []
    params = ", ".join(
        f"${name}: {_type_of_json(value, name, entities)}" for name, value in variables.items()
    )
    head = [f"module {MODULE}", *entities, "offline { }"]
    if discard:
        head.append(f"nanoflow Expression({params}) {{")
        return "\n".join([*head, "}"]) + "\n", len(head) + 1
    if returns is None:
        head.append(f"nanoflow Expression({params}) {{")
        head.append("declare $__result =")
    else:
        head.append(f"nanoflow Expression({params}) returns {returns} {{")
        head.append("return")
    first_line = len(head) + 1
    return "\n".join([*head, expression, "}"]) + "\n", first_line


def _map(diagnostic: Diagnostic, first_line: int, expression: str) -> Diagnostic:
    """A diagnostic of the synthesized flow, placed on the expression's own text."""
    lines = expression.split("\n")
    span = diagnostic.span
    message, label = diagnostic.message, diagnostic.label
    if first_line <= span.line < first_line + len(lines):
        mapped = Span(
            EXPRESSION_FILE,
            span.line - first_line + 1,
            span.column,
            span.end_line - first_line + 1,
            span.end_column,
        )
    else:  # the wrapper's closing line: the expression ended too early
        end = len(lines[-1]) + 1
        mapped = Span(EXPRESSION_FILE, len(lines), end, len(lines), end + 1)
        if diagnostic.code == Code.UNEXPECTED_TOKEN:
            message = "unexpected end of the expression"
    if label.startswith("expected "):  # the wrapper's statements and braces are not the user's
        wanted = [w for w in re.split(r", | or ", label[9:]) if w not in _WRAPPER_WORDS]
        if not wanted:
            label = "expected the end of the expression"
        elif len(wanted) == 1:
            label = f"expected {wanted[0]}"
        else:
            label = f"expected {', '.join(wanted[:-1])} or {wanted[-1]}"
    return Diagnostic(
        diagnostic.code,
        message,
        mapped,
        label,
        diagnostic.help,
        diagnostic.notes,
        diagnostic.severity,
    )


def _type_text(found: t.Type) -> str | None:
    if isinstance(found, t.Prim):
        return found.name
    if isinstance(found, t.EnumType):
        return found.enum
    if isinstance(found, t.ObjectType) and found.entity != "*":
        return found.entity
    if isinstance(found, t.ListType) and found.entity != "*":
        return f"List of {found.entity}"
    return None


def prepare(expression: str, variables: dict[str, Any]) -> Prepared:
    """Compile an expression; raises `CompileError` with diagnostics on the expression text."""
    text, first_line = _source(expression, variables, None)
    result = compile_sources([SourceFile("<eval>", text)])
    if [d.code for d in result.errors] == [Code.VARIABLE_TYPE_UNKNOWN]:
        # the expression is `empty` itself: its value is empty, whatever the type
        text, first_line = _source("empty", variables, None, discard=True)
        result = compile_sources([SourceFile("<eval>", text)])
    if result.app is None:
        raise CompileError(_map(d, first_line, expression) for d in result.diagnostics)
    flow = result.app.names.callables[f"{MODULE}.Expression"].decl
    assert isinstance(flow, ir.Flow)
    statements = flow.body.statements
    found: t.Type = t.EMPTY
    if statements and isinstance(statements[0], ir.Declare) and statements[0].value is not None:
        found = result.app.expression_types.get(id(statements[0].value), t.EMPTY)
    returns = _type_text(found)
    if returns is not None:
        text, first_line = _source(expression, variables, returns)
        result = compile_sources([SourceFile("<eval>", text)])
    if result.app is None:  # pragma: no cover - the same expression checked above
        raise CompileError(_map(d, first_line, expression) for d in result.diagnostics)
    warnings = [_map(d, first_line, expression) for d in result.warnings]
    return Prepared(result.app, f"{MODULE}.Expression", dict(variables), warnings)
