"""The diagnostic code registry (`nanoflow.codes.Code`) against its users, its documentation
(docs/diagnostics.md) and the broken-file corpus (tests/cases/broken/)."""

from __future__ import annotations

import re
from pathlib import Path

from nanoflow.codes import CODES, Code

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "diagnostics.md"
CORPUS = ROOT / "tests" / "cases" / "broken"
SOURCES = [
    path
    for folder in ("nanoflow", "runtime", "stdlib_actions")
    for path in sorted((ROOT / folder).rglob("*.py"))
]

# Codes that no single-file corpus case can produce (none today: every code has one).
NO_CORPUS_CASE: frozenset[str] = frozenset()

_CODE = re.compile(r"NF\d{3}")
_TABLE_ROW = re.compile(r"^\| \[(NF\d{3})\]\(#(nf\d{3})\) \| (.*) \|$", re.MULTILINE)
_SECTION = re.compile(r"^### (NF\d{3})$", re.MULTILINE)
_EXPECTED = re.compile(r"//~\s+(NF\d{3})")


def _documented() -> dict[str, str]:
    return {code: summary for code, _anchor, summary in _TABLE_ROW.findall(DOC.read_text())}


def _corpus_codes() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted(CORPUS.glob("*.nf")):
        for code in _EXPECTED.findall(path.read_text(encoding="utf-8")):
            used.setdefault(code, []).append(path.name)
    return used


def test_codes_are_well_formed_and_unique() -> None:
    values = [code.value for code in Code]
    assert len(values) == len(set(values))
    for code in Code:
        assert _CODE.fullmatch(code.value), code
        assert re.fullmatch(r"[A-Z][A-Z_]+", code.name), code.name
        assert code.summary and code.summary == code.summary.strip(), code
    assert {code.value: code.summary for code in Code} == CODES
    assert Code.UNKNOWN_VARIABLE == "NF201" and str(Code.UNKNOWN_VARIABLE) == "NF201"
    assert f"{Code.UNKNOWN_VARIABLE}" == "NF201"


def test_every_code_is_documented_with_its_summary() -> None:
    documented = _documented()
    assert documented == CODES, (
        f"missing from docs: {sorted(set(CODES) - set(documented))}; "
        f"documented but unknown: {sorted(set(documented) - set(CODES))}; "
        "summaries differ: "
        f"{sorted(c for c in set(CODES) & set(documented) if CODES[c] != documented[c])}"
    )


def test_every_code_has_a_section_in_the_docs() -> None:
    sections = _SECTION.findall(DOC.read_text())
    assert sorted(sections) == sorted(CODES)
    assert len(sections) == len(set(sections))
    for _code, anchor, _summary in _TABLE_ROW.findall(DOC.read_text()):
        assert anchor.upper() in sections


def test_corpus_uses_only_registered_codes() -> None:
    unknown = {code: files for code, files in _corpus_codes().items() if code not in CODES}
    assert not unknown, f"the corpus expects codes that do not exist: {unknown}"


def test_every_code_has_a_corpus_case() -> None:
    missing = sorted(set(CODES) - set(_corpus_codes()) - NO_CORPUS_CASE)
    assert not missing, f"codes without a case in tests/cases/broken/: {missing}"
    stale = sorted(NO_CORPUS_CASE & set(_corpus_codes()))
    assert not stale, f"NO_CORPUS_CASE lists codes that now have a case: {stale}"


def test_no_code_is_written_as_a_literal() -> None:
    """Emitting sites name codes through `Code`, so a typo cannot reach the output."""
    offenders = []
    for path in SOURCES:
        if path.name == "codes.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"[\"']NF\d{3}[\"']", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "literal codes:\n" + "\n".join(offenders)


def test_every_code_is_used_by_the_compiler() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    unused = [code.name for code in Code if f"Code.{code.name}" not in text]
    assert not unused, f"codes no part of the compiler reports: {unused}"
