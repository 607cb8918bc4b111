"""The parser: lark LALR with a contextual lexer, lowering straight to IR.

Built once per process, and kept whole in the per-user cache on disk
(`nanoflow/parser_cache.py`; lark's own cache keeps the grammar's analysis for a rebuild).
Syntax errors become diagnostics that name what was expected in words, never lark terminal
names.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from nanoflow import ir, package_data, parser_cache, regex_cache
from nanoflow.codes import Code
from nanoflow.diagnostics import Diagnostic
from nanoflow.disk_cache import lark_cache
from nanoflow.gc_pause import gc_paused
from nanoflow.lowering import Lowering
from nanoflow.names import GRAMMAR_WORDS
from nanoflow.source import SourceFile, Span

_lock = threading.Lock()
_parser: Lark | None = None
_compiled_regex: regex_cache.CachedRe | None = None
_lowering = Lowering()


def grammar_text() -> str:
    """The text of `grammar/nanoflow.lark`."""
    return package_data.read_text("grammar/nanoflow.lark")


_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "maybe_placeholders": False,
    "start": ["start", "xpath_query"],
}


def _get_parser() -> Lark:
    global _parser, _compiled_regex
    if _parser is None:
        grammar = grammar_text()
        key = parser_cache.key(grammar, _OPTIONS)
        _parser = parser_cache.load(key, _lowering)
        if _parser is None:
            _parser = Lark(grammar, transformer=_lowering, cache=lark_cache(), **_OPTIONS)
            parser_cache.store(_parser, key, _lowering)
        _compiled_regex = regex_cache.install(_parser, grammar)
    return _parser


def _keep_compiled_regex() -> None:
    if _compiled_regex is not None:
        _compiled_regex.save()


def parse_source(source: SourceFile) -> tuple[ir.ModuleFile | None, list[Diagnostic]]:
    """Parse one file: its IR (None after a syntax error) and the problems found."""
    with _lock:
        parser = _get_parser()
        _lowering.file = source.path
        _lowering.sink.items.clear()
        _lowering.sink._seen.clear()
        try:
            with gc_paused():
                tree = parser.parse(source.text, start="start")
        except UnexpectedInput as error:
            return None, [syntax_diagnostic(source, error)]
        finally:
            _keep_compiled_regex()
        problems = list(_lowering.sink.items)
    assert isinstance(tree, ir.ModuleFile)
    return tree, problems


def parse_xpath(
    source: SourceFile,
) -> tuple[tuple[ir.XPathConstraint, ...] | None, list[Diagnostic]]:
    """Parse XPath constraints alone (`[A = 1][B = 2]`): their IR, or the problems found."""
    with _lock:
        parser = _get_parser()
        _lowering.file = source.path
        _lowering.sink.items.clear()
        _lowering.sink._seen.clear()
        try:
            found = parser.parse(source.text, start="xpath_query")
        except UnexpectedInput as error:
            return None, [syntax_diagnostic(source, error)]
        finally:
            _keep_compiled_regex()
        problems = list(_lowering.sink.items)
    assert isinstance(found, tuple)
    return found, problems


# ---- syntax error messages -------------------------------------------------------------------

_WORDS: dict[str, str] = {
    "NAME": "a name",
    "QNAME": "a qualified name",
    "VARIABLE": "a variable (`$name`)",
    "STRING": "a string",
    "INT": "an integer",
    "DECIMAL": "a decimal number",
    "TOKEN": "a token (`[%Name%]`)",
    "XP_FUNCTION": "`contains(`, `starts-with(` or `ends-with(`",
    "$END": "the end of the file",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "SLASH": "`/`",
    "STAR": "`*`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "LESSTHAN": "`<`",
    "MORETHAN": "`>`",
    "__ANON_0": "`!=`",
}

_STATEMENT_WORDS = {
    "DECLARE", "SET", "CHANGE", "COMMIT", "ROLLBACK", "DELETE", "ADD", "REMOVE", "CLEAR",
    "IF", "SWITCH", "FOR", "WHILE", "CALL", "SHOW", "CLOSE", "VALIDATION", "LOG",
    "SYNCHRONIZE", "CANCEL",
}  # fmt: skip
_DECLARATION_WORDS = {
    "ENUMERATION", "ENTITY", "ASSOCIATION", "ROLE", "ACCESS", "OFFLINE", "NANOFLOW",
    "MICROFLOW", "PAGE", "ACTION",
}  # fmt: skip
_EXPRESSION_STARTS = {
    "STRING", "INT", "DECIMAL", "TRUE", "FALSE", "EMPTY", "VARIABLE", "TOKEN", "NOT", "MINUS",
    "LPAR", "NAME", "QNAME",
}  # fmt: skip
_END_WORDS = {"RETURN", "RAISE", "BREAK", "CONTINUE"}
_OPERATORS = {"=", "!=", "<", ">", "<=", ">=", "+", "-", "*", ":", "div", "mod", "and", "or"}


def _terminal_words(parser: Lark) -> dict[str, str]:
    words = dict(_WORDS)
    for term in parser.terminals:
        pattern = term.pattern
        if pattern.type == "str" and term.name not in words:
            words[term.name] = f"`{pattern.value}`"
    return words


def describe_expected(expected: set[str], parser: Lark) -> list[str]:
    """Turn a set of lark terminal names into words, grouping statements and expressions."""
    words = _terminal_words(parser)
    expected = set(expected)
    groups: list[str] = []
    if len(expected & _STATEMENT_WORDS) >= 5:
        expected -= _STATEMENT_WORDS | _END_WORDS | {"VARIABLE", "ON"}
        groups.append("a statement")
    if len(expected & _DECLARATION_WORDS) >= 5:
        expected -= _DECLARATION_WORDS
        groups.append("a declaration")
    if len(expected & _EXPRESSION_STARTS) >= 7:
        expected -= _EXPRESSION_STARTS | {"IF"}
        groups.append("an expression")
    operators = {name for name in expected if words.get(name, "").strip("`") in _OPERATORS}
    if len(operators) >= 6:
        expected -= operators
        groups.append("an operator")
    rest = sorted(words.get(name, name.lower()) for name in expected)
    return groups + rest


def _if_operand(source: SourceFile, span: Span) -> bool:
    before = source.line(span.line)[: span.column - 1]
    return re.search(r"([-+*:=<>]|\b(and|or|div|mod))\s*$", before) is not None


def _word_before(source: SourceFile, span: Span) -> str:
    match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", source.line(span.line)[: span.column - 1])
    return match.group(1) if match else ""


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    text = str(token)
    return f"`{text}`" if len(text) <= 30 else f"`{text[:27]}...`"


def syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    """A diagnostic for a lark parse error."""
    parser = _get_parser()
    help_text = ""
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            line = source.line_count
            col = len(source.line(line)) + 1
            span = Span(source.path, line, col, line, col + 1)
            code = Code.UNEXPECTED_END
            message = "unexpected end of file"
        else:
            span = Span(
                source.path,
                token.line or 1,
                token.column or 1,
                token.end_line or token.line or 1,
                token.end_column or (token.column or 1) + 1,
            )
            code = Code.UNEXPECTED_TOKEN
            message = f"unexpected {_describe_token(token)}"
            if str(token) == "/" and source.text.startswith("/*", token.start_pos or 0):
                return Diagnostic(
                    Code.UNEXPECTED_CHARACTER,
                    "unterminated block comment",
                    span,
                    label="this comment is never closed",
                    help="close the comment with `*/`",
                )
        expected = set(getattr(error, "accepts", None) or error.expected)
        words = describe_expected(expected, parser)
        label = f"expected {_join(words)}" if words else "not expected here"
        if (
            "RBRACE" in expected
            and not expected & _STATEMENT_WORDS
            and (token.type in _STATEMENT_WORDS or token.type == "VARIABLE")
            and "THEN" not in expected
        ):
            help_text = (
                "`return`, `raise`, `break` and `continue` end their block: "
                "only `}` may follow them"
            )
        elif str(token) == "if" and _if_operand(source, span):
            help_text = "an `if ... then ... else ...` used as an operand must be in parentheses"
        elif str(token) == "/" and source.line(span.line)[: span.column - 1].rstrip().endswith(")"):
            help_text = (
                "to read a member of a function's result, assign the result to a variable "
                "first: `declare $x = ...` then `$x/Member`"
            )
        elif str(token) == ":" and (word := _word_before(source, span)) in GRAMMAR_WORDS:
            help_text = f"`{word}` is a word of the language and cannot name an attribute"
        elif expected and expected <= {"CALL", "CAST", "CREATE", "RETRIEVE"}:
            help_text = (
                "`$x =` takes an activity; to store an expression write `declare $x = ...` "
                "(a new variable) or `set $x = ...`"
            )
        elif {"ALL", "UNSYNCHRONIZED"} <= expected:
            help_text = "write `synchronize all` to synchronize all objects"
        elif token.type == "__ANON_0" or str(token) in ("=", "<", ">", "<=", ">="):
            before = source.line(span.line)[max(span.column - 2, 0) : span.column - 1]
            if (before, str(token)) == ("=", "="):
                help_text = "equality is one `=`: write `a = b`"
            elif (before, str(token)) == ("<", ">"):
                help_text = "not equal is written `!=`: write `a != b`"
            elif not expected & {"EQUAL", "LESSTHAN", "MORETHAN"}:
                help_text = "comparisons do not chain: write `a < b and b < c`"
        elif "STRING" not in expected and '"' in source.line(span.line):
            help_text = "strings are written in single quotes: 'text'"
        return Diagnostic(code, message, span, label=label, help=help_text)
    if isinstance(error, UnexpectedCharacters):
        line, column = error.line, error.column
        pos = error.pos_in_stream or 0
        char = source.text[pos] if pos < len(source.text) else ""
        span = Span(source.path, line, column, line, column + 1)
        if char == ";":
            message = "unexpected `;`"
            help_text = "statements end by themselves: no semicolons are needed"
        elif char == '"':
            message = 'unexpected `"`'
            help_text = "strings are written in single quotes: 'text' (a quote inside is '')"
        elif char == "'":
            message = "unterminated string"
            help_text = "close the string with `'` (a quote inside a string is written '')"
        elif source.text.startswith("/*", pos):
            message = "unterminated block comment"
            help_text = "close the comment with `*/`"
        else:
            message = f"unexpected character `{char}`"
        label = "not part of the language"
        return Diagnostic(Code.UNEXPECTED_CHARACTER, message, span, label=label, help=help_text)
    if isinstance(error, UnexpectedEOF):
        line = source.line_count
        col = len(source.line(line)) + 1
        span = Span(source.path, line, col, line, col + 1)
        words = describe_expected(set(error.expected), parser)
        return Diagnostic(
            Code.UNEXPECTED_END, "unexpected end of file", span, label=f"expected {_join(words)}"
        )
    span = Span(source.path, 1, 1, 1, 2)  # pragma: no cover - lark raises only the above
    return Diagnostic(Code.UNEXPECTED_TOKEN, str(error), span)  # pragma: no cover
