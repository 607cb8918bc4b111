"""Lowering of statements: blocks, error handlers and every activity."""

from __future__ import annotations

from typing import Any, cast

from lark import Token

from nanoflow import ir
from nanoflow.codes import Code
from nanoflow.lowering.base import LoweringBase, unquote
from nanoflow.source import Span


class StatementLowering(LoweringBase):
    """Callbacks of the statement rules."""

    def block(self, c: list[Any]) -> ir.Block:
        return ir.Block(span=self._span(c[0], c[-1]), statements=tuple(c[1:-1]))

    def statement(self, c: list[Any]) -> Any:
        if len(c) == 1:
            return c[0]
        stmt, handler = c
        return ir.replace(stmt, handler=handler)

    def handler_custom(self, c: list[Any]) -> ir.ErrorHandler:
        return ir.ErrorHandler(
            span=self._span(c[0], c[1]), kind="custom", body=c[2]
        )

    def handler_continue(self, c: list[Any]) -> ir.ErrorHandler:
        return ir.ErrorHandler(span=self._span(c[0], c[2]), kind="continue")

    def declare_stmt(self, c: list[Any]) -> ir.Declare:
        type_ref = value = None
        for item in c[2:]:
            if isinstance(item, ir.NamedType | ir.ListTypeRef):
                type_ref = item
            else:
                value = item
        return ir.Declare(
            span=self._span(c[0], c[-1]), variable=self._var(c[1]), type=type_ref, value=value
        )

    def set_stmt(self, c: list[Any]) -> ir.Set:
        return ir.Set(
            span=self._span(c[0], c[2]), variable=self._var(c[1]), value=c[2]
        )

    def output_stmt(self, c: list[Any]) -> Any:
        cls, fields, end = c[1]
        fields.pop("start", None)
        out = self._var(c[0])
        return cls(span=self._span(c[0], (end,)), output=out, **fields)

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
        return ir.MemberAssignment(
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
        return ir.SortItem(
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
        return ir.Change(
            span=self._span(c[0], (end,)), variable=self._var(c[1]), assignments=assignments
        )

    def commit_stmt(self, c: list[Any]) -> ir.Commit:
        return ir.Commit(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def rollback_stmt(self, c: list[Any]) -> ir.Rollback:
        return ir.Rollback(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def delete_stmt(self, c: list[Any]) -> ir.Delete:
        return ir.Delete(span=self._span(c[0], c[1]), variable=self._var(c[1]))

    def add_stmt(self, c: list[Any]) -> ir.Add:
        return ir.Add(span=self._span(c[0], c[3]), value=c[1], list=self._var(c[3]))

    def remove_stmt(self, c: list[Any]) -> ir.Remove:
        return ir.Remove(
            span=self._span(c[0], c[3]), value=c[1], list=self._var(c[3])
        )

    def clear_stmt(self, c: list[Any]) -> ir.Clear:
        return ir.Clear(span=self._span(c[0], c[1]), list=self._var(c[1]))

    def if_stmt(self, c: list[Any]) -> ir.If:
        branches = [
            ir.IfBranch(span=self._span(c[0], c[2]), condition=c[1], body=c[2])
        ]
        otherwise = None
        for item in c[3:]:
            if isinstance(item, ir.IfBranch):
                branches.append(item)
            else:
                otherwise = item[1]
        end = otherwise if otherwise is not None else branches[-1]
        return ir.If(
            span=self._span(c[0], end), branches=tuple(branches), otherwise=otherwise
        )

    def else_if(self, c: list[Any]) -> ir.IfBranch:
        return ir.IfBranch(span=self._span(c[0], c[3]), condition=c[2], body=c[3])

    def else_block(self, c: list[Any]) -> tuple[str, ir.Block, Span]:
        return ("else", c[1], c[1].span)

    switch_else = else_block

    def switch_stmt(self, c: list[Any]) -> ir.Switch:
        cases = tuple(x for x in c[2:] if isinstance(x, ir.SwitchCase))
        otherwise = next((x[1] for x in c[2:] if isinstance(x, tuple)), None)
        return ir.Switch(
            span=self._span(c[0], c[1]), subject=c[1], cases=cases, otherwise=otherwise
        )

    def switch_case(self, c: list[Any]) -> ir.SwitchCase:
        return ir.SwitchCase(
            span=self._span(c[0], c[-2]), values=tuple(c[1:-1]), body=c[-1]
        )

    def case_name(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue(span=self._sp(c[0]), kind="name", name=str(c[0]))

    def case_empty(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue(span=self._sp(c[0]), kind="empty")

    def case_true(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue(span=self._sp(c[0]), kind="true")

    def case_false(self, c: list[Any]) -> ir.CaseValue:
        return ir.CaseValue(span=self._sp(c[0]), kind="false")

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
        return ir.SwitchType(
            span=self._span(c[0], c[2]),
            variable=self._var(c[2]),
            cases=tuple(cases),
            empty_case=empty_case,
            otherwise=otherwise,
        )

    def type_case(self, c: list[Any]) -> ir.TypeCase:
        return ir.TypeCase(
            span=self._span(c[0], c[1]), entity=self._ident(c[1]), body=c[2]
        )

    def type_case_empty(self, c: list[Any]) -> tuple[str, ir.Block, Span]:
        return ("empty", c[2], self._span(c[0], c[1]))

    def for_stmt(self, c: list[Any]) -> ir.For:
        return ir.For(
            span=self._span(c[0], c[3]), variable=self._var(c[1]), iterable=c[3], body=c[4]
        )

    def while_stmt(self, c: list[Any]) -> ir.While:
        return ir.While(span=self._span(c[0], c[1]), condition=c[1], body=c[2])

    def return_stmt(self, c: list[Any]) -> ir.Return:
        value = c[1] if len(c) > 1 else None
        return ir.Return(span=self._span(c[0], c[-1]), value=value)

    def raise_stmt(self, c: list[Any]) -> ir.Raise:
        message = c[1] if len(c) > 1 else None
        return ir.Raise(span=self._span(c[0], c[-1]), message=message)

    def break_stmt(self, c: list[Any]) -> ir.Break:
        return ir.Break(span=self._sp(c[0]))

    def continue_stmt(self, c: list[Any]) -> ir.Continue:
        return ir.Continue(span=self._sp(c[0]))

    def call_stmt(self, c: list[Any]) -> ir.Call:
        _cls, fields, end = c[0]
        return ir.Call(
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
        return ir.Argument(
            span=self._span(c[0], c[1]), name=self._ident(c[0]), value=c[1]
        )

    def show_message_stmt(self, c: list[Any]) -> ir.ShowMessage:
        return ir.ShowMessage(
            span=self._span(c[0], c[-1]),
            kind=cast(Any, str(c[2])),
            text=c[3],
            blocking=len(c) > 4,
        )

    message_kind = call_kind

    def show_page_stmt(self, c: list[Any]) -> ir.ShowPage:
        args, _end = c[3]
        return ir.ShowPage(
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
        return ir.ClosePage(span=self._span(c[0], c[-1]), count=count)

    def validation_feedback_stmt(self, c: list[Any]) -> ir.ValidationFeedback:
        return ir.ValidationFeedback(
            span=self._span(c[0], c[4]),
            variable=self._var(c[2]),
            member=self._ident(c[3]),
            text=c[4],
        )

    def log_stmt(self, c: list[Any]) -> ir.Log:
        node = c[2] if len(c) > 3 else None
        return ir.Log(
            span=self._span(c[0], c[-1]),
            level=cast(Any, str(c[1])),
            node=node,
            text=c[-1],
        )

    log_level = call_kind

    def log_node(self, c: list[Any]) -> str:
        return unquote(c[1])

    def sync_all(self, c: list[Any]) -> ir.SyncAll:
        return ir.SyncAll(span=self._span(c[0], c[1]))

    def sync_unsynchronized(self, c: list[Any]) -> ir.SyncUnsynchronized:
        return ir.SyncUnsynchronized(span=self._span(c[0], c[1]))

    def sync_selected(self, c: list[Any]) -> ir.SyncSelected:
        return ir.SyncSelected(span=self._span(c[0], c[-1]), items=tuple(c[1:]))

    def cancel_sync_stmt(self, c: list[Any]) -> ir.CancelSync:
        return ir.CancelSync(span=self._span(c[0], c[1]))

    def clear_from_device_stmt(self, c: list[Any]) -> ir.ClearFromDevice:
        return ir.ClearFromDevice(
            span=self._span(c[0], c[3]), entity=self._ident(c[3])
        )

    def sync_to_device_stmt(self, c: list[Any]) -> ir.SyncToDevice:
        return ir.SyncToDevice(span=self._span(c[0], c[3]), value=c[3])
