"""Checking of the object and list activities: create, cast, change, commit, rollback, delete,
and the list changes add, remove and clear."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import Defined
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code
from nanoflow.names import OWNER_ASSOCIATION, suggest


class ObjectChecks(OperandChecks):
    """Activities on objects and lists."""

    def check_CreateObject(self, stmt: ir.CreateObject) -> Defined:
        entity = self.data_entity(stmt.entity, "create")
        if entity is not None:
            self.assignments(entity, stmt.assignments)
        self.declare(stmt.output, t.ObjectType(entity) if entity else t.ERROR)
        return self.defined

    def check_CreateList(self, stmt: ir.CreateList) -> Defined:
        entity = self.data_entity(stmt.entity, "create a list of", offline=False)
        self.declare(stmt.output, t.ListType(entity) if entity else t.ERROR)
        return self.defined

    def check_Change(self, stmt: ir.Change) -> Defined:
        found = self.object_var(stmt.variable, "change")
        if found is not None:
            self.assignments(found, stmt.assignments)
        return self.defined

    def _object_activity(self, stmt: ir.Commit | ir.Rollback | ir.Delete) -> Defined:
        """`commit`, `rollback` and `delete`: an object or a list, of an offline entity."""
        verb = type(stmt).__name__.lower()
        entity = self.object_or_list_var(stmt.variable, verb)
        if entity is not None and self.ctx.nanoflow:
            self.offline_check(entity, stmt.variable.span, verb)
        return self.defined

    check_Commit = check_Rollback = check_Delete = _object_activity

    def _list_change(self, stmt: ir.Add | ir.Remove) -> Defined:
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

    check_Add = check_Remove = _list_change

    def check_Clear(self, stmt: ir.Clear) -> Defined:
        self.list_var(stmt.list, "clear")
        return self.defined

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
                if assoc.qname == OWNER_ASSOCIATION and self.ctx.nanoflow:
                    self.error(
                        Code.MEMBER_CANNOT_BE_SET,
                        "`System.owner` is set by the server to the creating user; only a "
                        "microflow may reassign it",
                        item.member.span,
                        label="cannot be set in a nanoflow",
                    )
                target = assoc.type_from("source")
            self.exprs.expect(item.value, target, f"`{name}`")

    def check_Cast(self, stmt: ir.Cast) -> Defined:
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
