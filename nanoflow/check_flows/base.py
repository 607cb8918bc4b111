"""The core of the flow checker: variables on every path, the dispatch of statements, error
handlers and where each activity may run. The statement kinds are checked in the family modules
beside this one (`variables`, `objects`, `retrieves`, `calls`, `control`, `client`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import ExpressionChecker
from nanoflow.check_xpath import XPathChecker
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.names import CallableInfo, NameTable, suggest
from nanoflow.source import Span
from nanoflow.statements import ACTIVITIES, Activity, RunsOn, child_blocks

# `None` stands for "no path reaches here" (after return/raise/break/continue).
Defined = frozenset[str] | None

IMPLICIT = {"currentIndex": t.INTEGER, "latestError": t.STRING}


def meet(a: Defined, b: Defined) -> Defined:
    """The variables declared on both paths (`None`: a path that does not arrive)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


@dataclass
class FlowContext:
    module: str
    flow: ir.Flow
    info: CallableInfo
    declared_in_text: set[str]
    types: dict[str, t.Type] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    readonly: set[str] = field(default_factory=set)
    loops: int = 0
    handlers: int = 0

    @property
    def nanoflow(self) -> bool:
        return self.flow.kind == "nanoflow"


def _collect_declarations(block: ir.Block, into: set[str]) -> None:
    for stmt in block.statements:
        output = getattr(stmt, "output", None)
        if isinstance(stmt, (ir.Declare, ir.For)):
            into.add(stmt.variable.name)
        elif output is not None:
            into.add(output.name)
        for child in child_blocks(stmt):
            _collect_declarations(child, into)


class FlowCheckerBase:
    """State of the check of one flow, and what every statement family uses."""

    # The `check_<Statement>` method of each statement kind (set on the composed `FlowChecker`).
    checks: ClassVar[dict[type[ir.StmtBase], Callable[[Any, Any], Defined]]] = {}

    def __init__(
        self,
        names: NameTable,
        sink: DiagnosticSink,
        module: str,
        flow: ir.Flow,
        expr_types: dict[int, t.Type],
    ) -> None:
        self.names = names
        self.sink = sink
        info = names.callables[f"{module}.{flow.name.text}"]
        declared: set[str] = {p.variable.name for p in flow.parameters}
        _collect_declarations(flow.body, declared)
        self.ctx = FlowContext(module, flow, info, declared)
        self.defined: frozenset[str] = frozenset()
        self.exprs = ExpressionChecker(names, sink, module, self._lookup, expr_types)
        self.xpath = XPathChecker(self.exprs, allow_variables=True)

    def error(self, code: Code, message: str, span: Span, label: str = "", help: str = "") -> None:
        self.sink.error(code, message, span, label=label, help=help)

    # ---- variables ----------------------------------------------------------------------------

    def _lookup(self, var: ir.Variable) -> t.Type:
        found = self._find(var)
        self.exprs.types[id(var)] = found
        return found

    def _find(self, var: ir.Variable) -> t.Type:
        name = var.name
        ctx = self.ctx
        if name in self.defined:
            return ctx.types.get(name, t.ERROR)
        if name == "latestError" and ctx.handlers:
            return t.STRING
        if name == "currentIndex" and ctx.loops:
            return t.INTEGER
        if name in ctx.declared_in_text:
            self.error(
                Code.NOT_DECLARED_ON_EVERY_PATH,
                f"variable `${name}` is not declared on every path to this use",
                var.span,
                label="may not exist here",
                help="declare it before the `if`, `switch` or loop that sets it",
            )
            return ctx.types.get(name, t.ERROR)
        if name in IMPLICIT:
            where = "an error handler" if name == "latestError" else "a loop"
            self.error(
                Code.UNKNOWN_VARIABLE,
                f"`${name}` exists only inside {where}",
                var.span,
                label="not available here",
            )
            return t.ERROR
        self.error(
            Code.UNKNOWN_VARIABLE,
            f"unknown variable `${name}`",
            var.span,
            label=f"not declared in {ctx.flow.kind} `{ctx.info.qname}`",
            help=suggest("$" + name, ["$" + n for n in ctx.declared_in_text]),
        )
        return t.ERROR

    def declare(self, var: ir.Variable, type_: t.Type, readonly: bool = False) -> None:
        ctx = self.ctx
        name = var.name
        if name in IMPLICIT:
            self.error(
                Code.VARIABLE_DECLARED_TWICE,
                f"`${name}` is a built-in variable and cannot be declared",
                var.span,
                label="choose another name",
            )
        elif name in ctx.types:
            first = ctx.spans[name]
            self.error(
                Code.VARIABLE_DECLARED_TWICE,
                f"variable `${name}` is declared twice",
                var.span,
                label="second declaration",
                help=f"the first declaration is at line {first.line}; use `set ${name} = ...` "
                "to change it",
            )
        else:
            ctx.types[name] = type_
            ctx.spans[name] = var.span
            if readonly:
                ctx.readonly.add(name)
        self.defined = self.defined | {name}

    # ---- entry ----------------------------------------------------------------------------------

    def check(self) -> None:
        flow = self.ctx.flow
        for param in flow.parameters:
            if param.variable.name not in self.ctx.types:
                self.declare(
                    param.variable, self.ctx.info.parameters.get(param.variable.name, t.ERROR)
                )
        end = self.block(flow.body, self.defined)
        returns = self.ctx.info.returns
        if end is not None and returns not in (None, t.NOTHING):
            closing = flow.body.span
            self.error(
                Code.MISSING_RETURN,
                f"{flow.kind} `{self.ctx.info.qname}` returns {t.describe(returns or t.ERROR)} "
                "but can end without `return`",
                Span(
                    closing.file,
                    closing.end_line,
                    closing.end_column - 1,
                    closing.end_line,
                    closing.end_column,
                ),
                label="the flow can reach its end here",
                help="add a `return` on every path (or `raise` an error)",
            )

    def block(self, block: ir.Block, defined: Defined) -> Defined:
        if defined is None:
            return None
        self.defined = defined
        state: Defined = defined
        for stmt in block.statements:
            state = self.statement(stmt, state if state is not None else frozenset())
        return state

    def branch(self, block: ir.Block | None, defined: frozenset[str]) -> Defined:
        if block is None:
            return defined
        return self.block(block, defined)

    # ---- statements ---------------------------------------------------------------------------

    def statement(self, stmt: ir.Stmt, defined: frozenset[str]) -> Defined:
        self.defined = defined
        handler = stmt.handler
        if handler is not None and isinstance(stmt, ir.For | ir.While):
            self.error(
                Code.HANDLER_ON_LOOP,
                "a loop cannot have an error handler",
                handler.span,
                label="not allowed on `for` or `while`",
                help="put the handler on the activities inside the loop",
            )
            handler = None
        after = self._dispatch(stmt)
        if handler is None:
            return after
        output = getattr(stmt, "output", None)
        handled: Defined
        if handler.kind == "continue":
            handled = defined
        else:
            assert handler.body is not None
            self.ctx.handlers += 1
            try:
                handled = self.block(handler.body, defined)
            finally:
                self.ctx.handlers -= 1
        if handled is not None and output is not None:
            handled = handled | {output.name}
        result = meet(after, handled)
        self.defined = result if result is not None else frozenset()
        return result

    def _dispatch(self, stmt: ir.Stmt) -> Defined:
        activity = ACTIVITIES[type(stmt)]
        if activity.runs_on is not RunsOn.ANYWHERE:
            self.placement(stmt, activity)
        return self.checks[type(stmt)](self, stmt)

    def placement(self, stmt: ir.Stmt, activity: Activity) -> None:
        """Report an activity used where it cannot run (client, synchronization)."""
        nanoflow = self.ctx.nanoflow
        if activity.runs_on is RunsOn.CLIENT and not nanoflow:
            self.error(
                Code.CLIENT_ACTIVITY_IN_MICROFLOW,
                f"{activity.words} is a client activity: microflows run on the "
                "server and cannot use it",
                stmt.span,
                label="nanoflows only",
            )
        elif activity.runs_on is RunsOn.DEVICE_SYNC and not nanoflow:
            self.error(
                Code.SYNC_ACTIVITY_IN_MICROFLOW,
                f"{activity.words} runs on the device: microflows cannot use it",
                stmt.span,
                label="nanoflows only",
                help="a microflow can push objects to the calling device with "
                "`synchronize to device`",
            )
        elif activity.runs_on is RunsOn.SERVER and nanoflow:
            self.error(
                Code.SYNC_TO_DEVICE_IN_NANOFLOW,
                f"{activity.words} runs on the server: only microflows can use it",
                stmt.span,
                label="microflows only",
                help="in a nanoflow, use `synchronize $object`",
            )
