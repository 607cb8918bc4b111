"""Flows compiled ahead of time to Python `async def`s (as Jinja compiles templates).

Each activity's first generated line is mapped back to its source span, so a runtime error
names the flow, the activity and its source line without any bookkeeping in the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Any, ClassVar

from nanoflow import ir
from nanoflow import types as t
from nanoflow.runtime.exprgen import Constants, ExprGen
from nanoflow.runtime.values import EnumValue
from nanoflow.source import Span
from nanoflow.statements import ACTIVITIES, handlers

if TYPE_CHECKING:
    from nanoflow.compiler import App
    from nanoflow.names import CallableInfo
    from nanoflow.runtime.query import Query


@dataclass
class CompiledFlow:
    """A flow ready to run: its Python function and the map back to the source."""

    info: CallableInfo
    flow: ir.Flow
    function: Any
    source: str
    lines: dict[int, tuple[Span, str]] = field(default_factory=dict)
    filename: str = ""

    def position(self, lineno: int) -> tuple[Span, str] | None:
        """The activity (span and name) whose generated code holds `lineno`."""
        best = None
        for line in sorted(self.lines):
            if line > lineno:
                break
            best = self.lines[line]
        return best


class FlowGen:
    """Generates the Python source of one flow: one `_<IR class>` method per statement kind."""

    # Each statement kind's `_<IR class>` method (`nanoflow.statements.handlers`, set below).
    generators: ClassVar[dict[type[ir.StmtBase], Any]] = {}

    def __init__(self, app: App, module: str, flow: ir.Flow, info: CallableInfo) -> None:
        self.app = app
        self.names = app.names
        self.module = module
        self.flow = flow
        self.info = info
        self.consts = Constants()
        self.exprs = ExprGen(app, module, self.consts)
        self.lines: list[str] = []
        self.line_spans: dict[int, tuple[Span, str]] = {}
        self.indent = 1
        self._labels = 0
        self.handlers: list[str] = []
        self.loops: list[str] = []
        self.nanoflow = flow.kind == "nanoflow"

    # ---- emitting ------------------------------------------------------------------------------

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def label(self, prefix: str) -> str:
        self._labels += 1
        return f"_{prefix}{self._labels}"

    def mark(self, stmt: ir.Stmt) -> None:
        """The next emitted line starts the code of `stmt`."""
        self.line_spans[len(self.lines) + 2] = (stmt.span, ACTIVITIES[type(stmt)].name)

    def const(self, value: Any, hint: str = "k") -> str:
        return self.consts.add(value, hint)

    def expr(self, e: ir.Expr) -> str:
        return self.exprs.gen(e)

    # ---- the flow ------------------------------------------------------------------------------

    def generate(self) -> CompiledFlow:
        params = ", ".join(f"v_{p.variable.name}" for p in self.flow.parameters)
        fname = "flow_" + self.info.qname.replace(".", "__")
        header = f"async def {fname}(_rt{', ' + params if params else ''}):"
        self.emit("_ctx = _rt.ctx")
        for param in self.flow.parameters:
            ptype = self.info.parameters.get(param.variable.name)
            if ptype == t.DECIMAL:
                self.emit(f"v_{param.variable.name} = _to_decimal(v_{param.variable.name})")
        self.block(self.flow.body)
        statements = self.flow.body.statements
        if not statements or not isinstance(statements[-1], ir.Return | ir.Raise):
            self.emit("return None")
        source = header + "\n" + "\n".join(self.lines) + "\n"
        filename = f"<nanoflow {self.info.qname}>"
        code: CodeType = compile(source, filename, "exec")
        namespace: dict[str, Any] = dict(runtime_globals())
        namespace.update(self.consts.values)
        exec(code, namespace)
        return CompiledFlow(
            self.info, self.flow, namespace[fname], source, self.line_spans, filename
        )

    def nested(self, block: ir.Block) -> None:
        """A block one indentation level deeper (the body of an `if`, loop, handler, ...)."""
        self.indent += 1
        self.block(block)
        self.indent -= 1

    def block(self, block: ir.Block) -> None:
        if not block.statements:
            self.emit("pass")
            return
        for stmt in block.statements:
            self.statement(stmt)

    # ---- statements ----------------------------------------------------------------------------

    def statement(self, stmt: ir.Stmt) -> None:
        handler = stmt.handler
        if handler is None:
            self.mark(stmt)
            self.activity(stmt)
            return
        if isinstance(stmt, ir.If | ir.Switch):
            self.guarded_decision(stmt, handler)
            return
        self.emit("try:")
        self.indent += 1
        self.mark(stmt)
        self.activity(stmt)
        self.indent -= 1
        self.handler(stmt, handler)

    def handler(self, stmt: ir.Stmt, handler: ir.ErrorHandler) -> None:
        err = self.label("e")
        self.emit(f"except _MendixError as {err}:")
        self.indent += 1
        self.emit(f"_rt.note_error({err}, _ctx)")
        output = getattr(stmt, "output", None)
        if output is not None:
            self.emit(f"v_{output.name} = None")
        if handler.kind == "custom":
            assert handler.body is not None
            self.emit(f"v_latestError = {err}.message")
            self.handlers.append(err)
            self.block(handler.body)
            self.handlers.pop()
        else:
            self.emit("pass")
        self.indent -= 1

    def guarded_decision(self, stmt: ir.If | ir.Switch, handler: ir.ErrorHandler) -> None:
        """A handler on `if`/`switch` covers the conditions only, not the branches."""
        choice = self.label("c")
        self.emit(f"{choice} = -1")
        self.emit("try:")
        self.indent += 1
        self.mark(stmt)
        if isinstance(stmt, ir.If):
            for index, branch in enumerate(stmt.branches):
                keyword = "if" if index == 0 else "elif"
                cond = self.exprs.boolean(branch.condition, "the condition of `if`")
                self.emit(f"{keyword} {cond}:")
                self.emit(f"    {choice} = {index}")
            self.emit("else:")
            self.emit(f"    {choice} = {len(stmt.branches)}")
        else:
            subject = self.label("s")
            self.emit(f"{subject} = {self.expr(stmt.subject)}")
            for index, case in enumerate(stmt.cases):
                keyword = "if" if index == 0 else "elif"
                self.emit(f"{keyword} {self.case_test(subject, case, stmt)}:")
                self.emit(f"    {choice} = {index}")
            if stmt.cases:
                self.emit("else:")
                self.emit(f"    {choice} = {len(stmt.cases)}")
            else:
                self.emit(f"{choice} = 0")
        self.indent -= 1
        self.handler(stmt, handler)
        bodies = (
            [b.body for b in stmt.branches]
            if isinstance(stmt, ir.If)
            else [c.body for c in stmt.cases]
        )
        if stmt.otherwise is not None:
            bodies.append(stmt.otherwise)
        for index, body in enumerate(bodies):
            self.emit(f"{'if' if index == 0 else 'elif'} {choice} == {index}:")
            self.nested(body)

    def activity(self, stmt: ir.Stmt) -> None:
        self.generators[type(stmt)](self, stmt)

    def target_value(self, value: ir.Expr, target: t.Type | None) -> str:
        return self.exprs.coerce(value, target)

    def _Declare(self, s: ir.Declare) -> None:
        var = f"v_{s.variable.name}"
        declared = self.names.resolve_type(s.type, self.module) if s.type is not None else None
        if s.value is not None:
            self.emit(f"{var} = {self.target_value(s.value, declared)}")
        elif isinstance(declared, t.ListType):
            self.emit(f"{var} = []")
        else:
            self.emit(f"{var} = None")

    def _Set(self, s: ir.Set) -> None:
        target = self.exprs.types.get(id(s.variable))
        self.emit(f"v_{s.variable.name} = {self.target_value(s.value, target)}")

    def members(self, entity: str, assignments: tuple[ir.MemberAssignment, ...]) -> str:
        info = self.names.entities[entity]
        parts = []
        for item in assignments:
            attr = info.attributes.get(item.member.text)
            if attr is not None:
                key = attr.name
            else:
                found = self.names.find_association(item.member, self.module, entity)
                assert found is not None
                key = found[0].qname
            parts.append(f"{self.const(key, 's')}: {self.expr(item.value)}")
        return "{" + ", ".join(parts) + "}"

    def entity_of(self, ident: ir.Ident) -> str:
        info = self.names.entities[self.names.qualify(ident.text, self.module)]
        return info.qname

    def _CreateObject(self, s: ir.CreateObject) -> None:
        entity = self.entity_of(s.entity)
        values = self.members(entity, s.assignments)
        self.emit(f"v_{s.output.name} = _rt.create_object({self.const(entity, 's')}, {values})")

    def _CreateList(self, s: ir.CreateList) -> None:
        self.emit(f"v_{s.output.name} = []")

    def _Cast(self, s: ir.Cast) -> None:
        entity = self.entity_of(s.entity)
        source = self.expr(s.source)
        what = self.const(f"${s.source.name}", "s")
        self.emit(f"v_{s.output.name} = _rt.cast({source}, {self.const(entity, 's')}, {what})")

    def xpath_values(self, query: Query) -> str:
        """A tuple display of the values of the variables and tokens a query uses."""
        items = [self.expr(node) for node in query.slots]
        return "(" + "".join(f"{item}, " for item in items) + ")"

    def _RetrieveDb(self, s: ir.RetrieveDb) -> None:
        entity = self.entity_of(s.entity)
        sort = tuple((item.attribute.text, item.descending) for item in s.sort)
        from nanoflow.runtime.query import Query

        query = Query.of(entity, s.constraints, sort, self.module)
        limit = self.expr(s.limit) if s.limit is not None else "None"
        offset = self.expr(s.offset) if s.offset is not None else "None"
        self.emit(
            f"v_{s.output.name} = await _rt.retrieve_query({self.const(query, 'q')}, "
            f"{self.xpath_values(query)}, {limit}, {offset}, {s.first})"
        )

    def _RetrieveAssoc(self, s: ir.RetrieveAssoc) -> None:
        source_type = self.exprs.types.get(id(s.source))
        entity = source_type.entity if isinstance(source_type, t.ObjectType) else "*"
        found = self.names.find_association(s.association, self.module, entity)
        assert found is not None
        assoc, side = found
        target = assoc.target if side == "source" else assoc.source
        many = side == "target" or assoc.many
        from nanoflow.runtime.query import Query

        query = Query.of(target, s.constraints, (), self.module, assoc.qname, side)
        what = self.const(f"${s.source.name}", "s")
        self.emit(
            f"v_{s.output.name} = await _rt.retrieve_assoc({self.expr(s.source)}, {what}, "
            f"{self.const(query, 'q')}, {self.xpath_values(query)}, {not many})"
        )

    def arguments(self, callee: CallableInfo | None, arguments: tuple[ir.Argument, ...]) -> str:
        parts = []
        for arg in arguments:
            target = callee.parameters.get(arg.name.text) if callee else None
            value = self.target_value(arg.value, target)
            if isinstance(target, t.ListType):
                value = f"_live({value})"
            parts.append(f"{self.const(arg.name.text, 's')}: {value}")
        return "{" + ", ".join(parts) + "}"

    def _Call(self, s: ir.Call) -> None:
        qname = self.names.qualify(s.target.text, self.module)
        callee = self.names.callables.get(qname)
        args = self.arguments(callee, s.arguments)
        method = {"nanoflow": "call_flow", "microflow": "call_microflow", "action": "call_action"}
        call = f"await _rt.{method[s.kind]}({self.const(qname, 's')}, {args})"
        if s.output is not None:
            self.emit(f"v_{s.output.name} = {call}")
        else:
            self.emit(call)

    def _Change(self, s: ir.Change) -> None:
        var_type = self.exprs.types.get(id(s.variable))
        entity = var_type.entity if isinstance(var_type, t.ObjectType) else "*"
        values = self.members(entity, s.assignments)
        what = self.const(f"${s.variable.name}", "s")
        self.emit(f"_rt.change({self.expr(s.variable)}, {values}, {what})")

    def _object_activity(self, s: ir.Commit | ir.Rollback | ir.Delete) -> None:
        """`commit`, `rollback` and `delete`: the runtime method of the same name."""
        what = self.const(f"${s.variable.name}", "s")
        self.emit(f"await _rt.{type(s).__name__.lower()}({self.expr(s.variable)}, {what})")

    _Commit = _Rollback = _Delete = _object_activity

    def _Add(self, s: ir.Add) -> None:
        unique = "True" if self.nanoflow else "False"
        what = self.const(f"${s.list.name}", "s")
        self.emit(f"_list_add(v_{s.list.name}, {self.expr(s.value)}, {unique}, {what})")

    def _Remove(self, s: ir.Remove) -> None:
        what = self.const(f"${s.list.name}", "s")
        self.emit(f"_list_remove(v_{s.list.name}, {self.expr(s.value)}, {what})")

    def _Clear(self, s: ir.Clear) -> None:
        what = self.const(f"${s.list.name}", "s")
        self.emit(f"_list_clear(v_{s.list.name}, {what})")

    def _If(self, s: ir.If) -> None:
        for index, branch in enumerate(s.branches):
            keyword = "if" if index == 0 else "elif"
            self.emit(f"{keyword} {self.exprs.boolean(branch.condition, 'the condition of `if`')}:")
            self.nested(branch.body)
        if s.otherwise is not None:
            self.emit("else:")
            self.nested(s.otherwise)

    def case_test(self, subject: str, case: ir.SwitchCase, stmt: ir.Switch) -> str:
        subject_type = self.exprs.types.get(id(stmt.subject))
        tests = []
        for value in case.values:
            if value.kind == "empty":
                tests.append(f"{subject} is None")
            elif value.kind in ("true", "false"):
                tests.append(f"{subject} is {value.kind == 'true'}")
            elif isinstance(subject_type, t.EnumType):
                enum = self.const(EnumValue.of(subject_type.enum, value.name), "e")
                tests.append(f"{subject} is {enum}")
        return " or ".join(tests) or "False"

    def _Switch(self, s: ir.Switch) -> None:
        subject = self.label("s")
        self.emit(f"{subject} = {self.expr(s.subject)}")
        keyword = "if"
        for case in s.cases:
            self.emit(f"{keyword} {self.case_test(subject, case, s)}:")
            self.nested(case.body)
            keyword = "elif"
        if s.otherwise is not None:
            if keyword == "if":
                self.block(s.otherwise)
                return
            self.emit("else:")
            self.nested(s.otherwise)

    def _SwitchType(self, s: ir.SwitchType) -> None:
        subject = self.label("s")
        self.emit(f"{subject} = {self.expr(s.variable)}")
        cases = sorted(
            s.cases,
            key=lambda c: -len(self.names.entities[self.entity_of(c.entity)].ancestors),
        )
        self.emit(f"if {subject} is None:")
        self.indent += 1
        if s.empty_case is not None:
            self.block(s.empty_case)
        elif s.otherwise is not None:
            self.block(s.otherwise)
        else:
            self.emit("pass")
        self.indent -= 1
        for case in cases:
            entity = self.const(self.entity_of(case.entity), "s")
            self.emit(f"elif _rt.is_a({subject}, {entity}):")
            self.nested(case.body)
        if s.otherwise is not None:
            self.emit("else:")
            self.nested(s.otherwise)

    def uses_index(self, block: ir.Block) -> bool:
        return "currentIndex" in _mentioned_variables(block)

    def _For(self, s: ir.For) -> None:
        index = self.label("ix")
        self.exprs.aliases.append({"currentIndex": index})
        self.emit(f"for {index}, v_{s.variable.name} in enumerate(_live({self.expr(s.iterable)})):")
        self.nested(s.body)
        self.exprs.aliases.pop()

    def _While(self, s: ir.While) -> None:
        counted = self.uses_index(s.body)
        index = self.label("ix")
        if counted:
            self.emit(f"{index} = -1")
        self.exprs.aliases.append({"currentIndex": index})
        cond = self.exprs.boolean(s.condition, "the condition of `while`")
        self.emit(f"while {cond}:")
        self.indent += 1
        if counted:
            self.emit(f"{index} += 1")
        self.block(s.body)
        self.indent -= 1
        self.exprs.aliases.pop()

    def _Return(self, s: ir.Return) -> None:
        if s.value is None:
            self.emit("return None")
        else:
            self.emit(f"return {self.target_value(s.value, self.info.returns)}")

    def _Raise(self, s: ir.Raise) -> None:
        if s.message is None:
            self.emit(f"raise {self.handlers[-1]}")
        else:
            self.emit(f"raise _MendixError(_text(_ctx, {self.expr(s.message)}))")

    def _Break(self, s: ir.Break) -> None:
        self.emit("break")

    def _Continue(self, s: ir.Continue) -> None:
        self.emit("continue")

    def _ShowMessage(self, s: ir.ShowMessage) -> None:
        kind = self.const(s.kind, "s")
        self.emit(
            f"await _rt.host.show_message({kind}, _text(_ctx, {self.expr(s.text)}), {s.blocking})"
        )

    def _ShowPage(self, s: ir.ShowPage) -> None:
        qname = self.names.qualify(s.page.text, self.module)
        args = self.arguments(self.names.callables.get(qname), s.arguments)
        self.emit(f"await _rt.host.show_page({self.const(qname, 's')}, {args})")

    def _ClosePage(self, s: ir.ClosePage) -> None:
        self.emit(f"await _rt.host.close_page({s.count})")

    def _ValidationFeedback(self, s: ir.ValidationFeedback) -> None:
        what = self.const(f"${s.variable.name}", "s")
        member = self.const(s.member.text, "s")
        self.emit(
            f"await _rt.host.validation_feedback(_obj({self.expr(s.variable)}, {what}), "
            f"{member}, _text(_ctx, {self.expr(s.text)}))"
        )

    def _Log(self, s: ir.Log) -> None:
        node = self.const(s.node, "s") if s.node is not None else "None"
        level = self.const(s.level, "s")
        self.emit(f"await _rt.host.log({level}, {node}, _text(_ctx, {self.expr(s.text)}))")

    def _SyncAll(self, s: ir.SyncAll) -> None:
        self.emit("await _rt.run_synchronization('all', [])")

    def _SyncUnsynchronized(self, s: ir.SyncUnsynchronized) -> None:
        self.emit("await _rt.run_synchronization('unsynchronized', [])")

    def _SyncSelected(self, s: ir.SyncSelected) -> None:
        items = ", ".join(self.expr(item) for item in s.items)
        self.emit(f"await _rt.run_synchronization('selected', [{items}])")

    def _CancelSync(self, s: ir.CancelSync) -> None:
        self.emit("await _rt.cancel_synchronization()")

    def _ClearFromDevice(self, s: ir.ClearFromDevice) -> None:
        self.emit(f"await _rt.clear_from_device({self.const(self.entity_of(s.entity), 's')})")

    def _SyncToDevice(self, s: ir.SyncToDevice) -> None:
        self.emit(f"await _rt.synchronize_to_device({self.expr(s.value)})")


FlowGen.generators = handlers(FlowGen, "_")


def _mentioned_variables(node: Any) -> set[str]:
    names: set[str] = set()
    pending = [node]  # a stack, not recursion: operator chains may be thousands of nodes long
    while pending:
        item = pending.pop()
        if isinstance(item, ir.Variable):
            names.add(item.name)
        elif isinstance(item, ir.Node):
            pending.extend(ir.values(item))
        elif isinstance(item, tuple):
            pending.extend(item)
    return names


def runtime_globals() -> dict[str, Any]:
    """The helpers generated code calls (a fresh copy per module)."""
    from nanoflow.runtime import generated_support

    return generated_support.GLOBALS
