"""Checking of declarations: attribute defaults and indexes, event handlers, associations and
the offline profile, access rules, and the roles flows allow."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import INT32_MAX, TOKENS, ExpressionChecker
from nanoflow.check_xpath import XPathChecker
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.names import OWNER_ASSOCIATION, EntityInfo, NameTable, suggest


def _no_variables(var: ir.Variable) -> t.Type:
    return t.ERROR


class DeclarationChecker:
    """Checks everything outside flow bodies."""

    def __init__(self, names: NameTable, sink: DiagnosticSink, types: dict[int, t.Type]) -> None:
        self.names = names
        self.sink = sink
        self.types = types

    def exprs(self, module: str) -> ExpressionChecker:
        return ExpressionChecker(self.names, self.sink, module, _no_variables, self.types)

    def check(self) -> None:
        seen: set[int] = set()
        for info in self.names.entities.values():
            if id(info) in seen or info.decl is None:
                continue
            seen.add(id(info))
            self.entity(info)
        self.offline()
        self.access_rules()
        for module, flow in self.names.flows:
            for role in flow.allow:
                self.names.resolve_role(role, module)
            if flow.entity_access and flow.kind == "nanoflow":
                self.sink.error(
                    Code.ENTITY_ACCESS_ON_NANOFLOW,
                    "`with entity access` applies to microflows: a nanoflow always sees what was "
                    "synchronized to the device",
                    flow.name.span,
                    label="not for nanoflows",
                    help="remove `with entity access`",
                )

    # ---- entities -------------------------------------------------------------------------------

    def entity(self, info: EntityInfo) -> None:
        decl = info.decl
        assert decl is not None
        for attr in decl.attributes:
            found = info.own_attributes.get(attr.name.text)
            if found is None or found.decl is not attr:
                continue
            if attr.type.length is not None and attr.type.length < 1:
                self.sink.error(
                    Code.DEFAULT_VALUE_TYPE,
                    f"`String({attr.type.length})` cannot hold any text",
                    attr.type.span,
                    label="the length must be at least 1",
                )
            if attr.default is not None:
                self.default(info, attr, found.type)
        for index in decl.indexes:
            for name in index.attributes:
                if name.text not in info.attributes:
                    self.sink.error(
                        Code.UNKNOWN_MEMBER,
                        f"unknown attribute `{name.text}` of entity `{info.qname}` in index",
                        name.span,
                        label="no attribute of that name",
                        help=suggest(name.text, info.attributes),
                    )
        for handler in decl.handlers:
            self.event_handler(info, handler)

    def default(self, info: EntityInfo, attr: ir.Attribute, target: t.Type) -> None:
        value = attr.default
        assert value is not None
        ok = True
        if target == t.ERROR:
            return
        if isinstance(value, ir.NameRef):
            exprs = self.exprs(info.module)
            if isinstance(target, t.EnumType):
                found = exprs.enum_value(value.name, target)
                if found is None:
                    enum = self.names.enums[target.enum]
                    self.sink.error(
                        Code.UNKNOWN_ENUMERATION_VALUE,
                        f"unknown value `{value.name.text}` of enumeration `{target.enum}`",
                        value.span,
                        label="no value of that name",
                        help=suggest(value.name.text.rsplit(".", 1)[-1], enum.values),
                    )
                    return
                ok = found in (target, t.ERROR)
            else:
                ok = False
        elif isinstance(value, ir.TokenRef):
            ok = target == t.DATETIME and TOKENS.get(value.name) == t.DATETIME
        elif isinstance(value, ir.StringLit):
            ok = t.is_string(target)
        elif isinstance(value, ir.IntegerLit):
            if self.exprs(info.module).integer(value) == t.ERROR:
                return
            ok = t.is_numeric(target)
            if (
                ok
                and target == t.INTEGER
                and attr.type.name.text == "Integer"
                and not (-INT32_MAX - 1 <= value.value <= INT32_MAX)
            ):
                self.sink.error(
                    Code.DEFAULT_VALUE_TYPE,
                    f"default {value.value} does not fit in an Integer attribute",
                    value.span,
                    label="out of range",
                    help="use a Long attribute",
                )
                return
        elif isinstance(value, ir.DecimalLit):
            ok = target == t.DECIMAL
        elif isinstance(value, ir.BooleanLit):
            ok = target == t.BOOLEAN
        elif isinstance(value, ir.EmptyLit):
            ok = True
        if not ok:
            self.sink.error(
                Code.DEFAULT_VALUE_TYPE,
                f"the default of `{attr.name.text}` must be {t.describe(target)}",
                value.span,
                label="does not fit the attribute type",
            )

    def event_handler(self, info: EntityInfo, handler: ir.EventHandler) -> None:
        qname = self.names.qualify(handler.microflow.text, info.module)
        other = self.names.callables.get(qname)
        if other is not None and other.kind != "microflow":
            self.sink.error(
                Code.BAD_EVENT_HANDLER,
                f"event handler `{qname}` is a {other.kind}: handlers run on the server and must "
                "be microflows",
                handler.microflow.span,
                label="not a microflow",
            )
            return
        callee = self.names.resolve_callable(
            handler.microflow, info.module, ("microflow",), "microflow", Code.UNKNOWN_FLOW
        )
        if callee is None:
            return
        params = list(callee.parameters.values())
        fits = len(params) == 1 and (
            params[0] == t.ERROR
            or (
                isinstance(params[0], t.ObjectType)
                and self.names.is_a(info.qname, params[0].entity)
            )
        )
        if not fits:
            self.sink.error(
                Code.BAD_EVENT_HANDLER,
                f"event handler `{callee.qname}` must take one parameter of entity `{info.qname}`",
                handler.microflow.span,
                label="wrong parameters",
                help=f"declare it as `microflow {callee.qname.split('.', 1)[1]}"
                f"($object: {info.name}) ...`",
            )
        if handler.moment == "before" and callee.returns not in (t.BOOLEAN, t.ERROR):
            self.sink.error(
                Code.BAD_EVENT_HANDLER,
                f"before-{handler.action} handler `{callee.qname}` must return Boolean "
                "(false cancels the "
                f"{handler.action})",
                handler.microflow.span,
                label="must return Boolean",
            )

    # ---- offline profile and access rules -------------------------------------------------------

    def offline(self) -> None:
        never = {q for q, e in self.names.offline.items() if e.mode == "never"}
        for qname, entry in self.names.offline.items():
            info = self.names.entities[qname]
            if entry.constraints:
                XPathChecker(self.exprs(info.module), allow_variables=False).check(
                    entry.constraints, qname
                )
            if qname not in never:
                continue
            if self.names.is_a(qname, "System.FileDocument"):
                self.sink.error(
                    Code.NEVER_FILE_DOCUMENT,
                    f"`{qname}` specializes System.FileDocument and cannot be `never`",
                    entry.span,
                    label="file entities are synchronized",
                )
            for assoc in self.names.associations.values():
                if assoc.qname == OWNER_ASSOCIATION:
                    continue
                ends = {assoc.source, assoc.target}
                if qname in ends:
                    other = (ends - {qname}) or {qname}
                    partner = other.pop()
                    if partner not in never and partner != "*":
                        assert assoc.decl is not None
                        self.sink.error(
                            Code.NEVER_ASSOCIATED,
                            f"`{qname}` is `never` but association `{assoc.qname}` links it to "
                            f"`{partner}`, which is not `never`",
                            assoc.decl.name.span,
                            label="`never` entities associate only with `never` entities",
                        )

    def access_rules(self) -> None:
        seen: dict[tuple[str, str], ir.AccessRule] = {}
        for module, rule in self.names.access_rules:
            entity = self.names.resolve_entity(rule.entity, module)
            role = self.names.resolve_role(rule.role, module)
            if entity is None:
                continue
            if role is not None:
                key = (entity.qname, role.qname)
                if key in seen:
                    self.sink.error(
                        Code.ACCESS_RULE_TWICE,
                        f"`{entity.qname}` already has an access rule for role `{role.qname}`",
                        rule.entity.span,
                        label="second rule",
                        help="merge the rights into one rule",
                    )
                seen[key] = rule
            for selection in (rule.read, rule.write):
                if selection is None or selection.all:
                    continue
                for member in selection.members:
                    if member.text in entity.attributes:
                        continue
                    found = self.names.find_association(member, module, entity.qname)
                    if found is None or found[1] != "source":
                        self.sink.error(
                            Code.UNKNOWN_MEMBER,
                            f"unknown member `{member.text}` of entity `{entity.qname}`",
                            member.span,
                            label="no attribute or owned association of that name",
                            help=suggest(member.text, self.names.member_names(entity.qname)),
                        )
            XPathChecker(self.exprs(module), allow_variables=False).check(
                rule.constraints, entity.qname
            )
