"""Checking of `declare` and `set`."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import IMPLICIT, Defined
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code


class VariableChecks(OperandChecks):
    """`declare` and `set`."""

    def check_Declare(self, stmt: ir.Declare) -> Defined:
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

    def check_Set(self, stmt: ir.Set) -> Defined:
        ctx = self.ctx
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
        self.exprs.expect(stmt.value, var_type, f"the new value of `${stmt.variable.name}`")
        return self.defined
