"""Checking of nanoflow and microflow bodies: variables on every path, statement types,
where each activity may run, returns, loops and error handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import ExpressionChecker, assignable
from nanoflow.check_xpath import XPathChecker
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.names import OWNER_ASSOCIATION, CallableInfo, NameTable, suggest
from nanoflow.source import Span

# `None` stands for "no path reaches here" (after return/raise/break/continue).
Defined = frozenset[str] | None

IMPLICIT = {"currentIndex": t.INTEGER, "latestError": t.STRING}
CLIENT_ACTIVITIES = (ir.ShowMessage, ir.ShowPage, ir.ClosePage, ir.ValidationFeedback)
SYNC_ACTIVITIES = (
    ir.SyncAll,
    ir.SyncUnsynchronized,
    ir.SyncSelected,
    ir.CancelSync,
    ir.ClearFromDevice,
)
ACTIVITY_WORDS = {
    ir.ShowMessage: "`show message`",
    ir.ShowPage: "`show page`",
    ir.ClosePage: "`close page`",
    ir.ValidationFeedback: "`validation feedback`",
    ir.SyncAll: "`synchronize all`",
    ir.SyncUnsynchronized: "`synchronize unsynchronized`",
    ir.SyncSelected: "`synchronize`",
    ir.CancelSync: "`cancel synchronization`",
    ir.ClearFromDevice: "`clear from device`",
}


def _meet(a: Defined, b: Defined) -> Defined:
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
        for child in _child_blocks(stmt):
            _collect_declarations(child, into)


def _child_blocks(stmt: ir.Stmt) -> list[ir.Block]:
    blocks: list[ir.Block] = []
    if isinstance(stmt, ir.If):
        blocks.extend(b.body for b in stmt.branches)
    elif isinstance(stmt, ir.Switch):
        blocks.extend(c.body for c in stmt.cases)
    elif isinstance(stmt, ir.SwitchType):
        blocks.extend(c.body for c in stmt.cases)
        if stmt.empty_case is not None:
            blocks.append(stmt.empty_case)
    elif isinstance(stmt, ir.For | ir.While):
        blocks.append(stmt.body)
    otherwise = getattr(stmt, "otherwise", None)
    if otherwise is not None:
        blocks.append(otherwise)
    if stmt.handler is not None and stmt.handler.body is not None:
        blocks.append(stmt.handler.body)
    return blocks


class FlowChecker:
    """Checks one flow body."""

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
        after = self._statement(stmt)
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
        result = _meet(after, handled)
        self.defined = result if result is not None else frozenset()
        return result

    def _statement(self, stmt: ir.Stmt) -> Defined:
        ctx = self.ctx
        exprs = self.exprs
        if isinstance(stmt, CLIENT_ACTIVITIES) and not ctx.nanoflow:
            self.error(
                Code.CLIENT_ACTIVITY_IN_MICROFLOW,
                f"{ACTIVITY_WORDS[type(stmt)]} is a client activity: microflows run on the "
                "server and cannot use it",
                stmt.span,
                label="nanoflows only",
            )
        if isinstance(stmt, SYNC_ACTIVITIES) and not ctx.nanoflow:
            self.error(
                Code.SYNC_ACTIVITY_IN_MICROFLOW,
                f"{ACTIVITY_WORDS[type(stmt)]} runs on the device: microflows cannot use it",
                stmt.span,
                label="nanoflows only",
                help="a microflow can push objects to the calling device with "
                "`synchronize to device`",
            )
        if isinstance(stmt, ir.Declare):
            return self.declare_stmt(stmt)
        if isinstance(stmt, ir.Set):
            var_type = self._lookup(stmt.variable)
            if stmt.variable.name in ctx.readonly:
                self.error(
                    Code.VARIABLE_CANNOT_CHANGE,
                    f"the loop variable `${stmt.variable.name}` cannot be changed",
                    stmt.variable.span,
                    label="set by the loop",
                )
            elif stmt.variable.name in IMPLICIT and stmt.variable.name not in ctx.types:
                self.error(
                    Code.VARIABLE_CANNOT_CHANGE,
                    f"`${stmt.variable.name}` is a built-in variable and cannot be changed",
                    stmt.variable.span,
                    label="read-only",
                )
            exprs.expect(stmt.value, var_type, f"the new value of `${stmt.variable.name}`")
            return self.defined
        if isinstance(stmt, ir.CreateObject):
            entity = self.data_entity(stmt.entity, "create")
            if entity is not None:
                self.assignments(entity, stmt.assignments)
            self.declare(stmt.output, t.ObjectType(entity) if entity else t.ERROR)
            return self.defined
        if isinstance(stmt, ir.CreateList):
            entity = self.data_entity(stmt.entity, "create a list of", offline=False)
            self.declare(stmt.output, t.ListType(entity) if entity else t.ERROR)
            return self.defined
        if isinstance(stmt, ir.Cast):
            return self.cast(stmt)
        if isinstance(stmt, ir.RetrieveDb):
            return self.retrieve_db(stmt)
        if isinstance(stmt, ir.RetrieveAssoc):
            return self.retrieve_assoc(stmt)
        if isinstance(stmt, ir.Call):
            return self.call(stmt)
        if isinstance(stmt, ir.Change):
            found = self.object_var(stmt.variable, "change")
            if found is not None:
                self.assignments(found, stmt.assignments)
            return self.defined
        if isinstance(stmt, ir.Commit | ir.Rollback | ir.Delete):
            verb = type(stmt).__name__.lower()
            entity = self.object_or_list_var(stmt.variable, verb)
            if entity is not None and ctx.nanoflow:
                self.offline_check(entity, stmt.variable.span, verb)
            return self.defined
        if isinstance(stmt, ir.Add | ir.Remove):
            return self.list_change(stmt)
        if isinstance(stmt, ir.Clear):
            self.list_var(stmt.list, "clear")
            return self.defined
        if isinstance(stmt, ir.If):
            return self.if_stmt(stmt)
        if isinstance(stmt, ir.Switch):
            return self.switch(stmt)
        if isinstance(stmt, ir.SwitchType):
            return self.switch_type(stmt)
        if isinstance(stmt, ir.For):
            return self.for_stmt(stmt)
        if isinstance(stmt, ir.While):
            before = self.defined
            self.exprs.condition(stmt.condition, "the condition of `while`")
            ctx.loops += 1
            try:
                self.block(stmt.body, before)
            finally:
                ctx.loops -= 1
            self.defined = before
            return before
        if isinstance(stmt, ir.Return):
            self.return_stmt(stmt)
            return None
        if isinstance(stmt, ir.Raise):
            if stmt.message is None:
                if not ctx.handlers:
                    self.error(
                        Code.RAISE_WITHOUT_MESSAGE,
                        "`raise` without a message passes on the error being handled: it is "
                        "only allowed inside `on error { }`",
                        stmt.span,
                        label="no error to pass on here",
                        help="raise a new error with a message: `raise 'what went wrong'`",
                    )
            else:
                exprs.expect(stmt.message, t.STRING, "the message of `raise`")
            return None
        if isinstance(stmt, ir.Break | ir.Continue):
            if not ctx.loops:
                word = "break" if isinstance(stmt, ir.Break) else "continue"
                self.error(
                    Code.OUTSIDE_LOOP,
                    f"`{word}` outside a loop",
                    stmt.span,
                    label="not inside `for` or `while`",
                )
            return None
        if isinstance(stmt, ir.ShowMessage):
            exprs.expect(stmt.text, t.STRING, "the message text")
            return self.defined
        if isinstance(stmt, ir.ShowPage):
            page = self.names.resolve_callable(
                stmt.page, ctx.module, ("page",), "page", Code.UNKNOWN_PAGE
            )
            self.arguments(stmt.arguments, page, stmt.page.span)
            return self.defined
        if isinstance(stmt, ir.ClosePage):
            return self.defined
        if isinstance(stmt, ir.ValidationFeedback):
            entity = self.object_var(stmt.variable, "give validation feedback on")
            if entity is not None:
                self.exprs.member(entity, stmt.member)
            exprs.expect(stmt.text, t.STRING, "the feedback text")
            return self.defined
        if isinstance(stmt, ir.Log):
            exprs.expect(stmt.text, t.STRING, "the log text")
            return self.defined
        if isinstance(stmt, ir.SyncSelected):
            for item in stmt.items:
                self.objects_only(item, "`synchronize`")
            return self.defined
        if isinstance(stmt, ir.ClearFromDevice):
            entity_info = self.names.resolve_entity(stmt.entity, ctx.module)
            if entity_info is not None and ctx.nanoflow:
                self.offline_check(entity_info.qname, stmt.entity.span, "clear")
            return self.defined
        if isinstance(stmt, ir.SyncToDevice):
            if ctx.nanoflow:
                self.error(
                    Code.SYNC_TO_DEVICE_IN_NANOFLOW,
                    "`synchronize to device` runs on the server: only microflows can use it",
                    stmt.span,
                    label="microflows only",
                    help="in a nanoflow, use `synchronize $object`",
                )
            self.objects_only(stmt.value, "`synchronize to device`")
            return self.defined
        return self.defined  # SyncAll, SyncUnsynchronized, CancelSync: nothing more to check

    # ---- helpers for statements ---------------------------------------------------------------

    def objects_only(self, expr: ir.Expr, what: str) -> None:
        found = self.exprs.check(expr)
        if found not in (t.ERROR, t.EMPTY) and not isinstance(found, t.ObjectType | t.ListType):
            self.error(
                Code.NOT_AN_OBJECT,
                f"{what} takes objects and lists, not {t.describe(found)}",
                expr.span,
                label=f"this is {t.describe(found)}",
            )

    def declare_stmt(self, stmt: ir.Declare) -> Defined:
        declared: t.Type | None = None
        if stmt.type is not None:
            declared = self.names.resolve_type(stmt.type, self.ctx.module)
        if stmt.value is not None:
            if declared is not None:
                self.exprs.expect(stmt.value, declared, f"the value of `${stmt.variable.name}`")
            else:
                declared = self.exprs.check(stmt.value)
                if declared == t.EMPTY:
                    self.error(
                        Code.VARIABLE_TYPE_UNKNOWN,
                        f"cannot tell the type of `${stmt.variable.name}` from `empty`",
                        stmt.span,
                        label="give it a type",
                        help=f"write `declare ${stmt.variable.name}: Type = empty`",
                    )
                    declared = t.ERROR
        if declared is None:
            self.error(
                Code.VARIABLE_TYPE_UNKNOWN,
                f"cannot tell the type of `${stmt.variable.name}`: `declare` needs a type or a "
                "value",
                stmt.span,
                label="type unknown",
                help=f"write `declare ${stmt.variable.name}: Type` or "
                f"`declare ${stmt.variable.name} = value`",
            )
            declared = t.ERROR
        self.declare(stmt.variable, declared)
        return self.defined

    def data_entity(self, ident: ir.Ident, verb: str, offline: bool = True) -> str | None:
        info = self.names.resolve_entity(ident, self.ctx.module)
        if info is None:
            return None
        if offline and self.ctx.nanoflow:
            self.offline_check(info.qname, ident.span, verb)
        return info.qname

    def offline_check(self, entity: str, span: Span, verb: str) -> None:
        if entity in self.names.offline or entity == "*":
            return
        info = self.names.entities.get(entity)
        lineage = (entity, *(info.ancestors if info else ()))
        if any(e in self.names.offline for e in lineage[1:]) and verb not in ("create",):
            return
        self.error(
            Code.NOT_OFFLINE,
            f"entity `{entity}` is not in the offline profile: a nanoflow cannot {verb} its "
            "objects",
            span,
            label="online-only entity",
            help=f"add `{entity}: all` (or another mode) to the `offline` block, or use a "
            "microflow",
        )

    def object_var(self, var: ir.Variable, verb: str) -> str | None:
        found = self._lookup(var)
        if isinstance(found, t.ObjectType) and found.entity != "*":
            return found.entity
        if found not in (t.ERROR,) and not (isinstance(found, t.ObjectType)):
            self.error(
                Code.NOT_AN_OBJECT,
                f"cannot {verb} `${var.name}`: it is {t.describe(found)}, not an object",
                var.span,
                label=f"this is {t.describe(found)}",
            )
        return None

    def object_or_list_var(self, var: ir.Variable, verb: str) -> str | None:
        found = self._lookup(var)
        if isinstance(found, t.ObjectType | t.ListType):
            return found.entity
        if found != t.ERROR:
            self.error(
                Code.NOT_AN_OBJECT,
                f"cannot {verb} `${var.name}`: it is {t.describe(found)}, not an object or list",
                var.span,
                label=f"this is {t.describe(found)}",
            )
        return None

    def list_var(self, var: ir.Variable, verb: str) -> str | None:
        found = self._lookup(var)
        if isinstance(found, t.ListType):
            return found.entity
        if found != t.ERROR:
            self.error(
                Code.NOT_A_LIST,
                f"cannot {verb} `${var.name}`: it is {t.describe(found)}, not a list",
                var.span,
                label=f"this is {t.describe(found)}",
            )
        return None

    def assignments(self, entity: str, assignments: tuple[ir.MemberAssignment, ...]) -> None:
        seen: set[str] = set()
        info = self.names.entities[entity]
        for item in assignments:
            name = item.member.text
            if name in seen:
                self.error(
                    Code.DUPLICATE_PARAMETER,
                    f"member `{name}` is set twice",
                    item.member.span,
                    label="second assignment",
                )
            seen.add(name)
            attr = info.attributes.get(name)
            target: t.Type
            if attr is not None:
                target = attr.type
                if attr.is_autonumber:
                    self.error(
                        Code.MEMBER_CANNOT_BE_SET,
                        f"`{name}` is an AutoNumber: the server assigns it",
                        item.member.span,
                        label="cannot be set",
                    )
            else:
                found = self.names.find_association(item.member, self.ctx.module, entity)
                if found is None:
                    self.error(
                        Code.UNKNOWN_MEMBER,
                        f"unknown member `{name}` of entity `{entity}`",
                        item.member.span,
                        label="no attribute or association of that name",
                        help=suggest(name, self.names.member_names(entity)),
                    )
                    self.exprs.check(item.value)
                    continue
                assoc, side = found
                if side == "target":
                    self.error(
                        Code.MEMBER_CANNOT_BE_SET,
                        f"`{assoc.qname}` is owned by `{assoc.source}`: set it on that object",
                        item.member.span,
                        label="set from the owner side",
                    )
                    self.exprs.check(item.value)
                    continue
                if assoc.qname == OWNER_ASSOCIATION:
                    self.error(
                        Code.MEMBER_CANNOT_BE_SET,
                        "`System.owner` is set by the server to the creating user",
                        item.member.span,
                        label="cannot be set",
                    )
                target = assoc.type_from("source")
            self.exprs.expect(item.value, target, f"`{name}`")

    def cast(self, stmt: ir.Cast) -> Defined:
        source = self._lookup(stmt.source)
        target_info = self.names.resolve_entity(stmt.entity, self.ctx.module)
        result: t.Type = t.ERROR
        if target_info is not None:
            result = t.ObjectType(target_info.qname)
            if isinstance(source, t.ObjectType):
                if not self.names.is_a(target_info.qname, source.entity):
                    self.error(
                        Code.NOT_A_SPECIALIZATION,
                        f"cannot cast `${stmt.source.name}` ({source.entity}) to "
                        f"`{target_info.qname}`: it is not a specialization of `{source.entity}`",
                        stmt.entity.span,
                        label="not a specialization",
                    )
            elif source != t.ERROR:
                self.error(
                    Code.NOT_AN_OBJECT,
                    f"cannot cast `${stmt.source.name}`: it is {t.describe(source)}, not an object",
                    stmt.source.span,
                    label=f"this is {t.describe(source)}",
                )
        self.declare(stmt.output, result)
        return self.defined

    def retrieve_db(self, stmt: ir.RetrieveDb) -> Defined:
        entity = self.data_entity(stmt.entity, "retrieve")
        if entity is not None:
            self.xpath.check(stmt.constraints, entity)
            info = self.names.entities[entity]
            for item in stmt.sort:
                if item.attribute.text not in info.attributes:
                    self.error(
                        Code.UNKNOWN_MEMBER,
                        f"unknown attribute `{item.attribute.text}` of entity `{entity}`",
                        item.attribute.span,
                        label="cannot sort by it",
                        help=suggest(item.attribute.text, info.attributes),
                    )
        for clause, expr in (("limit", stmt.limit), ("offset", stmt.offset)):
            if expr is not None:
                found = self.exprs.check(expr)
                if not (t.is_integral(found) or found == t.ERROR):
                    self.error(
                        Code.VALUE_TYPE,
                        f"`{clause}` must be an Integer, not {t.describe(found)}",
                        expr.span,
                        label=f"this is {t.describe(found)}",
                    )
        result: t.Type = t.ERROR
        if entity is not None:
            result = t.ObjectType(entity) if stmt.first else t.ListType(entity)
        self.declare(stmt.output, result)
        return self.defined

    def retrieve_assoc(self, stmt: ir.RetrieveAssoc) -> Defined:
        source = self.object_var(stmt.source, "retrieve over an association from")
        result: t.Type = t.ERROR
        if source is not None:
            found = self.names.find_association(stmt.association, self.ctx.module, source)
            if found is None:
                self.error(
                    Code.UNKNOWN_ASSOCIATION,
                    f"unknown association `{stmt.association.text}` of entity `{source}`",
                    stmt.association.span,
                    label="no association of that name",
                    help=suggest(
                        stmt.association.text,
                        [n for n in self.names.member_names(source) if "_" in n or "." in n],
                    ),
                )
            else:
                assoc, side = found
                result = assoc.type_from(side)
                target = result.entity if isinstance(result, t.ObjectType | t.ListType) else "*"
                if self.ctx.nanoflow:
                    self.offline_check(target, stmt.association.span, "retrieve")
                self.xpath.check(stmt.constraints, target)
        self.declare(stmt.output, result)
        return self.defined

    def call(self, stmt: ir.Call) -> Defined:
        ctx = self.ctx
        kind = stmt.kind
        callee: CallableInfo | None = None
        if kind == "nanoflow":
            callee = self.names.resolve_callable(
                stmt.target, ctx.module, ("nanoflow",), "nanoflow", Code.UNKNOWN_FLOW
            )
            if not ctx.nanoflow:
                self.error(
                    Code.NANOFLOW_FROM_MICROFLOW,
                    "a microflow cannot call a nanoflow: nanoflows run on the device",
                    stmt.span,
                    label="microflows call microflows",
                )
        elif kind == "microflow":
            callee = self.names.resolve_callable(
                stmt.target, ctx.module, ("microflow",), "microflow", Code.UNKNOWN_FLOW
            )
        else:
            callee = self.names.resolve_callable(
                stmt.target, ctx.module, ("action",), "action", Code.UNKNOWN_ACTION
            )
            if not ctx.nanoflow:
                self.error(
                    Code.ACTION_FROM_MICROFLOW,
                    "actions run on the device: a microflow cannot call them",
                    stmt.span,
                    label="nanoflows only",
                )
        self.arguments(stmt.arguments, callee, stmt.target.span)
        if callee is not None and kind == "microflow" and ctx.nanoflow:
            for name, param_type in callee.parameters.items():
                if not (t.is_primitive(param_type) or param_type == t.ERROR):
                    self.error(
                        Code.MICROFLOW_CALL_NOT_PRIMITIVE,
                        f"microflow `{callee.qname}` takes `${name}` of type "
                        f"{t.describe(param_type)}: a nanoflow can pass only primitive values "
                        "to a microflow",
                        stmt.target.span,
                        label="non-primitive parameter",
                        help="pass an id or key and retrieve the object in the microflow",
                    )
            returns = callee.returns
            if returns is not None and not (
                t.is_primitive(returns) or returns in (t.NOTHING, t.ERROR)
            ):
                self.error(
                    Code.MICROFLOW_CALL_NOT_PRIMITIVE,
                    f"microflow `{callee.qname}` returns {t.describe(returns)}: a nanoflow can "
                    "receive only primitive values from a microflow",
                    stmt.target.span,
                    label="non-primitive result",
                    help="return a primitive value; objects reach the device by synchronization "
                    "or `synchronize to device`",
                )
        if stmt.output is not None:
            result: t.Type = t.ERROR
            if callee is not None:
                result = callee.returns or t.NOTHING
                if result == t.NOTHING:
                    self.error(
                        Code.NO_CALL_RESULT,
                        f"{callee.kind} `{callee.qname}` returns nothing: there is no value for "
                        f"`${stmt.output.name}`",
                        stmt.output.span,
                        label="no result",
                        help=f"write `call {kind} {stmt.target.text}(...)` without `$x =`",
                    )
                    result = t.ERROR
            self.declare(stmt.output, result)
        return self.defined

    def arguments(
        self, arguments: tuple[ir.Argument, ...], callee: CallableInfo | None, span: Span
    ) -> None:
        seen: set[str] = set()
        for arg in arguments:
            name = arg.name.text
            if name in seen:
                self.error(
                    Code.DUPLICATE_PARAMETER,
                    f"argument `{name}` is given twice",
                    arg.name.span,
                    label="second value",
                )
                self.exprs.check(arg.value)
                continue
            seen.add(name)
            if callee is None:
                self.exprs.check(arg.value)
                continue
            expected = callee.parameters.get(name)
            if expected is None:
                self.error(
                    Code.UNKNOWN_ARGUMENT,
                    f"{callee.kind} `{callee.qname}` has no parameter `{name}`",
                    arg.name.span,
                    label="unknown argument",
                    help=suggest(name, callee.parameters)
                    or "parameters: " + (", ".join(callee.parameters) or "none"),
                )
                self.exprs.check(arg.value)
                continue
            self.exprs.expect(arg.value, expected, f"argument `{name}`")
        if callee is not None:
            missing = [p for p in callee.parameters if p not in seen]
            if missing:
                self.error(
                    Code.MISSING_ARGUMENT,
                    f"missing argument{'s' if len(missing) > 1 else ''} "
                    + ", ".join(f"`{m}`" for m in missing)
                    + f" for {callee.kind} `{callee.qname}`",
                    span,
                    label="every parameter needs a value",
                    help="pass `empty` for a parameter that has no value",
                )

    def list_change(self, stmt: ir.Add | ir.Remove) -> Defined:
        verb = "add to" if isinstance(stmt, ir.Add) else "remove from"
        entity = self.list_var(stmt.list, verb)
        found = self.exprs.check(stmt.value)
        if entity is not None and found not in (t.ERROR, t.EMPTY):
            fits = isinstance(found, t.ObjectType | t.ListType) and self.names.is_a(
                found.entity, entity
            )
            if not fits:
                self.error(
                    Code.VALUE_TYPE,
                    f"cannot {verb} a list of {entity}: the value is {t.describe(found)}",
                    stmt.value.span,
                    label=f"expected an object or list of {entity}",
                )
        return self.defined

    def if_stmt(self, stmt: ir.If) -> Defined:
        before = self.defined
        result: Defined = None
        for branch in stmt.branches:
            self.defined = before
            self.exprs.condition(branch.condition, "the condition of `if`")
            result = _meet(result, self.block(branch.body, before))
        result = _meet(result, self.branch(stmt.otherwise, before))
        self.defined = result if result is not None else frozenset()
        return result

    def switch(self, stmt: ir.Switch) -> Defined:
        before = self.defined
        subject = self.exprs.check(stmt.subject)
        values: dict[str, str] = {}
        enum_name = ""
        if isinstance(subject, t.EnumType):
            info = self.names.enums.get(subject.enum)
            values = dict(info.values) if info else {}
            enum_name = subject.enum
        elif subject not in (t.BOOLEAN, t.ERROR):
            self.error(
                Code.CASE_VALUE_TYPE,
                f"`switch` needs an enumeration or Boolean value, not {t.describe(subject)}",
                stmt.subject.span,
                label=f"this is {t.describe(subject)}",
                help="use `if` / `else if` for other values",
            )
            subject = t.ERROR
        covered: set[str] = set()
        result: Defined = None
        for case in stmt.cases:
            for value in case.values:
                key = value.name if value.kind == "name" else value.kind
                if key in covered:
                    self.error(
                        Code.DUPLICATE_CASE,
                        f"case `{key}` appears twice",
                        value.span,
                        label="duplicate",
                    )
                covered.add(key)
                if subject == t.ERROR:
                    continue
                if value.kind == "name" and value.name not in values:
                    if enum_name:
                        self.error(
                            Code.UNKNOWN_ENUMERATION_VALUE,
                            f"unknown value `{value.name}` of enumeration `{enum_name}`",
                            value.span,
                            label="no value of that name",
                            help=suggest(value.name, values),
                        )
                    else:
                        self.error(
                            Code.CASE_VALUE_TYPE,
                            f"`{value.name}` is not a Boolean value",
                            value.span,
                            label="no such case",
                            help="use `true` or `false`",
                        )
                elif value.kind in ("true", "false") and subject != t.BOOLEAN:
                    self.error(
                        Code.CASE_VALUE_TYPE,
                        f"`{value.kind}` is not a value of `{enum_name}`",
                        value.span,
                        label="no such case",
                    )
            result = _meet(result, self.block(case.body, before))
        if stmt.otherwise is not None:
            result = _meet(result, self.block(stmt.otherwise, before))
        else:
            wanted = set(values) | {"empty"} if enum_name else {"true", "false"}
            missing = (
                [v for v in [*values, "empty"] if v in wanted - covered]
                if enum_name
                else (sorted(wanted - covered))
            )
            if subject != t.ERROR and missing:
                if enum_name:
                    self.error(
                        Code.SWITCH_MISSES_VALUES,
                        f"`switch` on `{enum_name}` does not cover "
                        + ", ".join(f"`{m}`" for m in missing)
                        + " and has no `else`",
                        Span(
                            stmt.span.file,
                            stmt.span.line,
                            stmt.span.column,
                            stmt.span.line,
                            stmt.span.column + 6,
                        ),
                        label="not every value has a case",
                        help="add the missing cases or an `else { }`",
                    )
                result = _meet(result, before)
        self.defined = result if result is not None else frozenset()
        return result

    def switch_type(self, stmt: ir.SwitchType) -> Defined:
        before = self.defined
        found = self._lookup(stmt.variable)
        source = found.entity if isinstance(found, t.ObjectType) else None
        if found != t.ERROR and source is None:
            self.error(
                Code.NOT_AN_OBJECT,
                f"`switch type` needs an object, not {t.describe(found)}",
                stmt.variable.span,
                label=f"this is {t.describe(found)}",
            )
        result: Defined = None
        seen: set[str] = set()
        for case in stmt.cases:
            info = self.names.resolve_entity(case.entity, self.ctx.module)
            if info is not None:
                if info.qname in seen:
                    self.error(
                        Code.DUPLICATE_CASE,
                        f"case `{info.qname}` appears twice",
                        case.entity.span,
                        label="duplicate",
                    )
                seen.add(info.qname)
                if source is not None and not self.names.is_a(info.qname, source):
                    self.error(
                        Code.NOT_A_SPECIALIZATION,
                        f"`{info.qname}` is not a specialization of `{source}`",
                        case.entity.span,
                        label="can never match",
                    )
            result = _meet(result, self.block(case.body, before))
        if stmt.empty_case is not None:
            result = _meet(result, self.block(stmt.empty_case, before))
        if stmt.otherwise is not None:
            result = _meet(result, self.block(stmt.otherwise, before))
        else:
            result = _meet(result, before)
        self.defined = result if result is not None else frozenset()
        return result

    def for_stmt(self, stmt: ir.For) -> Defined:
        before = self.defined
        iterable = self.exprs.check(stmt.iterable)
        element: t.Type = t.ERROR
        if isinstance(iterable, t.ListType):
            element = t.ObjectType(iterable.entity)
        elif iterable != t.ERROR:
            self.error(
                Code.NOT_A_LIST,
                f"`for` iterates over a list, not {t.describe(iterable)}",
                stmt.iterable.span,
                label=f"this is {t.describe(iterable)}",
            )
        self.ctx.loops += 1
        try:
            self.declare(stmt.variable, element, readonly=True)
            self.block(stmt.body, self.defined)
        finally:
            self.ctx.loops -= 1
        self.defined = before
        return before

    def return_stmt(self, stmt: ir.Return) -> None:
        returns = self.ctx.info.returns
        flow = self.ctx.flow
        if stmt.value is None:
            if returns not in (None, t.NOTHING):
                self.error(
                    Code.RETURN_TYPE,
                    f"{flow.kind} `{self.ctx.info.qname}` must return "
                    f"{t.describe(returns or t.ERROR)}",
                    stmt.span,
                    label="value missing",
                )
            return
        if returns in (None, t.NOTHING):
            self.exprs.check(stmt.value)
            self.error(
                Code.RETURN_TYPE,
                f"{flow.kind} `{self.ctx.info.qname}` has no return type, so `return` takes no "
                "value",
                stmt.value.span,
                label="unexpected value",
                help="declare the type with `returns Type` after the parameters",
            )
            return
        assert returns is not None
        actual = self.exprs.check(stmt.value, returns)
        if not assignable(actual, returns, self.names):
            self.error(
                Code.RETURN_TYPE,
                f"{flow.kind} `{self.ctx.info.qname}` returns {t.describe(returns)}, not "
                f"{t.describe(actual)}",
                stmt.value.span,
                label=f"this is {t.describe(actual)}",
            )
