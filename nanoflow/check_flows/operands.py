"""Checks the statements share: operands that must be objects or lists, offline entities and
call arguments."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import FlowCheckerBase
from nanoflow.codes import Code
from nanoflow.names import CallableInfo, suggest
from nanoflow.source import Span


class OperandChecks(FlowCheckerBase):
    """What several statement families check about their operands."""

    def objects_only(self, expr: ir.Expr, what: str) -> None:
        found = self.exprs.check(expr)
        if found not in (t.ERROR, t.EMPTY) and not isinstance(found, t.ObjectType | t.ListType):
            self.error(
                Code.NOT_AN_OBJECT,
                f"{what} takes objects and lists, not {t.describe(found)}",
                expr.span,
                label=f"this is {t.describe(found)}",
            )

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
