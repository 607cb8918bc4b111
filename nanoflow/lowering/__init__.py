"""Lowering: lark callbacks that build IR nodes while the LALR parser runs (no parse tree).

Keywords are named terminals, so every callback sees where its construct starts; punctuation
is dropped by lark. Helper rules return small tagged tuples that their parent unpacks. The
callbacks are named after grammar rules and live in one class per part of the grammar.
"""

from __future__ import annotations

from nanoflow.lowering.base import unquote
from nanoflow.lowering.callables import CallableLowering
from nanoflow.lowering.declarations import DeclarationLowering
from nanoflow.lowering.statements import StatementLowering
from nanoflow.lowering.xpath import XPathLowering

__all__ = ["PARTS", "Lowering", "unquote"]

PARTS: tuple[type, ...] = (
    DeclarationLowering,
    CallableLowering,
    StatementLowering,
    XPathLowering,
)
"""The parts of the lowering, one per part of the grammar (no callback name in two of them)."""


class Lowering(DeclarationLowering, CallableLowering, StatementLowering, XPathLowering):
    """The lowering of the whole grammar: `file` and `sink` are set before each parse."""
