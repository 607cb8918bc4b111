"""Every example of LANGUAGE.md parses and compiles as part of the sales app (samples/sales).

LANGUAGE.md says: "Every example on it must parse, compile and behave as described (fragments
shown without their `module` line or enclosing flow are parts of one)", and "the project keeps
that app, with every piece the fragments name, as `samples/sales`, and it compiles clean".

- Whole-file blocks (they start with `module` or with a declaration word; the `offline { ... }`
  block is one of them) must parse, and each of their declarations must be in samples/sales,
  identical up to source positions (offline entries are compared one by one: the sample's profile
  also lists the entities the fragments use without showing them offline). That samples/sales
  compiles clean is `tests/test_samples.py`.
- Statement fragments are wrapped into a flow of module `Sales` whose parameters are the
  fragment's free variables (typed by `VARIABLE_TYPES`), added as one more file to the sample's
  sources, and the whole app must compile without any diagnostic.
"""

from __future__ import annotations

import difflib
import pprint
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from nanoflow import ir
from nanoflow.parser import parse_source
from nanoflow.source import SourceFile

REPO = Path(__file__).resolve().parents[1]
SPEC = Path(__file__).resolve().parents[2] / "shared/spec/LANGUAGE.md"
SAMPLE = REPO / "samples/sales"
MODULE = "Sales"

SKIPPED_FENCES = {"text", "python"}
DECLARATION_WORDS = {
    "module", "enumeration", "entity", "association", "role", "access", "offline", "nanoflow",
    "microflow", "page", "action",
}  # fmt: skip

# The type of every free variable a fragment uses: a parameter of the wrapping flow.
VARIABLE_TYPES: dict[str, str] = {
    "order": "Order",
    "customer": "Customer",
    "orders": "List of Order",
    "others": "List of Order",
    "lines": "List of OrderLine",
    "tags": "List of Tag",
    "doc": "System.FileDocument",
    "text": "String",
    "note": "String",
    "value": "Boolean",
    "count": "Integer",
}

# Variables that exist without a declaration (Mendix's implicit variables).
IMPLICIT_VARIABLES = {"latestError", "currentIndex", "currentObject", "currentResult"}

# What a wrapper returns at its end when the fragment returns a value of that type but may end
# without a `return`.
DEFAULT_RETURN = {"Boolean": "false", "String": "''", "Integer": "0", "Decimal": "0"}

Mode = Literal["skip", "per-statement", "by-flow-kind"]


@dataclass(frozen=True)
class Special:
    """How to treat a block that the generic rules cannot wrap, and why."""

    mode: Mode
    reason: str


# Keyed by the start of the block's first line (a run of whitespace counts as one space).
# The default for statement fragments: the whole fragment becomes the body of one nanoflow.
SPECIAL_CASES: dict[str, Special] = {
    "nanoflow check APP": Special(
        "skip",
        "section 9 shows shell commands (the CLI contract) in an unlabeled fence; it is not .nf",
    ),
    "$open = retrieve Order where": Special(
        "per-statement",
        "section 7.3 uses $customer on its second line and declares it by the retrieve on its "
        "fourth: these are separate examples, not one flow (a variable is declared at most once "
        "and must be declared before use)",
    ),
    "synchronize all // all objects": Special(
        "by-flow-kind",
        "section 7.8 mixes nanoflow-only activities with `synchronize to device`, which is for "
        "microflows only: the latter goes into a microflow wrapper",
    ),
}


# ---- the blocks of LANGUAGE.md -------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One fenced code block: `line` is the 1-based line of its first code line."""

    line: int
    info: str
    text: str

    @property
    def first_line(self) -> str:
        for line in self.text.splitlines():
            if line.strip():
                return " ".join(line.split())
        return ""

    @property
    def special(self) -> Special | None:
        for key, special in SPECIAL_CASES.items():
            if self.first_line.startswith(key):
                return special
        return None

    @property
    def kind(self) -> Literal["skip", "file", "fragment"]:
        special = self.special
        if self.info in SKIPPED_FENCES or (special is not None and special.mode == "skip"):
            return "skip"
        return "file" if first_word(self.text) in DECLARATION_WORDS else "fragment"


_LEADING_TRIVIA = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_WORD = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*")


def first_word(text: str) -> str:
    """The first word of a block after whitespace and comments ('' if none)."""
    start = _LEADING_TRIVIA.match(text)
    word = _WORD.match(text, start.end() if start else 0)
    return word.group(0) if word else ""


def extract_blocks(markdown: str) -> list[Block]:
    """Every fenced code block of a Markdown text, in order."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            info = line[3:].strip()
            body: list[str] = []
            index += 1
            start = index + 1
            while index < len(lines) and not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            blocks.append(Block(start, info, "\n".join(body) + "\n"))
        index += 1
    return blocks


def spec_blocks() -> list[Block]:
    return extract_blocks(SPEC.read_text(encoding="utf-8")) if SPEC.is_file() else []


def block_params(kind: str) -> list[Any]:
    """pytest parameters for the blocks of one kind (a skip when LANGUAGE.md is absent)."""
    if not SPEC.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SPEC} not found"))]
    return [pytest.param(b, id=f"L{b.line}") for b in spec_blocks() if b.kind == kind]


# ---- parsing helpers -----------------------------------------------------------------------------


def parse(name: str, text: str) -> ir.ModuleFile:
    """Parse a file; fail the test with the diagnostics if it has a syntax error or problems."""
    module, problems = parse_source(SourceFile(name, text))
    if module is None or problems:
        details = "\n".join(f"{d}  ({d.label})" if d.label else str(d) for d in problems)
        pytest.fail(f"{name} does not parse cleanly:\n{details}\n\n{numbered(text)}")
    return module


def numbered(text: str) -> str:
    return "\n".join(f"{n:4} | {line}" for n, line in enumerate(text.splitlines(), 1))


def walk(node: object) -> Iterator[ir.Node]:
    """Every IR node below (and including) `node`."""
    if isinstance(node, ir.Node):
        yield node
        for field in ir.fields(node):
            yield from walk(getattr(node, field))
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)


def sample_sources() -> list[SourceFile]:
    paths = sorted(SAMPLE.rglob("*.nf"))
    return [SourceFile.read(path, str(path.relative_to(REPO))) for path in paths]


# ---- whole-file blocks ---------------------------------------------------------------------------

DeclKey = tuple[str, ...]


def _short(text: str) -> str:
    prefix = MODULE + "."
    return text[len(prefix) :] if text.startswith(prefix) else text


def declaration_items(module: ir.ModuleFile) -> Iterator[tuple[DeclKey, ir.Node]]:
    """Each declaration of a file under a key of kind and name (offline entries one by one)."""
    for decl in module.declarations:
        if isinstance(decl, ir.OfflineProfile):
            for entry in decl.entries:
                yield ("offline entry", _short(entry.entity.text)), entry
        elif isinstance(decl, ir.AccessRule):
            yield ("access", _short(decl.entity.text), _short(decl.role.text)), decl
        elif isinstance(decl, ir.Flow):
            yield (decl.kind, decl.name.text), decl
        else:
            yield (type(decl).__name__.lower(), decl.name.text), decl


def without_spans(value: Any) -> Any:
    """A node's `ir.to_data()` with every source position left out."""
    if isinstance(value, dict):
        return {k: without_spans(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list | tuple):
        return [without_spans(v) for v in value]
    return value


def sample_declarations() -> dict[DeclKey, tuple[str, ir.Node]]:
    found: dict[DeclKey, tuple[str, ir.Node]] = {}
    for source in sample_sources():
        module = parse(source.path, source.text)
        assert module.module.text == MODULE, f"{source.path} is not in module {MODULE}"
        for key, node in declaration_items(module):
            found.setdefault(key, (source.path, node))
    return found


def as_file(block: Block) -> str:
    """A whole-file block as a file: with a `module Sales` line if it has none."""
    if first_word(block.text) == "module":
        return block.text
    return f"module {MODULE}\n{block.text}"


@pytest.mark.parametrize("block", block_params("file"))
def test_whole_file_block_is_in_sample(block: Block) -> None:
    name = f"LANGUAGE.md@{block.line}.nf"
    module = parse(name, as_file(block))
    assert module.module.text == MODULE, f"{name}: examples belong to module {MODULE}"
    items = list(declaration_items(module))
    assert items, f"{name} declares nothing"
    sample = sample_declarations()
    problems: list[str] = []
    for key, node in items:
        if key not in sample:
            problems.append(f"{' '.join(key)}: not declared in samples/sales")
            continue
        path, twin = sample[key]
        expected = pprint.pformat(without_spans(ir.to_data(node)), width=100).splitlines()
        actual = pprint.pformat(without_spans(ir.to_data(twin)), width=100).splitlines()
        if expected != actual:
            diff = "\n".join(
                difflib.unified_diff(expected, actual, "LANGUAGE.md", path, lineterm="")
            )
            problems.append(f"{' '.join(key)}: differs from {path}:{twin.span.line}\n{diff}")
    if problems:
        pytest.fail(f"{name}:\n" + "\n".join(problems))


# ---- statement fragments -------------------------------------------------------------------------

PROBE_HEAD = f"module {MODULE}\nnanoflow Probe() {{\n"
PROBE_LINES = PROBE_HEAD.count("\n")


@dataclass(frozen=True)
class Piece:
    """One top-level statement of a fragment: its source text and IR."""

    text: str
    stmt: ir.Stmt


def split_statements(block: Block) -> list[Piece]:
    """The fragment's top-level statements, each with its text (up to the next statement)."""
    probe = parse(f"LANGUAGE.md@{block.line}.nf", PROBE_HEAD + block.text + "}\n")
    flow = probe.declarations[0]
    assert isinstance(flow, ir.Flow)
    statements = flow.body.statements
    assert statements, f"the block at LANGUAGE.md line {block.line} has no statement"
    line_starts = [0] + [m.end() for m in re.finditer("\n", block.text)]

    def offset(stmt: ir.Stmt) -> int:
        return line_starts[stmt.span.line - PROBE_LINES - 1] + stmt.span.column - 1

    starts = [offset(stmt) for stmt in statements] + [len(block.text)]
    return [Piece(block.text[starts[i] : starts[i + 1]], stmt) for i, stmt in enumerate(statements)]


def declared_variables(nodes: list[ir.Stmt]) -> set[str]:
    names: set[str] = set()
    for node in walk(tuple(nodes)):
        if isinstance(node, ir.Declare | ir.For):
            names.add(node.variable.name)
        output = getattr(node, "output", None)
        if isinstance(output, ir.Variable):
            names.add(output.name)
    return names


def free_variables(nodes: list[ir.Stmt]) -> list[str]:
    """Variables used but not declared by these statements, in order of first use."""
    declared = declared_variables(nodes) | IMPLICIT_VARIABLES
    names = [n.name for n in walk(tuple(nodes)) if isinstance(n, ir.Variable)]
    return [name for name in dict.fromkeys(names) if name not in declared]


def return_type(nodes: list[ir.Stmt]) -> str | None:
    """The type of the values the statements return (None when they return none)."""
    for node in walk(tuple(nodes)):
        if isinstance(node, ir.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ir.Variable):
                if value.name not in VARIABLE_TYPES:
                    pytest.fail(f"add the type of the returned ${value.name} to VARIABLE_TYPES")
                return VARIABLE_TYPES[value.name]
            literal_types = {
                ir.BooleanLit: "Boolean",
                ir.StringLit: "String",
                ir.IntegerLit: "Integer",
                ir.DecimalLit: "Decimal",
            }
            for cls, name in literal_types.items():
                if isinstance(value, cls):
                    return name
            return "Boolean"
    return None


def wrap(name: str, kind: str, pieces: list[Piece]) -> str:
    """A flow of module Sales whose body is these statements."""
    stmts = [piece.stmt for piece in pieces]
    free = free_variables(stmts)
    unknown = [f"${v}" for v in free if v not in VARIABLE_TYPES]
    if unknown:
        pytest.fail(f"add the type of {', '.join(unknown)} to VARIABLE_TYPES")
    params = ", ".join(f"${v}: {VARIABLE_TYPES[v]}" for v in free)
    returns = return_type(stmts)
    head = f"{kind} {name}({params})" + (f" returns {returns}" if returns else "")
    body = "".join(p.text if p.text.endswith("\n") else p.text + "\n" for p in pieces)
    tail = ""
    if returns is not None and not isinstance(stmts[-1], ir.Return | ir.Raise):
        tail = f"  return {DEFAULT_RETURN.get(returns, 'empty')}\n"
    return f"{head} {{\n{body}{tail}}}\n"


def wrapped_source(block: Block) -> str:
    """The file that puts a fragment into module Sales: one flow, or one per group."""
    pieces = split_statements(block)
    special = block.special
    base = f"Example_L{block.line}"
    flows: list[str] = []
    if special is None:
        flows.append(wrap(base, "nanoflow", pieces))
    elif special.mode == "per-statement":
        flows.extend(wrap(f"{base}_{i}", "nanoflow", [p]) for i, p in enumerate(pieces, 1))
    elif special.mode == "by-flow-kind":
        client = [p for p in pieces if not isinstance(p.stmt, ir.SyncToDevice)]
        server = [p for p in pieces if isinstance(p.stmt, ir.SyncToDevice)]
        assert client and server, f"LANGUAGE.md line {block.line} no longer mixes flow kinds"
        flows.append(wrap(f"{base}_nanoflow", "nanoflow", client))
        flows.append(wrap(f"{base}_microflow", "microflow", server))
    else:  # pragma: no cover - skipped blocks are not fragments
        raise AssertionError(special.mode)
    origin = f"// LANGUAGE.md line {block.line}, wrapped by {Path(__file__).name}"
    return f"module {MODULE}\n\n{origin}\n" + "\n".join(flows)


@pytest.mark.parametrize("block", block_params("fragment"))
def test_fragment_wrapper_parses(block: Block) -> None:
    name = f"LANGUAGE.md@{block.line}.nf"
    module = parse(name, wrapped_source(block))
    assert all(isinstance(d, ir.Flow) for d in module.declarations)


@pytest.mark.parametrize("block", block_params("fragment"))
def test_fragment_compiles_in_sample(block: Block) -> None:
    from nanoflow.compiler import compile_sources

    name = f"LANGUAGE.md@{block.line}.nf"
    text = wrapped_source(block)
    result = compile_sources([*sample_sources(), SourceFile(name, text)])
    if result.diagnostics:
        diagnostics = "\n".join(str(d) for d in result.diagnostics)
        pytest.fail(f"{diagnostics}\n\n{name}:\n{numbered(text)}")
    assert result.app is not None, "no diagnostics, but no app either"


# ---- the extraction itself -----------------------------------------------------------------------


@pytest.mark.skipif(not SPEC.is_file(), reason=f"{SPEC} not found")
def test_special_cases_each_match_one_block() -> None:
    blocks = spec_blocks()
    for key in SPECIAL_CASES:
        matches = [b.line for b in blocks if b.first_line.startswith(key)]
        assert len(matches) == 1, f"special case {key!r} matches the blocks at lines {matches}"


@pytest.mark.skipif(not SPEC.is_file(), reason=f"{SPEC} not found")
def test_spec_has_examples_of_each_kind() -> None:
    kinds = [b.kind for b in spec_blocks()]
    assert kinds.count("file") >= 3, "expected the domain, security and offline examples"
    assert kinds.count("fragment") >= 8, "expected the statement examples of section 7"


def test_extract_blocks_and_first_word() -> None:
    text = "intro\n```text\nx\n```\n\n```\n// c\n/* d */ module Sales\n```\n"
    blocks = extract_blocks(text)
    assert [(b.line, b.info, b.text) for b in blocks] == [
        (3, "text", "x\n"),
        (7, "", "// c\n/* d */ module Sales\n"),
    ]
    assert [b.kind for b in blocks] == ["skip", "file"]
    assert first_word("  $x = create Order") == "$x"


def test_free_variables_and_return_type() -> None:
    block = Block(1, "", "$l = create list of Order\nadd $order to $l\nreturn $value\n")
    stmts = [piece.stmt for piece in split_statements(block)]
    assert free_variables(stmts) == ["order", "value"]
    assert return_type(stmts) == "Boolean"
    source = wrapped_source(block)
    assert "nanoflow Example_L1($order: Order, $value: Boolean) returns Boolean {" in source
    assert source.rstrip().endswith("return $value\n}")
