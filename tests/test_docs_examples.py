"""Every ```nf block of the user docs compiles as the docs claim.

A block starting with `module` is a whole app; other declarations join `samples/sales`;
statement fragments are wrapped in a nanoflow (``nf microflow`` for a microflow) whose
parameters are the free variables, typed by `TYPES`. ``nf fails=NF123`` expects exactly that
error code (``nf warns=NF701`` that warning code); ``nf returns=T`` gives the wrapper a
return type; ``nf sample`` adds a whole module to the
sales app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanoflow.compiler import compile_sources
from nanoflow.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
# runtime.md runs its examples in tests/runtime/test_docs_runtime_examples.py, embedding.md its
# synchronization examples in tests/test_docs_run_examples.py; cli.md and the rest of
# embedding.md build on example apps of their own, run by hand when written.
DOCS = [ROOT / "docs" / "language.md", ROOT / "docs" / "diagnostics.md"]
SAMPLE = ROOT / "samples" / "sales"
DECLARATION_WORDS = {
    "module", "enumeration", "entity", "association", "role", "access", "offline",
    "nanoflow", "microflow", "page", "action",
}  # fmt: skip
TYPES = {
    "order": "Order", "customer": "Customer", "orders": "List of Order", "others": "List of Order",
    "lines": "List of OrderLine", "line": "OrderLine", "tags": "List of Tag", "tag": "Tag",
    "doc": "System.FileDocument", "text": "String", "note": "String", "count": "Integer",
    "total": "Decimal", "photo": "OrderPhoto", "name": "String", "limit": "Integer",
    "flag": "Boolean", "when": "DateTime", "status": "OrderStatus", "number": "Long",
    "customers": "List of Customer", "amount": "Decimal", "code": "String",
}  # fmt: skip
IMPLICIT = {"latestError", "currentIndex", "currentObject", "currentResult"}
TRIVIA = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)


def blocks() -> Iterator[tuple[str, int, list[str], str]]:
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        index = 0
        while index < len(lines):
            if lines[index].startswith("```"):
                info = lines[index][3:].strip().split()
                start = index + 2
                body: list[str] = []
                index += 1
                while not lines[index].startswith("```"):
                    body.append(lines[index])
                    index += 1
                if info and info[0] == "nf":
                    yield doc.name, start, info[1:], "\n".join(body) + "\n"
            index += 1


def first_word(text: str) -> str:
    match = TRIVIA.match(text)
    assert match is not None
    word = re.match(r"\$?\w+", text[match.end() :])
    return word.group(0) if word else ""


def wrap(line: int, options: list[str], text: str) -> str:
    code = re.sub(r"'(?:[^']|'')*'", "''", text)
    declared = set(re.findall(r"declare \$(\w+)", code)) | set(re.findall(r"for \$(\w+) in", code))
    declared |= set(re.findall(r"(?m)^\s*\$(\w+)\s*=", code))
    used = list(dict.fromkeys(re.findall(r"\$(\w+)", code)))
    free = [v for v in used if v not in declared and v not in IMPLICIT]
    missing = [v for v in free if v not in TYPES]
    assert not missing, f"line {line}: add types for {missing} to TYPES"
    kind = "microflow" if "microflow" in options else "nanoflow"
    returns = next((o.split("=", 1)[1] for o in options if o.startswith("returns=")), None)
    params = ", ".join(f"${v}: {TYPES[v]}" for v in free)
    head = f"{kind} Doc_L{line}({params})" + (f" returns {returns}" if returns else "")
    return f"module Sales\n{head} {{\n{text}}}\n"


BLOCKS = list(blocks())


def test_docs_have_examples() -> None:
    assert len(BLOCKS) >= 50


@pytest.mark.parametrize(
    ("doc", "line", "options", "text"), BLOCKS, ids=[f"{d}:{n}" for d, n, _, _ in BLOCKS]
)
def test_doc_example(doc: str, line: int, options: list[str], text: str) -> None:
    fails = sorted(
        {c for o in options if o.startswith("fails=") for c in o.split("=", 1)[1].split(",")}
    )
    warns = sorted(
        {c for o in options if o.startswith("warns=") for c in o.split("=", 1)[1].split(",")}
    )
    word = first_word(text)
    files: dict[str, str] = {}
    if word == "module" and "sample" not in options:
        files["doc.nf"] = text
    else:
        files = {p.name: p.read_text() for p in SAMPLE.glob("*.nf")}
        if word == "module":
            files["doc.nf"] = text
        elif word in DECLARATION_WORDS:
            files["doc.nf"] = "module Sales\n" + text
        else:
            files["doc.nf"] = wrap(line, options, text)
    result = compile_sources([SourceFile(name, body) for name, body in files.items()])
    codes = sorted({d.code for d in result.errors})
    warned = sorted({d.code for d in result.warnings})
    assert (codes, warned) == (fails, warns), (
        "\n".join(str(d) for d in result.diagnostics) + "\n" + files["doc.nf"]
    )
