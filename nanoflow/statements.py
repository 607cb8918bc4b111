"""One entry per statement kind, shared by the checker and the code generator.

`ACTIVITIES` maps each IR statement class to its `Activity`: the name that messages and runtime
error positions use, and where it may run. The checker and the generator each have one method per
statement kind, named after its IR class (`check_CreateObject` in the flow checker,
`_CreateObject` in `runtime.flowgen.FlowGen`); `handlers` collects them into a dispatch table and
fails at import when a kind has no method, so a new statement kind cannot be half wired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, get_args

from nanoflow import ir


class RunsOn(Enum):
    """Where an activity may run (LANGUAGE.md: client and synchronization activities)."""

    ANYWHERE = "anywhere"
    CLIENT = "client"  # a client activity: nanoflows only (NF501)
    DEVICE_SYNC = "device sync"  # synchronization on the device: nanoflows only (NF502)
    SERVER = "server"  # pushes to the device from the server: microflows only (NF503)


@dataclass(frozen=True, slots=True)
class Activity:
    """A statement kind: its IR class, its name (`create list`) and where it may run."""

    node: type[ir.StmtBase]
    name: str
    runs_on: RunsOn = RunsOn.ANYWHERE

    @property
    def words(self) -> str:
        """The name as a message quotes it: `` `create list` ``."""
        return f"`{self.name}`"


_ALL = (
    Activity(ir.Declare, "declare"),
    Activity(ir.Set, "set"),
    Activity(ir.CreateObject, "create"),
    Activity(ir.CreateList, "create list"),
    Activity(ir.Cast, "cast"),
    Activity(ir.RetrieveDb, "retrieve"),
    Activity(ir.RetrieveAssoc, "retrieve"),
    Activity(ir.Call, "call"),
    Activity(ir.Change, "change"),
    Activity(ir.Commit, "commit"),
    Activity(ir.Rollback, "rollback"),
    Activity(ir.Delete, "delete"),
    Activity(ir.Add, "add"),
    Activity(ir.Remove, "remove"),
    Activity(ir.Clear, "clear"),
    Activity(ir.If, "if"),
    Activity(ir.Switch, "switch"),
    Activity(ir.SwitchType, "switch type"),
    Activity(ir.For, "for"),
    Activity(ir.While, "while"),
    Activity(ir.Return, "return"),
    Activity(ir.Raise, "raise"),
    Activity(ir.Break, "break"),
    Activity(ir.Continue, "continue"),
    Activity(ir.ShowMessage, "show message", RunsOn.CLIENT),
    Activity(ir.ShowPage, "show page", RunsOn.CLIENT),
    Activity(ir.ClosePage, "close page", RunsOn.CLIENT),
    Activity(ir.ValidationFeedback, "validation feedback", RunsOn.CLIENT),
    Activity(ir.Log, "log"),
    Activity(ir.SyncAll, "synchronize all", RunsOn.DEVICE_SYNC),
    Activity(ir.SyncUnsynchronized, "synchronize unsynchronized", RunsOn.DEVICE_SYNC),
    Activity(ir.SyncSelected, "synchronize", RunsOn.DEVICE_SYNC),
    Activity(ir.CancelSync, "cancel synchronization", RunsOn.DEVICE_SYNC),
    Activity(ir.ClearFromDevice, "clear from device", RunsOn.DEVICE_SYNC),
    Activity(ir.SyncToDevice, "synchronize to device", RunsOn.SERVER),
)

ACTIVITIES: dict[type[ir.StmtBase], Activity] = {activity.node: activity for activity in _ALL}
"""Every statement kind, by IR class."""

if set(ACTIVITIES) != set(get_args(ir.Stmt)) or len(ACTIVITIES) != len(_ALL):
    raise TypeError(
        "nanoflow.statements.ACTIVITIES and nanoflow.ir.Stmt disagree: "
        f"{sorted(c.__name__ for c in set(ACTIVITIES) ^ set(get_args(ir.Stmt)))}"
    )


def handlers(owner: type, prefix: str) -> dict[type[ir.StmtBase], Callable[..., Any]]:
    """`owner`'s method for each statement kind, named `prefix + IR class name`.

    Raises `TypeError` naming the kinds that have no such method, so a checker or generator
    missing a statement kind fails when it is imported, not when a flow uses that statement.
    """
    missing = [node.__name__ for node in ACTIVITIES if not hasattr(owner, prefix + node.__name__)]
    if missing:
        raise TypeError(
            f"{owner.__qualname__} has no {prefix}<Statement> method for: {', '.join(missing)}"
        )
    return {node: getattr(owner, prefix + node.__name__) for node in ACTIVITIES}


def child_blocks(stmt: ir.Stmt) -> Iterator[ir.Block]:
    """The blocks nested directly in a statement: branches, cases, loop bodies, its handler."""
    for value in ir.values(stmt):
        if isinstance(value, ir.Block):
            yield value
        elif isinstance(value, ir.ErrorHandler):
            if value.body is not None:
                yield value.body
        elif isinstance(value, tuple):
            for item in value:
                body = getattr(item, "body", None)
                if isinstance(body, ir.Block):
                    yield body
