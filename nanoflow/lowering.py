"""Lowering: lark callbacks that build IR nodes while the LALR parser runs (no parse tree).

Keywords are named terminals, so every callback sees where its construct starts; punctuation
is dropped by lark. Helper rules return small tagged tuples that their parent unpacks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from lark import Token, Transformer

from nanoflow import ir
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.source import Span


def unquote(text: str) -> str:
    """The value of a `'...'` literal (`''` is one quote)."""
    return text[1:-1].replace("''", "'")


class Lowering(Transformer[Token, Any]):
    """Callbacks named after grammar rules; `file` and `sink` are set before each parse."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<input>"
        self.sink = DiagnosticSink()

    # ---- spans and names ----------------------------------------------------------------------

    def _sp(self, item: Any) -> Span:
        if isinstance(item, Token):
            return Span(self.file, item.line, item.column, item.end_line, item.end_column)  # type: ignore[arg-type]
        if isinstance(item, tuple):
            return cast(Span, item[-1])
        return cast(Span, item.span)

    def _span(self, first: Any, last: Any) -> Span:
        a = self._sp(first)
        b = self._sp(last)
        return Span(self.file, a.line, a.column, b.end_line, b.end_column)

    def _ident(self, tok: Token) -> ir.Ident:
        return ir.Ident.model_construct(span=self._sp(tok), text=str(tok))

    def _var(self, tok: Token) -> ir.Variable:
        return ir.Variable.model_construct(span=self._sp(tok), name=str(tok)[1:])

    # ---- file and declarations ------------------------------------------------------------------

    def start(self, children: list[Any]) -> ir.ModuleFile:
        module = children[0]
        decls = tuple(children[1:])
        end = decls[-1] if decls else module
        return ir.ModuleFile.model_construct(
            span=self._span(module, end), module=module, declarations=decls
        )

    def module_decl(self, c: list[Any]) -> ir.Ident:
        return self._ident(c[1])

    def enumeration(self, c: list[Any]) -> ir.Enumeration:
        values = tuple(c[2:])
        return ir.Enumeration.model_construct(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), values=values
        )

    def enum_value(self, c: list[Any]) -> ir.EnumValue:
        return ir.EnumValue.model_construct(
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
        return ir.Entity.model_construct(
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
        return ir.Attribute.model_construct(
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

    def negative_int(self, c: list[Any]) -> ir.IntegerLit:
        return ir.IntegerLit.model_construct(span=self._span(c[0], c[1]), value=-int(c[1]))

    def negative_decimal(self, c: list[Any]) -> ir.DecimalLit:
        return ir.DecimalLit.model_construct(span=self._span(c[0], c[1]), value=-Decimal(str(c[1])))

    def default_name(self, c: list[Any]) -> ir.NameRef:
        return ir.NameRef.model_construct(span=self._sp(c[0]), name=self._ident(c[0]))

    def event_handler(self, c: list[Any]) -> ir.EventHandler:
        return ir.EventHandler.model_construct(
            span=self._span(c[0], c[3]),
            moment=cast(Any, str(c[1])),
            action=cast(Any, str(c[2])),
            microflow=self._ident(c[3]),
        )

    def event_moment(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    event_action = event_moment

    def index(self, c: list[Any]) -> ir.Index:
        return ir.Index.model_construct(
            span=self._span(c[0], c[-1]), attributes=tuple(self._ident(t) for t in c[1:])
        )

    def association(self, c: list[Any]) -> ir.Association:
        many = len(c) == 7
        return ir.Association.model_construct(
            span=self._span(c[0], c[-1]),
            name=self._ident(c[1]),
            source=self._ident(c[3]),
            target=self._ident(c[-1]),
            many=many,
        )

    def role(self, c: list[Any]) -> ir.Role:
        return ir.Role.model_construct(span=self._span(c[0], c[1]), name=self._ident(c[1]))

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
        return ir.AccessRule.model_construct(
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
        return ir.MemberSelection.model_construct(span=self._sp(c[0]), all=True)

    def some_members(self, c: list[Any]) -> ir.MemberSelection:
        return ir.MemberSelection.model_construct(
            span=self._span(c[0], c[-1]),
            all=False,
            members=tuple(self._ident(t) for t in c),
        )

    def access_where(self, c: list[Any]) -> tuple[str, tuple[ir.XPathConstraint, ...], Span]:
        return ("where", tuple(c[1:]), self._span(c[0], c[-1]))

    def offline_profile(self, c: list[Any]) -> ir.OfflineProfile:
        return ir.OfflineProfile.model_construct(span=self._sp(c[0]), entries=tuple(c[1:]))

    def offline_entry(self, c: list[Any]) -> ir.OfflineEntry:
        mode, constraints, end = c[1]
        return ir.OfflineEntry.model_construct(
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

    # ---- types and flows ----------------------------------------------------------------------

    def named_type(self, c: list[Any]) -> ir.NamedType:
        length = int(c[1]) if len(c) > 1 else None
        return ir.NamedType.model_construct(
            span=self._span(c[0], c[-1]), name=self._ident(c[0]), length=length
        )

    def list_type(self, c: list[Any]) -> ir.ListTypeRef:
        return ir.ListTypeRef.model_construct(span=self._span(c[0], c[2]), entity=self._ident(c[2]))

    def flow(self, c: list[Any]) -> ir.Flow:
        parameters: tuple[ir.Parameter, ...] = ()
        returns = None
        allow: tuple[ir.Ident, ...] = ()
        entity_access = False
        for item in c[2:-1]:
            if isinstance(item, tuple):
                if item[0] == "returns":
                    returns = item[1]
                elif item[0] == "allow":
                    allow = item[1]
                elif item[0] == "entity_access":
                    entity_access = True
                else:
                    parameters = item[1]
        return ir.Flow.model_construct(
            span=self._span(c[0], c[1]),
            kind=cast(Any, str(c[0])),
            name=self._ident(c[1]),
            parameters=parameters,
            returns=returns,
            allow=allow,
            entity_access=entity_access,
            body=c[-1],
        )

    def flow_kind(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    def parameters(self, c: list[Any]) -> tuple[str, tuple[ir.Parameter, ...], Span]:
        return ("parameters", tuple(c), self._span(c[0], c[-1]))

    def parameter(self, c: list[Any]) -> ir.Parameter:
        return ir.Parameter.model_construct(
            span=self._span(c[0], c[1]), variable=self._var(c[0]), type=c[1]
        )

    def returns_clause(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("returns", c[1], self._span(c[0], c[1]))

    def allow_clause(self, c: list[Any]) -> tuple[str, tuple[ir.Ident, ...], Span]:
        return ("allow", tuple(self._ident(t) for t in c[1:]), self._span(c[0], c[-1]))

    def entity_access(self, c: list[Any]) -> tuple[str, Span]:
        return ("entity_access", self._span(c[0], c[-1]))

    def page(self, c: list[Any]) -> ir.Page:
        params = c[2][1] if len(c) > 2 else ()
        return ir.Page.model_construct(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), parameters=params
        )

    def action(self, c: list[Any]) -> ir.Action:
        params: tuple[ir.Parameter, ...] = ()
        returns = None
        for item in c[2:]:
            if item[0] == "returns":
                returns = item[1]
            else:
                params = item[1]
        return ir.Action.model_construct(
            span=self._span(c[0], c[1]), name=self._ident(c[1]), parameters=params, returns=returns
        )

    # ---- statements ----------------------------------------------------------------------------

    def block(self, c: list[Any]) -> ir.Block:
        return ir.Block.model_construct(span=self._span(c[0], c[-1]), statements=tuple(c[1:-1]))

    def statement(self, c: list[Any]) -> Any:
        if len(c) == 1:
            return c[0]
        stmt, handler = c
        return stmt.model_copy(update={"handler": handler})

    def handler_custom(self, c: list[Any]) -> ir.ErrorHandler:
        return ir.ErrorHandler.model_construct(
            span=self._span(c[0], c[1]), kind="custom", body=c[2]
        )

    def handler_continue(self, c: list[Any]) -> ir.ErrorHandler:
        return ir.ErrorHandler.model_construct(span=self._span(c[0], c[2]), kind="continue")

    def declare_stmt(self, c: list[Any]) -> ir.Declare:
        type_ref = value = None
        for item in c[2:]:
            if isinstance(item, ir.NamedType | ir.ListTypeRef):
                type_ref = item
            else:
                value = item
        return ir.Declare.model_construct(
            span=self._span(c[0], c[-1]), variable=self._var(c[1]), type=type_ref, value=value
        )

    def set_stmt(self, c: list[Any]) -> ir.Set:
        return ir.Set.model_construct(
            span=self._span(c[0], c[2]), variable=self._var(c[1]), value=c[2]
        )

    def output_stmt(self, c: list[Any]) -> Any:
        cls, fields, end = c[1]
        fields.pop("start", None)
        out = self._var(c[0])
        return cls.model_construct(span=self._span(c[0], (end,)), output=out, **fields)

    def create_object(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        assignments, end = (c[2][0], c[2][1]) if len(c) > 2 else ((), self._sp(c[1]))
        return (
            ir.CreateObject,
            {"entity": self._ident(c[1]), "assignments": assignments},
            end,
        )

    def member_assignments(self, c: list[Any]) -> tuple[tuple[ir.MemberAssignment, ...], Span]:
        end = c[-1].span if c else Span(self.file, 1, 1, 1, 1)
        return (tuple(c), end)

    def member_assignment(self, c: list[Any]) -> ir.MemberAssignment:
        return ir.MemberAssignment.model_construct(
            span=self._span(c[0], c[1]), member=self._ident(c[0]), value=c[1]
        )

    def create_list(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        return (ir.CreateList, {"entity": self._ident(c[3])}, self._sp(c[3]))

    def cast_object(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        return (
            ir.Cast,
            {"source": self._var(c[1]), "entity": self._ident(c[3])},
            self._sp(c[3]),
        )

    def retrieve_db(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        first = isinstance(c[1], Token) and c[1].type == "FIRST"
        entity_tok = c[2] if first else c[1]
        fields: dict[str, Any] = {
            "first": first,
            "entity": self._ident(entity_tok),
            "constraints": (),
            "sort": (),
            "limit": None,
            "offset": None,
        }
        end = self._sp(entity_tok)
        for item in c[3 if first else 2 :]:
            fields[item[0]] = item[1]
            end = item[2]
        return (ir.RetrieveDb, fields, end)

    def retrieve_assoc(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        constraints = c[3][1] if len(c) > 3 else ()
        end = c[3][2] if len(c) > 3 else self._sp(c[2])
        return (
            ir.RetrieveAssoc,
            {
                "source": self._var(c[1]),
                "association": self._ident(c[2]),
                "constraints": constraints,
            },
            end,
        )

    def retrieve_where(self, c: list[Any]) -> tuple[str, tuple[ir.XPathConstraint, ...], Span]:
        return ("constraints", tuple(c[1:]), self._sp(c[-1]))

    def sort_clause(self, c: list[Any]) -> tuple[str, tuple[ir.SortItem, ...], Span]:
        return ("sort", tuple(c[2:]), self._sp(c[-1]))

    def sort_item(self, c: list[Any]) -> ir.SortItem:
        descending = len(c) > 1 and str(c[1]) == "desc"
        return ir.SortItem.model_construct(
            span=self._span(c[0], c[-1]), attribute=self._ident(c[0]), descending=descending
        )

    def sort_direction(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    def limit_clause(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("limit", c[1], self._sp(c[1]))

    def offset_clause(self, c: list[Any]) -> tuple[str, Any, Span]:
        return ("offset", c[1], self._sp(c[1]))

    def change_stmt(self, c: list[Any]) -> ir.Change:
        assignments, end = (c[2][0], c[2][1]) if len(c) > 2 else ((), self._sp(c[1]))
        return ir.Change.model_construct(
            span=self._span(c[0], (end,)), variable=self._var(c[1]), assignments=assignments
        )

    def commit_stmt(self, c: list[Any]) -> ir.Commit:
        return ir.Commit.model_construct(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def rollback_stmt(self, c: list[Any]) -> ir.Rollback:
        return ir.Rollback.model_construct(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def delete_stmt(self, c: list[Any]) -> ir.Delete:
        return ir.Delete.model_construct(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def add_stmt(self, c: list[Any]) -> ir.Add:
        return ir.Add.model_construct(span=self._span(c[0], c[3]), value=c[1], list=self._var(c[3]))

    def remove_stmt(self, c: list[Any]) -> ir.Remove:
        return ir.Remove.model_construct(
            span=self._span(c[0], c[3]), value=c[1], list=self._var(c[3])
        )

    def clear_stmt(self, c: list[Any]) -> ir.Clear:
        return ir.Clear.model_construct(span=self._span(c[0], c[1]), list=self._var(c[1]))

    def if_stmt(self, c: list[Any]) -> ir.If:
        branches = [
            ir.IfBranch.model_construct(span=self._span(c[0], c[2]), condition=c[1], body=c[2])
        ]
        otherwise = None
        for item in c[3:]:
            if isinstance(item, ir.IfBranch):
                branches.append(item)
            else:
                otherwise = item[1]
        end = otherwise if otherwise is not None else branches[-1]
        return ir.If.model_construct(
            span=self._span(c[0], end), branches=tuple(branches), otherwise=otherwise
        )

    def else_if(self, c: list[Any]) -> ir.IfBranch:
        return ir.IfBranch.model_construct(span=self._span(c[0], c[3]), condition=c[2], body=c[3])

    def else_block(self, c: list[Any]) -> tuple[str, ir.Block, Span]:
        return ("else", c[1], c[1].span)

    switch_else = else_block

    def switch_stmt(self, c: list[Any]) -> ir.Switch:
        cases = tuple(x for x in c[2:] if isinstance(x, ir.SwitchCase))
        otherwise = next((x[1] for x in c[2:] if isinstance(x, tuple)), None)
        return ir.Switch.model_construct(
            span=self._span(c[0], c[1]), subject=c[1], cases=cases, otherwise=otherwise
        )

    def switch_case(self, c: list[Any]) -> ir.SwitchCase:
        return ir.SwitchCase.model_construct(
            span=self._span(c[0], c[-2]), values=tuple(c[1:-1]), body=c[-1]
        )

    def case_name(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue.model_construct(span=self._sp(c[0]), kind="name", name=str(c[0]))

    def case_empty(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue.model_construct(span=self._sp(c[0]), kind="empty")

    def case_true(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue.model_construct(span=self._sp(c[0]), kind="true")

    def case_false(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue.model_construct(span=self._sp(c[0]), kind="false")

    def switch_type_stmt(self, c: list[Any]) -> ir.SwitchType:
        cases: list[ir.TypeCase] = []
        empty_case = otherwise = None
        for item in c[3:]:
            if isinstance(item, ir.TypeCase):
                cases.append(item)
            elif item[0] == "empty":
                empty_case = item[1]
            else:
                otherwise = item[1]
        return ir.SwitchType.model_construct(
            span=self._span(c[0], c[2]),
            variable=self._var(c[2]),
            cases=tuple(cases),
            empty_case=empty_case,
            otherwise=otherwise,
        )

    def type_case(self, c: list[Any]) -> ir.TypeCase:
        return ir.TypeCase.model_construct(
            span=self._span(c[0], c[1]), entity=self._ident(c[1]), body=c[2]
        )

    def type_case_empty(self, c: list[Any]) -> tuple[str, ir.Block, Span]:
        return ("empty", c[2], self._span(c[0], c[1]))

    def for_stmt(self, c: list[Any]) -> ir.For:
        return ir.For.model_construct(
            span=self._span(c[0], c[3]), variable=self._var(c[1]), iterable=c[3], body=c[4]
        )

    def while_stmt(self, c: list[Any]) -> ir.While:
        return ir.While.model_construct(span=self._span(c[0], c[1]), condition=c[1], body=c[2])

    def return_stmt(self, c: list[Any]) -> ir.Return:
        value = c[1] if len(c) > 1 else None
        return ir.Return.model_construct(span=self._span(c[0], c[-1]), value=value)

    def raise_stmt(self, c: list[Any]) -> ir.Raise:
        message = c[1] if len(c) > 1 else None
        return ir.Raise.model_construct(span=self._span(c[0], c[-1]), message=message)

    def break_stmt(self, c: list[Any]) -> ir.Break:
        return ir.Break.model_construct(span=self._sp(c[0]))

    def continue_stmt(self, c: list[Any]) -> ir.Continue:
        return ir.Continue.model_construct(span=self._sp(c[0]))

    def call_stmt(self, c: list[Any]) -> ir.Call:
        _cls, fields, end = c[0]
        return ir.Call.model_construct(
            span=self._span(fields.pop("start"), (end,)), output=None, **fields
        )

    def call(self, c: list[Any]) -> tuple[type, dict[str, Any], Span]:
        args, end = c[3]
        return (
            ir.Call,
            {
                "start": c[0],
                "kind": str(c[1]),
                "target": self._ident(c[2]),
                "arguments": args,
            },
            end if args else self._sp(c[2]),
        )

    def call_kind(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    def arguments(self, c: list[Any]) -> tuple[tuple[ir.Argument, ...], Span | None]:
        return (tuple(c), c[-1].span if c else None)

    def argument(self, c: list[Any]) -> ir.Argument:
        return ir.Argument.model_construct(
            span=self._span(c[0], c[1]), name=self._ident(c[0]), value=c[1]
        )

    def show_message_stmt(self, c: list[Any]) -> ir.ShowMessage:
        return ir.ShowMessage.model_construct(
            span=self._span(c[0], c[-1]),
            kind=cast(Any, str(c[2])),
            text=c[3],
            blocking=len(c) > 4,
        )

    message_kind = call_kind

    def show_page_stmt(self, c: list[Any]) -> ir.ShowPage:
        args, _end = c[3]
        return ir.ShowPage.model_construct(
            span=self._span(c[0], c[2]), page=self._ident(c[2]), arguments=args
        )

    def close_page_stmt(self, c: list[Any]) -> ir.ClosePage:
        count = int(c[2]) if len(c) > 2 else 1
        if count < 1:
            self.sink.error(
                Code.INVALID_LITERAL,
                "`close page` needs a count of at least 1",
                self._sp(c[2]),
                label="closes no page",
            )
        return ir.ClosePage.model_construct(span=self._span(c[0], c[-1]), count=count)

    def validation_feedback_stmt(self, c: list[Any]) -> ir.ValidationFeedback:
        return ir.ValidationFeedback.model_construct(
            span=self._span(c[0], c[4]),
            variable=self._var(c[2]),
            member=self._ident(c[3]),
            text=c[4],
        )

    def log_stmt(self, c: list[Any]) -> ir.Log:
        node = c[2] if len(c) > 3 else None
        return ir.Log.model_construct(
            span=self._span(c[0], c[-1]),
            level=cast(Any, str(c[1])),
            node=node,
            text=c[-1],
        )

    log_level = call_kind

    def log_node(self, c: list[Any]) -> str:
        return unquote(c[1])

    def sync_all(self, c: list[Any]) -> ir.SyncAll:
        return ir.SyncAll.model_construct(span=self._span(c[0], c[1]))

    def sync_unsynchronized(self, c: list[Any]) -> ir.SyncUnsynchronized:
        return ir.SyncUnsynchronized.model_construct(span=self._span(c[0], c[1]))

    def sync_selected(self, c: list[Any]) -> ir.SyncSelected:
        return ir.SyncSelected.model_construct(span=self._span(c[0], c[-1]), items=tuple(c[1:]))

    def cancel_sync_stmt(self, c: list[Any]) -> ir.CancelSync:
        return ir.CancelSync.model_construct(span=self._span(c[0], c[1]))

    def clear_from_device_stmt(self, c: list[Any]) -> ir.ClearFromDevice:
        return ir.ClearFromDevice.model_construct(
            span=self._span(c[0], c[3]), entity=self._ident(c[3])
        )

    def sync_to_device_stmt(self, c: list[Any]) -> ir.SyncToDevice:
        return ir.SyncToDevice.model_construct(span=self._span(c[0], c[3]), value=c[3])

    # ---- expressions ---------------------------------------------------------------------------

    def if_expr(self, c: list[Any]) -> ir.IfExpr:
        return ir.IfExpr.model_construct(
            span=self._span(c[0], c[5]), condition=c[1], then=c[3], otherwise=c[5]
        )

    def or_op(self, c: list[Any]) -> ir.Logical:
        return ir.Logical.model_construct(
            span=self._span(c[0], c[2]), op="or", left=c[0], right=c[2]
        )

    def and_op(self, c: list[Any]) -> ir.Logical:
        return ir.Logical.model_construct(
            span=self._span(c[0], c[2]), op="and", left=c[0], right=c[2]
        )

    def compare(self, c: list[Any]) -> ir.Compare:
        return ir.Compare.model_construct(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def compare_op(self, c: list[Any]) -> Token:
        return cast(Token, c[0])

    add_op = mul_op = compare_op

    def binary(self, c: list[Any]) -> ir.Binary:
        return ir.Binary.model_construct(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def negate(self, c: list[Any]) -> Any:
        operand = c[1]
        if type(operand) is ir.IntegerLit:
            return ir.IntegerLit.model_construct(
                span=self._span(c[0], operand), value=-operand.value
            )
        if type(operand) is ir.DecimalLit:
            return ir.DecimalLit.model_construct(
                span=self._span(c[0], operand), value=-operand.value
            )
        return ir.Negate.model_construct(span=self._span(c[0], c[1]), operand=c[1])

    def not_op(self, c: list[Any]) -> ir.Not:
        return ir.Not.model_construct(span=self._span(c[0], c[1]), operand=c[1])

    def variable(self, c: list[Any]) -> ir.Variable:
        return self._var(c[0])

    def member_path(self, c: list[Any]) -> ir.MemberPath:
        return ir.MemberPath.model_construct(
            span=self._span(c[0], c[-1]),
            variable=self._var(c[0]),
            steps=tuple(self._ident(t) for t in c[1:]),
        )

    def name_ref(self, c: list[Any]) -> ir.NameRef:
        return ir.NameRef.model_construct(span=self._sp(c[0]), name=self._ident(c[0]))

    def token(self, c: list[Any]) -> ir.TokenRef:
        return ir.TokenRef.model_construct(span=self._sp(c[0]), name=str(c[0])[2:-2])

    def function_call(self, c: list[Any]) -> ir.FunctionCall:
        return ir.FunctionCall.model_construct(
            span=self._span(c[0], c[-1]), name=self._ident(c[0]), args=tuple(c[1:])
        )

    def sort_key(self, c: list[Any]) -> ir.SortKey:
        return ir.SortKey.model_construct(
            span=self._span(c[0], c[1]), key=c[0], descending=str(c[1]) == "desc"
        )

    def string(self, c: list[Any]) -> ir.StringLit:
        return ir.StringLit.model_construct(span=self._sp(c[0]), value=unquote(c[0]))

    def integer(self, c: list[Any]) -> ir.IntegerLit:
        return ir.IntegerLit.model_construct(span=self._sp(c[0]), value=int(c[0]))

    def decimal(self, c: list[Any]) -> ir.DecimalLit:
        return ir.DecimalLit.model_construct(span=self._sp(c[0]), value=Decimal(str(c[0])))

    def true(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit.model_construct(span=self._sp(c[0]), value=True)

    def false(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit.model_construct(span=self._sp(c[0]), value=False)

    def empty(self, c: list[Any]) -> ir.EmptyLit:
        return ir.EmptyLit.model_construct(span=self._sp(c[0]))

    # ---- XPath ---------------------------------------------------------------------------------

    def xpath_query(self, c: list[Any]) -> tuple[ir.XPathConstraint, ...]:
        return tuple(c)

    def xpath(self, c: list[Any]) -> ir.XPathConstraint:
        return ir.XPathConstraint.model_construct(span=c[0].span, expr=c[0])

    def xp_or_op(self, c: list[Any]) -> ir.XPathLogical:
        return ir.XPathLogical.model_construct(
            span=self._span(c[0], c[2]), op="or", left=c[0], right=c[2]
        )

    def xp_and_op(self, c: list[Any]) -> ir.XPathLogical:
        return ir.XPathLogical.model_construct(
            span=self._span(c[0], c[2]), op="and", left=c[0], right=c[2]
        )

    def xp_not_op(self, c: list[Any]) -> ir.XPathNot:
        return ir.XPathNot.model_construct(span=self._span(c[0], c[1]), operand=c[1])

    def xp_compare(self, c: list[Any]) -> ir.XPathCompare:
        return ir.XPathCompare.model_construct(
            span=self._span(c[0], c[2]),
            op=cast(Any, str(c[1])),
            left=c[0],
            right=c[2],
        )

    def xp_test(self, c: list[Any]) -> ir.XPathTest:
        return ir.XPathTest.model_construct(span=c[0].span, operand=c[0])

    def xp_string_function(self, c: list[Any]) -> ir.XPathFunction:
        return ir.XPathFunction.model_construct(
            span=self._span(c[0], c[2]),
            name=cast(Any, str(c[0])),
            path=c[1],
            value=c[2],
        )

    def xp_path(self, c: list[Any]) -> ir.XPathPath:
        return ir.XPathPath.model_construct(
            span=self._span(c[0], c[-1]), steps=tuple(self._ident(t) for t in c)
        )

    def xp_string(self, c: list[Any]) -> ir.StringLit | ir.TokenRef:
        value = unquote(c[0])
        if value.startswith("[%") and value.endswith("%]") and value[2:-2].isidentifier():
            return ir.TokenRef.model_construct(span=self._sp(c[0]), name=value[2:-2])
        return ir.StringLit.model_construct(span=self._sp(c[0]), value=value)

    xp_integer = integer
    xp_decimal = decimal
    xp_negative_integer = negative_int
    xp_negative_decimal = negative_decimal
    xp_empty = empty
    xp_variable = variable
    xp_variable_path = member_path
    xp_token = token

    def xp_true(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit.model_construct(span=self._sp(c[0]), value=True)

    def xp_false(self, c: list[Any]) -> ir.BooleanLit:
        return ir.BooleanLit.model_construct(span=self._sp(c[0]), value=False)
