"""Checking of the client activities (messages, pages, validation feedback), `log` and the
synchronization activities. Where each may run is checked for all statements in `base`."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_flows.base import Defined
from nanoflow.check_flows.operands import OperandChecks
from nanoflow.codes import Code


class ClientChecks(OperandChecks):
    """Client, log and synchronization activities."""

    def check_ShowMessage(self, stmt: ir.ShowMessage) -> Defined:
        self.exprs.expect(stmt.text, t.STRING, "the message text")
        return self.defined

    def check_ShowPage(self, stmt: ir.ShowPage) -> Defined:
        page = self.names.resolve_callable(
            stmt.page, self.ctx.module, ("page",), "page", Code.UNKNOWN_PAGE
        )
        self.arguments(stmt.arguments, page, stmt.page.span)
        return self.defined

    def check_ClosePage(self, stmt: ir.ClosePage) -> Defined:
        return self.defined

    def check_ValidationFeedback(self, stmt: ir.ValidationFeedback) -> Defined:
        entity = self.object_var(stmt.variable, "give validation feedback on")
        if entity is not None:
            self.exprs.member(entity, stmt.member)
        self.exprs.expect(stmt.text, t.STRING, "the feedback text")
        return self.defined

    def check_Log(self, stmt: ir.Log) -> Defined:
        self.exprs.expect(stmt.text, t.STRING, "the log text")
        return self.defined

    def _nothing_more(self, stmt: ir.SyncAll | ir.SyncUnsynchronized | ir.CancelSync) -> Defined:
        return self.defined

    check_SyncAll = check_SyncUnsynchronized = check_CancelSync = _nothing_more

    def check_SyncSelected(self, stmt: ir.SyncSelected) -> Defined:
        for item in stmt.items:
            self.objects_only(item, "`synchronize`")
        return self.defined

    def check_ClearFromDevice(self, stmt: ir.ClearFromDevice) -> Defined:
        entity_info = self.names.resolve_entity(stmt.entity, self.ctx.module)
        if entity_info is not None and self.ctx.nanoflow:
            self.offline_check(entity_info.qname, stmt.entity.span, "clear")
        return self.defined

    def check_SyncToDevice(self, stmt: ir.SyncToDevice) -> Defined:
        self.objects_only(stmt.value, "`synchronize to device`")
        return self.defined
