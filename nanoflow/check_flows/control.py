"""Checking of the control flow: `if`, `switch`, `switch type`, loops, `return`, `raise`,
`break` and `continue` (which paths declare which variables, and what each path returns)."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import assignable
from nanoflow.check_flows.base import Defined, meet
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code
from nanoflow.names import suggest
from nanoflow.source import Span


class ControlChecks(OperandChecks):
    """Decisions, loops and the statements that end a block."""

    def check_If(self, stmt: ir.If) -> Defined:
        before = self.defined
        result: Defined = None
        for branch in stmt.branches:
            self.defined = before
            self.exprs.condition(branch.condition, "the condition of `if`")
            result = meet(result, self.block(branch.body, before))
        result = meet(result, self.branch(stmt.otherwise, before))
        self.defined = result if result is not None else frozenset()
        return result

    def check_Switch(self, stmt: ir.Switch) -> Defined:
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
            result = meet(result, self.block(case.body, before))
        if stmt.otherwise is not None:
            result = meet(result, self.block(stmt.otherwise, before))
        else:
            wanted = set(values) | {"empty"} if enum_name else {"true", "false"}
            missing = (
                [v for v in [*values, "empty"] if v in wanted - covered]
                if enum_name
                else (sorted(wanted - covered))
            )
            if missing:  # a subject in error falls through as well (no false NF203 after)
                if enum_name and subject != t.ERROR:
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
                result = meet(result, before)
        self.defined = result if result is not None else frozenset()
        return result

    def check_SwitchType(self, stmt: ir.SwitchType) -> Defined:
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
            result = meet(result, self.block(case.body, before))
        if stmt.empty_case is not None:
            result = meet(result, self.block(stmt.empty_case, before))
        if stmt.otherwise is not None:
            result = meet(result, self.block(stmt.otherwise, before))
        else:
            result = meet(result, before)
        self.defined = result if result is not None else frozenset()
        return result

    def check_For(self, stmt: ir.For) -> Defined:
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

    def check_While(self, stmt: ir.While) -> Defined:
        ctx = self.ctx
        before = self.defined
        self.exprs.condition(stmt.condition, "the condition of `while`")
        ctx.loops += 1
        try:
            self.block(stmt.body, before)
        finally:
            ctx.loops -= 1
        self.defined = before
        return before

    def check_Return(self, stmt: ir.Return) -> Defined:
        self.return_stmt(stmt)
        return None

    def check_Raise(self, stmt: ir.Raise) -> Defined:
        ctx = self.ctx
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
            self.exprs.expect(stmt.message, t.STRING, "the message of `raise`")
        return None

    def _loop_exit(self, stmt: ir.Break | ir.Continue) -> Defined:
        ctx = self.ctx
        if not ctx.loops:
            word = "break" if isinstance(stmt, ir.Break) else "continue"
            self.error(
                Code.OUTSIDE_LOOP,
                f"`{word}` outside a loop",
                stmt.span,
                label="not inside `for` or `while`",
            )
        return None

    check_Break = check_Continue = _loop_exit

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
