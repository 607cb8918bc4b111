"""The front end's driver: files → IR → name table → checks → compiled `App`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from nanoflow import disk_cache, ir, package_data
from nanoflow import types as t
from nanoflow.check_declarations import DeclarationChecker
from nanoflow.check_flows import FlowChecker
from nanoflow.codes import Code
from nanoflow.diagnostics import CompileError, Diagnostic, DiagnosticSink
from nanoflow.gc_pause import gc_paused
from nanoflow.names import CallableInfo, EntityInfo, NameTable
from nanoflow.parser import parse_source
from nanoflow.source import SourceFile, Span

BUILTIN_SOURCES = ("builtin/system.nf", "stdlib_actions/nanoflow_commons.nf")
"""The built-in modules' files, relative to the `nanoflow` package (read without importing
their packages: `nanoflow.stdlib_actions` is the runtime's)."""


# What the parsed built-in modules depend on besides their text (and every module of
# `nanoflow/lowering/`): a change to any of these makes the cached IR stale.
_PARSER_SOURCES = ("ir.py", "source.py", "parser.py", "grammar/nanoflow.lark")


def _parser_sources() -> list[bytes]:
    lowering = [f"lowering/{n}" for n in package_data.listdir("lowering") if n.endswith(".py")]
    return [package_data.read_bytes(r) for r in (*_PARSER_SOURCES, *lowering)]


@cache
def builtin_files() -> tuple[ir.ModuleFile, ...]:
    """The parsed built-in modules (System, NanoflowCommons), from the per-user cache on disk
    when it has them for these sources."""
    texts = [(r.rsplit("/", 1)[-1], package_data.read_text(r)) for r in BUILTIN_SOURCES]
    key = disk_cache.source_key(*(text for _, text in texts), *_parser_sources())
    cached = disk_cache.load("builtin-modules.pickle", key)
    if isinstance(cached, tuple) and all(isinstance(f, ir.ModuleFile) for f in cached):
        return cached
    files = []
    for name, text in texts:
        parsed, problems = parse_source(SourceFile(f"<builtin {name}>", text))
        assert parsed is not None and not problems, problems
        files.append(parsed)
    disk_cache.store("builtin-modules.pickle", key, tuple(files))
    return tuple(files)


@dataclass(frozen=True, eq=False, repr=False)
class App:
    """A compiled, checked app: its files, name table and the type of every expression."""

    files: tuple[ir.ModuleFile, ...]
    sources: dict[str, SourceFile]
    names: NameTable
    expression_types: dict[int, t.Type]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def modules(self) -> list[str]:
        return sorted(m for m in self.names.modules if m not in self.names.builtin_modules)

    def __repr__(self) -> str:
        """A short summary: `<App Shop: 1 file, 2 entities, 5 flows>` (not the whole IR)."""
        own = set(self.modules)
        entities = sum(1 for e in self.names.entities.values() if e.module in own)
        flows = sum(1 for f in self.flows().values() if f.module in own)
        files = len(self.sources)
        return (
            f"<App {', '.join(self.modules) or '(no modules)'}: "
            f"{files} file{'' if files == 1 else 's'}, "
            f"{entities} entit{'y' if entities == 1 else 'ies'}, "
            f"{flows} flow{'' if flows == 1 else 's'}>"
        )

    @property
    def entities(self) -> dict[str, EntityInfo]:
        return self.names.entities

    def flows(self) -> dict[str, CallableInfo]:
        """Nanoflows and microflows by qualified name."""
        return {
            q: c for q, c in self.names.callables.items() if c.kind in ("nanoflow", "microflow")
        }

    def find_flow(self, name: str) -> CallableInfo | None:
        """A flow by `Module.Name`, or by `Name` when only one module has it."""
        flows = self.flows()
        if name in flows:
            return flows[name]
        matches = [c for q, c in flows.items() if q.split(".", 1)[1] == name]
        return matches[0] if len(matches) == 1 else None


@dataclass
class CompileResult:
    app: App | None
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No errors (warnings may be present)."""
        return not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


def compile_sources(sources: Sequence[SourceFile]) -> CompileResult:
    """Parse and check every file together; problems of all files are reported in one run."""
    with gc_paused():
        return _compile(sources)


def _compile(sources: Sequence[SourceFile]) -> CompileResult:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sink = DiagnosticSink()
    parsed: list[ir.ModuleFile] = []
    builtin_names = {f.module.text for f in builtin_files()}
    for source in sources:
        tree, problems = parse_source(source)
        for problem in problems:
            sink.add(problem)
        if tree is None:
            continue
        if tree.module.text in builtin_names:
            sink.error(
                Code.BAD_FILES,
                f"module `{tree.module.text}` is built in: an app cannot add to it",
                tree.module.span,
                label="choose another module name",
            )
            continue
        parsed.append(tree)
    timings["parse"] = time.perf_counter() - start

    start = time.perf_counter()
    names = NameTable(sink)
    for builtin in builtin_files():
        names.add_file(builtin, builtin=True)
    for tree in parsed:
        names.add_file(tree)
    names.finish()
    timings["names"] = time.perf_counter() - start

    start = time.perf_counter()
    expr_types: dict[int, t.Type] = {}
    DeclarationChecker(names, sink, expr_types).check()
    for module, flow in names.flows:
        if f"{module}.{flow.name.text}" in names.callables and (
            names.callables[f"{module}.{flow.name.text}"].decl is flow
        ):
            FlowChecker(names, sink, module, flow, expr_types).check()
    timings["check"] = time.perf_counter() - start

    diagnostics = sorted(sink.items, key=lambda d: d.sort_key)
    app = None
    if not sink.has_errors:
        app = App(
            files=tuple(parsed),
            sources={s.path: s for s in sources},
            names=names,
            expression_types=expr_types,
            warnings=tuple(diagnostics),
        )
    return CompileResult(app, diagnostics, timings)


def find_sources(path: Path) -> list[Path]:
    """The `.nf` files of an app: the file itself, or every `.nf` file under a directory."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.nf") if ".nanoflow" not in p.parts)
    return [path]


def read_sources(path: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Read an app's files; a missing path or an empty directory is a diagnostic."""
    where = Span(str(path), 1, 1, 1, 1)
    if not path.exists():
        return [], [Diagnostic(Code.BAD_FILES, f"no such file or directory: {path}", where)]
    files = find_sources(path)
    if not files:
        return [], [Diagnostic(Code.BAD_FILES, f"no `.nf` files in {path}", where)]
    sources = []
    problems = []
    for file in files:
        try:
            sources.append(SourceFile.read(file))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(
                Diagnostic(
                    Code.BAD_FILES, f"cannot read {file}: {error}", Span(str(file), 1, 1, 1, 1)
                )
            )
    return sources, problems


def compile_path(path: str | Path) -> CompileResult:
    """Compile the app at a `.nf` file or a directory of them."""
    sources, problems = read_sources(Path(path))
    if problems:
        return CompileResult(None, problems)
    return compile_sources(sources)


def load(path: str | Path) -> App:
    """Parse and compile an app; raises `CompileError` with every diagnostic. Warnings do not
    raise: they are in `App.warnings`."""
    result = compile_path(path)
    if result.app is None:
        raise CompileError(result.diagnostics)
    return result.app


XPATH_FILE = "<xpath>"


def compile_xpath(app: App, entity: str, text: str) -> tuple[ir.XPathConstraint, ...]:
    """XPath constraints written as text (`[Status = 'Placed'][Total > 10]`), parsed and
    checked against `entity` of `app` alone (no flow, no variables). Raises `CompileError`
    whose diagnostics point into `text` (file `<xpath>`, line 1)."""
    from nanoflow.check_xpath import XPathChecker
    from nanoflow.parser import parse_xpath

    info = app.names.entities.get(entity)
    if info is None:
        raise ValueError(f"unknown entity `{entity}`")
    if not text.strip():
        return ()
    source = SourceFile(XPATH_FILE, text)
    constraints, problems = parse_xpath(source)
    if constraints is None or problems:
        raise CompileError(problems)
    sink = DiagnosticSink()
    checker = DeclarationChecker(app.names, sink, {})
    XPathChecker(checker.exprs(info.module), allow_variables=False).check(constraints, info.qname)
    if sink.items:
        raise CompileError(list(sink.items))
    return constraints
