"""Checking of nanoflow and microflow bodies: variables on every path, statement types,
where each activity may run, returns, loops and error handlers.

`FlowChecker` is composed of one class per family of statements; each statement kind has its
`check_<IR class>` method, found through `nanoflow.statements` when this module is imported.
"""

from __future__ import annotations

from nanoflow.check_flows.calls import CallChecks
from nanoflow.check_flows.client import ClientChecks
from nanoflow.check_flows.control import ControlChecks
from nanoflow.check_flows.objects import ObjectChecks
from nanoflow.check_flows.retrieves import RetrieveChecks
from nanoflow.check_flows.variables import VariableChecks
from nanoflow.statements import handlers

__all__ = ["FlowChecker"]


class FlowChecker(
    VariableChecks, ObjectChecks, RetrieveChecks, CallChecks, ControlChecks, ClientChecks
):
    """Checks one flow body (`FlowChecker(...).check()`)."""


FlowChecker.checks = handlers(FlowChecker, "check_")
