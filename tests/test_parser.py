"""The parser: IR shape and positions, and syntax errors in words."""

from __future__ import annotations

import pytest

from nanoflow import ir
from nanoflow.parser import parse_source
from nanoflow.source import SourceFile


def parse(text: str) -> ir.ModuleFile:
    tree, problems = parse_source(SourceFile("t.nf", text))
    assert tree is not None and problems == [], problems
    return tree


def syntax_error(text: str) -> tuple[str, int, int, str, str, str]:
    tree, problems = parse_source(SourceFile("t.nf", text))
    assert tree is None and len(problems) == 1
    d = problems[0]
    return d.code, d.span.line, d.span.column, d.message, d.label, d.help


def test_spans_are_one_based_and_cover_keywords() -> None:
    tree = parse("module M\nnanoflow F() {\n  commit $o\n}")
    flow = tree.declarations[0]
    assert isinstance(flow, ir.Flow)
    stmt = flow.body.statements[0]
    assert isinstance(stmt, ir.Commit)
    assert (stmt.span.line, stmt.span.column, stmt.span.end_column) == (3, 3, 12)
    assert (flow.body.span.line, flow.body.span.end_line) == (2, 4)


def test_precedence_is_mendix() -> None:
    tree = parse("module M\nnanoflow F() { declare $x = 1 + 2 * 3 > 4 and not(true) or false }")
    flow = tree.declarations[0]
    assert isinstance(flow, ir.Flow)
    decl = flow.body.statements[0]
    assert isinstance(decl, ir.Declare)
    top = decl.value
    assert isinstance(top, ir.Logical) and top.op == "or"
    left = top.left
    assert isinstance(left, ir.Logical) and left.op == "and"
    cmp = left.left
    assert isinstance(cmp, ir.Compare) and cmp.op == ">"
    add = cmp.left
    assert isinstance(add, ir.Binary) and add.op == "+"
    assert isinstance(add.right, ir.Binary) and add.right.op == "*"


def test_soft_keywords_work_as_names_where_the_language_allows() -> None:
    tree = parse(
        "module M\nnanoflow F($to: String, $first: Integer) {\n"
        "  call nanoflow G(to = $to, first = $first)\n"
        "  declare $s = sort($l, Total desc)\n"
        "  declare $o = System.owner\n}"
    )
    flow = tree.declarations[0]
    assert isinstance(flow, ir.Flow)
    call = flow.body.statements[0]
    assert isinstance(call, ir.Call)
    assert [a.name.text for a in call.arguments] == ["to", "first"]


def test_strings_quote_doubling_and_xpath_tokens() -> None:
    tree = parse(
        "module M\nnanoflow F() {\n  declare $s = 'It''s'\n"
        "  $l = retrieve E where [System.owner = '[%CurrentUser%]']\n}"
    )
    flow = tree.declarations[0]
    assert isinstance(flow, ir.Flow)
    decl = flow.body.statements[0]
    assert isinstance(decl, ir.Declare) and isinstance(decl.value, ir.StringLit)
    assert decl.value.value == "It's"
    retrieve = flow.body.statements[1]
    assert isinstance(retrieve, ir.RetrieveDb)
    compare = retrieve.constraints[0].expr
    assert isinstance(compare, ir.XPathCompare)
    assert isinstance(compare.right, ir.TokenRef) and compare.right.name == "CurrentUser"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "module M\nnanoflow F() {\n  return 1\n  log info 'x'\n}",
            (
                "NF001",
                4,
                3,
                "unexpected `log`",
                "expected `}`",
                "`return`, `raise`, `break` and `continue` end their block: "
                "only `}` may follow them",
            ),
        ),
        (
            'module M\nnanoflow F() { log info "x" }',
            (
                "NF002",
                2,
                25,
                'unexpected `"`',
                "not part of the language",
                "strings are written in single quotes: 'text' (a quote inside is '')",
            ),
        ),
        (
            "module M\nnanoflow F() { log info 'x }",
            (
                "NF002",
                2,
                25,
                "unterminated string",
                "not part of the language",
                "close the string with `'` (a quote inside a string is written '')",
            ),
        ),
        (
            "module M\nnanoflow F() {",
            ("NF003", 2, 15, "unexpected end of file", "expected a statement or `}`", ""),
        ),
        (
            "entity E {}",
            ("NF001", 1, 1, "unexpected `entity`", "expected `module`", ""),
        ),
    ],
)
def test_syntax_errors_say_what_was_expected_in_words(
    text: str, expected: tuple[str, int, int, str, str, str]
) -> None:
    assert syntax_error(text) == expected
