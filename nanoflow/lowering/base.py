"""What every part of the lowering uses: spans of tokens and nodes, names, variables."""

from __future__ import annotations

from typing import Any, cast

from lark import Token, Transformer

from nanoflow import ir
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.source import Span


def unquote(text: str) -> str:
    """The value of a `'...'` literal (`''` is one quote)."""
    return text[1:-1].replace("''", "'")


class LoweringBase(Transformer[Token, Any]):
    """Spans and names; `file` and `sink` are set before each parse."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<input>"
        self.sink = DiagnosticSink()

    # ---- spans and names ----------------------------------------------------------------------

    def _sp(self, item: Any) -> Span:
        if isinstance(item, Token):
            return Span(self.file, item.line, item.column, item.end_line, item.end_column)  # type: ignore[arg-type]
        if isinstance(item, tuple):
            return cast(Span, item[-1])
        return cast(Span, item.span)

    def _span(self, first: Any, last: Any) -> Span:
        a = self._sp(first)
        b = self._sp(last)
        return Span(self.file, a.line, a.column, b.end_line, b.end_column)

    def _ident(self, tok: Token) -> ir.Ident:
        return ir.Ident(span=self._sp(tok), text=str(tok))

    def _var(self, tok: Token) -> ir.Variable:
        return ir.Variable(span=self._sp(tok), name=str(tok)[1:])
