"""The broken corpus: `.nf` files in `tests/cases/broken/` with their expected diagnostics inline.

An expectation is a line comment that starts with `//~`:

    set $total = $totl + 1
//~ NF201 @18 unknown variable

`//~ CODE @COL fragment` expects a diagnostic with that code on the nearest line above that is
not itself a `//~` line, at that 1-based column, whose message contains `fragment` (a
case-sensitive substring; it may be left out). `//~ CODE @LINE:COL fragment` names the line
explicitly (for errors at a flow's closing `}` or at the end of the file). An optional
`help: fragment` at the end also requires the diagnostic's help text (a did-you-mean) to contain
that fragment.

Each file must produce exactly the expected set of (code, line, column): nothing missing and
nothing extra. A syntax error stops a file's checking, so such a file has one expectation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from nanoflow.diagnostics import Diagnostic
from nanoflow.parser import parse_source
from nanoflow.source import SourceFile

CASES = Path(__file__).parent / "cases" / "broken"
FILES = sorted(CASES.glob("*.nf"))
SYNTAX_CODES = frozenset({"NF001", "NF002", "NF003"})

_MARK = re.compile(r"^\s*//~")
_EXPECTATION = re.compile(
    r"""^\s*//~\s+
        (?P<code>NF\d{3})\s+
        @(?:(?P<line>\d+):)?(?P<column>\d+)
        (?:\s+(?P<rest>.*?))?\s*$""",
    re.VERBOSE,
)
_HELP = re.compile(r"(?:^|\s+)help:\s*(?P<help>.*)$")

Key = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Expectation:
    """One expected diagnostic, and the line of the `//~` comment that asked for it."""

    code: str
    line: int
    column: int
    fragment: str
    help: str
    comment_line: int

    @property
    def key(self) -> Key:
        return (self.code, self.line, self.column)

    def matches(self, diagnostic: Diagnostic) -> bool:
        return (
            (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == self.key
            and self.fragment in diagnostic.message
            and self.help in diagnostic.help
        )

    def __str__(self) -> str:
        text = f"{self.line}:{self.column}: {self.code}"
        if self.fragment:
            text += f" ...{self.fragment}..."
        if self.help:
            text += f" (help: ...{self.help}...)"
        return text


def parse_expectations(text: str) -> list[Expectation]:
    """The `//~` expectations of a file's text; a malformed one raises ValueError."""
    expectations: list[Expectation] = []
    target = 0  # the last line that is not a `//~` line
    for number, line in enumerate(text.split("\n"), start=1):
        if not _MARK.match(line):
            target = number
            continue
        found = _EXPECTATION.match(line)
        if found is None:
            raise ValueError(f"line {number}: malformed expectation: {line.strip()}")
        rest = found["rest"] or ""
        help_fragment = ""
        helped = _HELP.search(rest)
        if helped is not None:
            help_fragment = helped["help"].strip()
            rest = rest[: helped.start()]
        if found["line"] is not None:
            line_number = int(found["line"])
        elif target == 0:
            raise ValueError(f"line {number}: an expectation without a line above it")
        else:
            line_number = target
        expectations.append(
            Expectation(
                found["code"],
                line_number,
                int(found["column"]),
                rest.strip(),
                help_fragment,
                number,
            )
        )
    return expectations


def _excerpt(source: SourceFile, line: int, column: int) -> str:
    text = source.line(line)
    return f"    | {text}\n    | {' ' * (column - 1)}^"


def compare(
    source: SourceFile, expected: Sequence[Expectation], actual: Sequence[Diagnostic]
) -> list[str]:
    """Problems (empty if none) when the diagnostics do not match the expectations."""
    ours = [d for d in actual if d.span.file == source.path]
    problems: list[str] = [f"diagnostic in another file: {d}" for d in actual if d not in ours]
    expected_keys = {e.key for e in expected}
    actual_keys = {(d.code, d.span.line, d.span.column) for d in ours}
    for e in expected:
        if e.key not in actual_keys:
            problems.append(f"missing {e}\n{_excerpt(source, e.line, e.column)}")
        elif not any(e.matches(d) for d in ours):
            got = [f"{d.message!r} (help: {d.help!r})" for d in ours if e.key == _key(d)]
            problems.append(f"wrong message for {e}: got {'; '.join(got)}")
    for d in ours:
        if _key(d) not in expected_keys:
            problems.append(f"unexpected {d}\n{_excerpt(source, d.span.line, d.span.column)}")
    return problems


def _key(d: Diagnostic) -> Key:
    return (d.code, d.span.line, d.span.column)


def _report(
    path: Path, expected: Sequence[Expectation], actual: Sequence[Diagnostic], problems: list[str]
) -> str:
    lines = [f"{path.name}: diagnostics do not match the expectations", "", "expected:"]
    lines += [f"  {e}" for e in sorted(expected, key=lambda e: (e.line, e.column, e.code))]
    lines += ["", "actual:"]
    lines += [f"  {d}" for d in sorted(actual, key=lambda d: d.sort_key)] or ["  (none)"]
    lines += ["", "problems:"] + [f"  {p}" for p in problems]
    return "\n".join(lines)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_broken_file(path: Path) -> None:
    from nanoflow.compiler import compile_sources

    source = SourceFile.read(path)
    expected = parse_expectations(source.text)
    actual = list(compile_sources([source]).diagnostics)
    problems = compare(source, expected, actual)
    assert not problems, _report(path, expected, actual, problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_broken_file_parses_as_intended(path: Path) -> None:
    """Syntax cases fail to parse exactly as expected; all others parse (the parser alone)."""
    source = SourceFile.read(path)
    expected = parse_expectations(source.text)
    tree, problems = parse_source(source)
    if any(e.code in SYNTAX_CODES for e in expected):
        assert len(expected) == 1, "a file with a syntax error has exactly one expectation"
        assert tree is None, f"{path.name} parsed, but a syntax error was expected"
        mismatch = compare(source, expected, problems)
        assert not mismatch, _report(path, expected, problems, mismatch)
    else:
        assert tree is not None, f"{path.name} should parse: {[str(p) for p in problems]}"
        keys = {e.key for e in expected}
        stray = [str(p) for p in problems if _key(p) not in keys]
        assert not stray, f"{path.name}: unexpected parser problems {stray}"


def test_corpus_is_large_and_every_file_expects_something() -> None:
    assert len(FILES) >= 50, f"only {len(FILES)} broken files"
    empty = [p.name for p in FILES if not parse_expectations(p.read_text(encoding="utf-8"))]
    assert not empty, f"files without expectations: {empty}"


def test_file_names_are_topic_and_what() -> None:
    bad = [p.name for p in FILES if not re.fullmatch(r"[a-z]+_[a-z0-9_]+\.nf", p.name)]
    assert not bad, f"names not of the form <topic>_<what>.nf: {bad}"


def test_expectation_parser() -> None:
    text = "\n".join(
        [
            "module M",  # 1
            "nanoflow F() {",  # 2
            "  set $total = $totl + 1",  # 3
            "//~ NF201 @16 unknown variable `$totl` help: `$total`",  # 4
            "   //~ NF301 @16",  # 5: still about line 3
            "}",  # 6
            "//~ NF309 @6:1 can end without",  # 7
            "//~ NF003 @9:1",  # 8
        ]
    )
    got = parse_expectations(text)
    assert [(e.code, e.line, e.column, e.fragment, e.help) for e in got] == [
        ("NF201", 3, 16, "unknown variable `$totl`", "`$total`"),
        ("NF301", 3, 16, "", ""),
        ("NF309", 6, 1, "can end without", ""),
        ("NF003", 9, 1, "", ""),
    ]
    assert [e.comment_line for e in got] == [4, 5, 7, 8]
    with pytest.raises(ValueError, match="malformed"):
        parse_expectations("module M\n//~ NF201 18 no at-sign\n")
    with pytest.raises(ValueError, match="without a line above"):
        parse_expectations("//~ NF001 @1 first line\n")


def test_compare_reports_missing_extra_and_wrong_message() -> None:
    from nanoflow.source import Span

    source = SourceFile("t.nf", "module M\nnanoflow F() {\n  log info $x\n}\n")
    expected = parse_expectations(source.text + "//~ NF201 @3:12 unknown variable\n")
    right = Diagnostic("NF201", "unknown variable `$x`", Span("t.nf", 3, 12, 3, 14))
    assert compare(source, expected, [right]) == []
    worded = Diagnostic("NF201", "no such variable", Span("t.nf", 3, 12, 3, 14))
    assert compare(source, expected, [worded])[0].startswith("wrong message")
    extra = Diagnostic("NF304", "wrong type", Span("t.nf", 3, 3, 3, 6))
    problems = compare(source, expected, [right, extra])
    assert len(problems) == 1 and problems[0].startswith("unexpected")
    assert compare(source, expected, [])[0].startswith("missing")
