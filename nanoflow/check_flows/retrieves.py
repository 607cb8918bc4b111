"""Checking of the retrieves: from the database (XPath, sort, limit, offset) and over an
association."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import Defined
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code
from nanoflow.names import suggest


class RetrieveChecks(OperandChecks):
    """`retrieve` from the database and over an association."""

    def check_RetrieveDb(self, stmt: ir.RetrieveDb) -> Defined:
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

    def check_RetrieveAssoc(self, stmt: ir.RetrieveAssoc) -> Defined:
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
