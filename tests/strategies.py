"""Hypothesis strategies for `.nf` text: token soup, mutated apps, and type-correct apps."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from hypothesis import strategies as st
from program_gen import ENTITY_WORDS, AppGenerator, Sizes

__all__ = ["DrawChooser", "mutated_apps", "soup_tokens", "token_soup", "valid_apps"]

_GRAMMAR = Path(__file__).resolve().parent.parent / "grammar" / "nanoflow.lark"

_PUNCTUATION = (
    "{", "}", "(", ")", "[", "]", ",", ":", "=", "!=", "<=", ">=", "<", ">", "+", "-", "*",
    "/", ".", "$", "%", "[%", "%]", "'", "''", "//", "/*", "*/",
)  # fmt: skip
_TYPE_NAMES = (
    "String", "String(200)", "Integer", "Long", "Decimal", "Boolean", "DateTime", "AutoNumber",
    "HashedString", "Binary", "List", "List of Order", "Object",
)  # fmt: skip
_NAMES = (
    "Order", "Customer", "Sales.Order", "Sales.OrderStatus.Placed", "OrderStatus.Draft",
    "System.User", "System.owner", "System.Image", "NanoflowCommons.GenerateUniqueID",
    "Order_Customer", "Sales", "M", "Status", "Total", "Name", "round", "toString", "count",
    "sum", "length", "addDays", "formatDateTime", "contains", "starts-with", "head", "sort",
    "id", "ACT_Order_Place", "Draft", "Placed", "User",
)  # fmt: skip
_VARIABLES = (
    "$order", "$o", "$list", "$latestError", "$currentIndex", "$currentObject",
    "$currentResult", "$to", "$first", "$x",
)  # fmt: skip
_SPECIAL_TOKENS = (
    "[%CurrentUser%]", "[%CurrentDateTime%]", "[%BeginOfCurrentDay%]", "[%Nope%]",
    "'[%CurrentUser%]'", "true()", "false()",
)  # fmt: skip
_ODD = (
    "'unterminated", "/* unterminated", '"double"', "\x00", "\t", "\r\n", "#", "@", ";", "`",
    "\\", "é", "🙂", "\u200b", "99999999999999999999999", "1.", ".5", "0.000000001",
    "9223372036854775808", "-9223372036854775809", "1e10",
)  # fmt: skip


@cache
def soup_tokens() -> tuple[str, ...]:
    """Real tokens of the language: every quoted literal of the grammar, plus the above."""
    words: set[str] = set()
    try:
        text = _GRAMMAR.read_text("utf-8")
    except OSError:  # pragma: no cover - the grammar ships with the repo
        text = ""
    for literal in re.findall(r'"((?:[^"\\]|\\.)+)"', text):
        if not literal.startswith("\\"):
            words.add(literal)
    words.update(("starts-with", "ends-with", "contains"))
    return (
        tuple(sorted(words)) + _PUNCTUATION + _TYPE_NAMES + _NAMES + _VARIABLES + (_SPECIAL_TOKENS)
    )


_identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


def _string_literal() -> st.SearchStrategy[str]:
    return st.text(max_size=12).map(lambda s: "'" + s.replace("'", "''") + "'")


def _token() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(soup_tokens()),
        st.sampled_from(soup_tokens()),
        st.sampled_from(soup_tokens()),
        _identifier,
        _identifier.map(lambda s: "$" + s),
        _identifier.map(lambda s: f"[%{s}%]"),
        st.tuples(_identifier, _identifier).map(".".join),
        _string_literal(),
        st.integers(min_value=0, max_value=10**22).map(str),
        st.decimals(min_value=0, max_value=10**6, places=3).map(str),
        st.sampled_from(_ODD),
        st.characters(),
    )


_SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "", "\n  ", "\t", " // c\n", " /* c */ "])


@st.composite
def token_soup(draw: st.DrawFn, max_tokens: int = 120) -> str:
    """Random sequences of the language's tokens, sometimes after a `module` line."""
    tokens = draw(st.lists(st.tuples(_token(), _SEPARATORS), max_size=max_tokens))
    body = "".join(tok + sep for tok, sep in tokens)
    prefix = draw(st.sampled_from(["", "", "module M\n", "module Sales\n", "module "]))
    return prefix + body


class DrawChooser:
    """A `program_gen.Chooser` backed by hypothesis draws (so examples shrink)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(min_value=low, max_value=high))


SMALL = Sizes(
    enums=(0, 3),
    entities=(1, 4),
    roles=(1, 2),
    flows=(1, 4),
    top_statements=(0, 6),
    nested_statements=(0, 3),
    depth=2,
    expr_depth=2,
    params=(0, 3),
    shuffle=True,
)


@st.composite
def valid_apps(draw: st.DrawFn, sizes: Sizes = SMALL) -> str:
    """Type-correct apps built from random declarations, statements and expressions."""
    module = draw(st.sampled_from(["Sales", "M", "Inventory", "Field_Service"]))
    return AppGenerator(DrawChooser(draw), sizes, module=module).generate()


_SPLIT = re.compile(r"('(?:[^']|'')*'|\s+|[A-Za-z_$][\w.]*|\[%\w+%\]|[0-9.]+|.)")


@st.composite
def mutated_apps(draw: st.DrawFn) -> str:
    """A valid app with a few tokens deleted, duplicated, swapped or replaced by soup."""
    text = draw(valid_apps())
    pieces = [p for p in _SPLIT.findall(text) if p]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not pieces:
            break
        i = draw(st.integers(min_value=0, max_value=len(pieces) - 1))
        op = draw(st.integers(min_value=0, max_value=4))
        if op == 0:
            del pieces[i]
        elif op == 1:
            pieces.insert(i, pieces[i])
        elif op == 2:
            j = draw(st.integers(min_value=0, max_value=len(pieces) - 1))
            pieces[i], pieces[j] = pieces[j], pieces[i]
        elif op == 3:
            pieces[i] = draw(_token())
        else:
            pieces.insert(i, " " + draw(st.sampled_from(ENTITY_WORDS + soup_tokens())) + " ")
    return "".join(pieces)
