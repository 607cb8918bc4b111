"""Printing IR expressions back to `.nf` text, with the parentheses precedence needs."""

from __future__ import annotations

from nanoflow import ir

# Binding strength, loosest first (LANGUAGE.md section 8).
_IF, _OR, _AND, _COMPARE, _ADD, _MUL, _UNARY, _ATOM = range(8)
_BINARY = {"+": _ADD, "-": _ADD, "*": _MUL, ":": _MUL, "div": _MUL, "mod": _MUL}


def print_expression(expr: ir.Expr) -> str:
    """The expression as source text; parsing it gives the same tree (positions aside)."""
    return _print(expr, _IF)


def _wrap(text: str, own: int, context: int) -> str:
    return f"({text})" if own < context else text


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _print(expr: ir.Expr, context: int) -> str:
    if isinstance(expr, ir.StringLit):
        return _string(expr.value)
    if isinstance(expr, ir.IntegerLit):
        return _wrap(str(expr.value), _UNARY if expr.value < 0 else _ATOM, context)
    if isinstance(expr, ir.DecimalLit):
        text = format(expr.value, "f")
        if "." not in text:
            text += ".0"
        return _wrap(text, _UNARY if expr.value < 0 else _ATOM, context)
    if isinstance(expr, ir.BooleanLit):
        return "true" if expr.value else "false"
    if isinstance(expr, ir.EmptyLit):
        return "empty"
    if isinstance(expr, ir.Variable):
        return f"${expr.name}"
    if isinstance(expr, ir.MemberPath):
        return f"${expr.variable.name}" + "".join("/" + s.text for s in expr.steps)
    if isinstance(expr, ir.NameRef):
        return expr.name.text
    if isinstance(expr, ir.TokenRef):
        return f"[%{expr.name}%]"
    if isinstance(expr, ir.Negate):
        return _wrap("-" + _print(expr.operand, _UNARY), _UNARY, context)
    if isinstance(expr, ir.Not):
        return f"not({_print(expr.operand, _IF)})"
    if isinstance(expr, ir.Binary):
        own = _BINARY[expr.op]
        op = f" {expr.op} "
        text = _print(expr.left, own) + op + _print(expr.right, own + 1)
        return _wrap(text, own, context)
    if isinstance(expr, ir.Compare):
        text = f"{_print(expr.left, _ADD)} {expr.op} {_print(expr.right, _ADD)}"
        return _wrap(text, _COMPARE, context)
    if isinstance(expr, ir.Logical):
        own = _OR if expr.op == "or" else _AND
        text = f"{_print(expr.left, own)} {expr.op} {_print(expr.right, own + 1)}"
        return _wrap(text, own, context)
    if isinstance(expr, ir.IfExpr):
        text = (
            f"if {_print(expr.condition, _IF)} then {_print(expr.then, _IF)} "
            f"else {_print(expr.otherwise, _IF)}"
        )
        return _wrap(text, _IF, context)
    if isinstance(expr, ir.FunctionCall):
        args = ", ".join(_argument(a) for a in expr.args)
        return f"{expr.name.text}({args})"
    raise AssertionError(f"cannot print {type(expr).__name__}")


def _argument(arg: ir.Expr | ir.SortKey) -> str:
    if isinstance(arg, ir.SortKey):
        return f"{_print(arg.key, _IF)} {'desc' if arg.descending else 'asc'}"
    return _print(arg, _IF)
