"""Checking of `call nanoflow`, `call microflow` and `call action`: the callee, its arguments
and which flows may call which."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import Defined
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code
from nanoflow.names import CallableInfo


class CallChecks(OperandChecks):
    """Calls of flows and actions."""

    def check_Call(self, stmt: ir.Call) -> Defined:
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
