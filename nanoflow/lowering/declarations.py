"""Lowering of a file's declarations: module, enumerations, entities, associations, roles,
access rules and the offline profile."""

from __future__ import annotations

from typing import Any, cast

from lark import Token

from nanoflow import ir
from nanoflow.lowering.base import LoweringBase, unquote
from nanoflow.source import Span


class DeclarationLowering(LoweringBase):
    """Callbacks of the declaration rules."""

    def start(self, children: list[Any]) -> ir.ModuleFile:
        module = children[0]
        decls = tuple(children[1:])
        end = decls[-1] if decls else module
        return ir.ModuleFile(
            span=self._span(module, end), module=module, declarations=decls
        )

    def module_decl(self, c: list[Any]) -> ir.Ident:
        return self._ident(c[1])

    def enumeration(self, c: list[Any]) -> ir.Enumeration:
        values = tuple(c[2:])
        return ir.Enumeration(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), values=values
        )

    def enum_value(self, c: list[Any]) -> ir.EnumValueDecl:
        return ir.EnumValueDecl(
            span=self._span(c[0], c[1]), name=self._ident(c[0]), caption=unquote(c[1])
        )

    def entity(self, c: list[Any]) -> ir.Entity:
        extends = None
        with_owner = False
        attributes: list[ir.Attribute] = []
        handlers: list[ir.EventHandler] = []
        indexes: list[ir.Index] = []
        for item in c[2:]:
            if isinstance(item, ir.Attribute):
                attributes.append(item)
            elif isinstance(item, ir.EventHandler):
                handlers.append(item)
            elif isinstance(item, ir.Index):
                indexes.append(item)
            elif item[0] == "extends":
                extends = item[1]
            else:
                with_owner = True
        return ir.Entity(
            span=self._span(c[0], c[1]),
            name=self._ident(c[1]),
            extends=extends,
            with_owner=with_owner,
            attributes=tuple(attributes),
            handlers=tuple(handlers),
            indexes=tuple(indexes),
        )

    def extends_clause(self, c: list[Any]) -> tuple[str, ir.Ident, Span]:
        return ("extends", self._ident(c[1]), self._span(c[0], c[1]))

    def owner_clause(self, c: list[Any]) -> tuple[str, Span]:
        return ("owner", self._span(c[0], c[1]))

    def attribute(self, c: list[Any]) -> ir.Attribute:
        type_ref = c[1]
        default = None
        flags = set()
        for item in c[2:]:
            if isinstance(item, Token):
                flags.add(str(item))
            else:
                default = item
        return ir.Attribute(
            span=self._span(c[0], c[-1]),
            name=self._ident(c[0]),
            type=type_ref,
            default=default,
            required="required" in flags,
            unique="unique" in flags,
        )

    def attribute_default(self, c: list[Any]) -> Any:
        return c[0]

    def attribute_flag(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    def default_name(self, c: list[Any]) -> ir.NameRef:
        return ir.NameRef(span=self._sp(c[0]), name=self._ident(c[0]))

    def event_handler(self, c: list[Any]) -> ir.EventHandler:
        return ir.EventHandler(
            span=self._span(c[0], c[3]),
            moment=cast(Any, str(c[1])),
            action=cast(Any, str(c[2])),
            microflow=self._ident(c[3]),
        )

    def event_moment(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    event_action = event_moment

    def index(self, c: list[Any]) -> ir.Index:
        return ir.Index(
            span=self._span(c[0], c[-1]), attributes=tuple(self._ident(t) for t in c[1:])
        )

    def association(self, c: list[Any]) -> ir.Association:
        many = len(c) == 7
        return ir.Association(
            span=self._span(c[0], c[-1]),
            name=self._ident(c[1]),
            source=self._ident(c[3]),
            target=self._ident(c[-1]),
            many=many,
        )

    def role(self, c: list[Any]) -> ir.Role:
        return ir.Role(span=self._span(c[0], c[1]), name=self._ident(c[1]))

    def access_rule(self, c: list[Any]) -> ir.AccessRule:
        create = delete = False
        read = write = None
        constraints: tuple[ir.XPathConstraint, ...] = ()
        for item in c[4:]:
            kind = item[0]
            if kind == "create":
                create = True
            elif kind == "delete":
                delete = True
            elif kind == "read":
                read = item[1]
            elif kind == "write":
                write = item[1]
            else:
                constraints = item[1]
        return ir.AccessRule(
            span=self._span(c[0], c[3]),
            entity=self._ident(c[1]),
            role=self._ident(c[3]),
            create=create,
            delete=delete,
            read=read,
            write=write,
            constraints=constraints,
        )

    def right_create(self, c: list[Any]) -> tuple[str, Span]:
        return ("create", self._sp(c[0]))

    def right_delete(self, c: list[Any]) -> tuple[str, Span]:
        return ("delete", self._sp(c[0]))

    def right_read(self, c: list[Any]) -> tuple[str, ir.MemberSelection, Span]:
        return ("read", c[1], self._span(c[0], c[1]))

    def right_write(self, c: list[Any]) -> tuple[str, ir.MemberSelection, Span]:
        return ("write", c[1], self._span(c[0], c[1]))

    def all_members(self, c: list[Any]) -> ir.MemberSelection:
        return ir.MemberSelection(span=self._sp(c[0]), all=True)

    def some_members(self, c: list[Any]) -> ir.MemberSelection:
        return ir.MemberSelection(
            span=self._span(c[0], c[-1]),
            all=False,
            members=tuple(self._ident(t) for t in c),
        )

    def access_where(self, c: list[Any]) -> tuple[str, tuple[ir.XPathConstraint, ...], Span]:
        return ("where", tuple(c[1:]), self._span(c[0], c[-1]))

    def offline_profile(self, c: list[Any]) -> ir.OfflineProfile:
        return ir.OfflineProfile(span=self._sp(c[0]), entries=tuple(c[1:]))

    def offline_entry(self, c: list[Any]) -> ir.OfflineEntry:
        mode, constraints, end = c[1]
        return ir.OfflineEntry(
            span=self._span(c[0], (end,)),
            entity=self._ident(c[0]),
            mode=mode,
            constraints=constraints,
        )

    def mode_all(self, c: list[Any]) -> tuple[str, tuple[()], Span]:
        return ("all", (), self._sp(c[0]))

    def mode_by_xpath(self, c: list[Any]) -> tuple[str, tuple[ir.XPathConstraint, ...], Span]:
        return ("by_xpath", tuple(c[2:]), self._sp(c[-1]))

    def mode_nothing_preserve(self, c: list[Any]) -> tuple[str, tuple[()], Span]:
        return ("nothing_preserve", (), self._sp(c[1]))

    def mode_nothing_clear(self, c: list[Any]) -> tuple[str, tuple[()], Span]:
        return ("nothing_clear", (), self._sp(c[1]))

    def mode_never(self, c: list[Any]) -> tuple[str, tuple[()], Span]:
        return ("never", (), self._sp(c[0]))
