"""Microflows on the server: the same generated code as nanoflows, run by a `ServerSession` on
a `ServerStore` inside one write transaction per call (rolled back on an unhandled error).

- The session's user is the caller: its id, name, roles and time zone; `[%CurrentUser%]` is the
  caller's own `System.User` object.
- `call microflow` inside a microflow is a direct call in the same session and transaction
  (`DirectMicroflows`); each flow runs with its own entity access setting, restored when it
  returns (`ServerSession.enter`), so a sub-microflow without `with entity access` sees
  everything even when its caller applies the rules, and the other way round.
- `synchronize to device $x` collects objects for the calling device (`ServerSession.to_device`);
  `nanoflow.server.microflows` turns them into the answer.

Every commit and delete of a `ServerSession` (a microflow's activities, a device's upload)
runs the entity's event handlers (`on before|after commit|delete M`, the generalizations' first):
a before handler that returns `false` leaves its object out (not written, no error); a handler
may change the object; a handler that fails fails the activity. A handler that commits or
deletes its own object does not run again for it (no endless recursion).

`run_microflow` is one call from outside (a device); `run_handler` runs an event handler
microflow on an object in a session and transaction that already exist (a sync's upload).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nanoflow.compiler import App
from nanoflow.names import NameTable
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.host import Host
from nanoflow.runtime.program import Program
from nanoflow.runtime.session import Session
from nanoflow.runtime.values import MendixError, MxObject
from nanoflow.server.access import AccessRules, UserAccess
from nanoflow.server.database import ServerDatabase
from nanoflow.server.entity_access import EntityAccess
from nanoflow.server.store import ServerStore
from nanoflow.server.users import USER_ENTITY, User

log = logging.getLogger("nanoflow.server.flows")
_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_rules: weakref.WeakKeyDictionary[App, AccessRules] = weakref.WeakKeyDictionary()


def access_rules(app: App) -> AccessRules:
    """The app's access rules (built once per app)."""
    found = _rules.get(app)
    if found is None:
        found = _rules[app] = AccessRules(app.names)
    return found


@dataclass(frozen=True)
class Caller:
    """Who a flow runs for on the server: the request's user."""

    user_id: str
    name: str
    roles: tuple[str, ...]
    time_zone: str | None = None

    @classmethod
    def of(cls, user: User, app: App) -> Caller:
        """The caller for a user, with the roles the app still declares."""
        roles = tuple(r for r in user.roles if r in app.names.roles)
        return cls(user.id, user.name, roles, user.time_zone)


class ServerHost(Host):
    """The host of flows on the server: `log` goes to the `nanoflow.server.flows` logger (the
    checker keeps client activities out of microflows)."""

    async def log(self, level: str, node: str | None, text: str) -> None:
        log.log(_LEVELS.get(level, logging.INFO), "%s%s", f"[{node}] " if node else "", text)

    def _write(self, text: str) -> None:
        log.warning("client activity on the server: %s", text)


class DirectMicroflows:
    """`call microflow` on the server: the callee runs in the caller's session."""

    async def call_microflow(self, session: Session, name: str, arguments: dict[str, Any]) -> Any:
        assert isinstance(session, ServerSession)
        return await session.enter(name, arguments)


class DeviceCollector:
    """The synchronization activities of a server session: only `synchronize to device`,
    which collects objects for the calling device."""

    async def synchronize(self, session: Session, mode: str, items: list[Any]) -> None:
        raise MendixError("synchronization runs on the device, not in a microflow")

    async def cancel(self, session: Session) -> None:
        raise MendixError("synchronization runs on the device, not in a microflow")

    async def clear_from_device(self, session: Session, entity: str) -> None:
        raise MendixError("`clear from device` runs on the device, not in a microflow")

    async def to_device(self, session: Session, value: Any) -> None:
        assert isinstance(session, ServerSession)
        for obj in session._objects(value, "the objects"):
            session.to_device.setdefault(obj.id, obj)


class ServerSession(Session):
    """A session on the server: one caller's flows on one transaction's store. Open it with
    `await session.open()` (it loads the caller's `System.User`)."""

    def __init__(
        self,
        app: App | Program,
        store: ServerStore,
        caller: Caller,
        *,
        host: Host | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            app,
            store=store,
            host=host or ServerHost(),
            timezone=caller.time_zone,
            user=caller.name,
            user_id=caller.user_id,
            roles=list(caller.roles),
            now=now,
            microflows=DirectMicroflows(),
            sync=DeviceCollector(),
        )
        self.caller = caller
        self.server_store = store
        access = UserAccess(access_rules(self.app), caller.user_id, caller.roles)
        self.entity_access = EntityAccess(access, store, caller.name)
        store.guard = self.entity_access
        self.to_device: dict[str, MxObject] = {}
        """Objects `synchronize to device` asked for, by id, in the order asked."""
        self._in_handler: set[tuple[str, str, str]] = set()
        self._deleted: set[str] = set()
        self._handlers: dict[tuple[str, str, str], list[str]] = {}

    async def open(self) -> ServerSession:
        user = await self.load(self.caller.user_id, USER_ENTITY)
        if user is None:  # a caller without a user object: the flow still knows who it is
            user = MxObject(USER_ENTITY, self.caller.user_id, {"Name": self.caller.name,
                                                                "Active": True}, new=False)
        self.current_user = user
        self.ctx.current_user = user
        return self

    def apply_entity_access(self, applied: bool) -> None:
        """Make retrieves, commits and deletes apply the caller's rules, or not."""
        self.entity_access.applied = applied
        self.restriction = self.entity_access.restriction if applied else None

    async def enter(self, qname: str, arguments: dict[str, Any]) -> Any:
        """Run a microflow with its own entity access setting, restoring the caller's after;
        a failure stays a `MendixError` (its caller's handler may catch it)."""
        compiled = self.program.flow(qname)
        previous = self.entity_access.applied
        self.apply_entity_access(compiled.flow.entity_access)
        try:
            return await self.call_flow(qname, arguments)
        finally:
            self.apply_entity_access(previous)

    async def run(self, qname: str, arguments: dict[str, Any]) -> Any:
        """Run a microflow from outside: `FlowError` (with its flow and position) if it fails."""
        try:
            return await self.enter(qname, arguments)
        except MendixError as error:
            raise self.flow_error(error, qname) from error

    # ---- commits and deletes with event handlers --------------------------------------------

    async def commit(self, value: Any, what: str) -> None:
        """`commit`: before-commit handlers, the write, after-commit handlers."""
        await self.commit_with_events(value, what)

    async def delete(self, value: Any, what: str) -> None:
        """`delete`: before-delete handlers, the delete, after-delete handlers."""
        await self.delete_with_events(value, what)

    async def commit_with_events(self, value: Any, what: str) -> list[MxObject]:
        """Commit with event handlers; the objects a before handler cancelled (not written)."""
        objects = self._objects(value, what)
        if any(o.id in self._deleted for o in objects):
            raise MendixError(f"{what} was deleted: a deleted object cannot be committed")
        kept, cancelled = await self._before(objects, "commit")
        if kept:
            await super().commit(kept, what)
            for obj in kept:
                await self.events(obj, "after", "commit")
        return cancelled

    async def delete_with_events(self, value: Any, what: str) -> list[MxObject]:
        """Delete with event handlers; the objects a before handler cancelled (kept)."""
        objects = self._objects(value, what)
        kept, cancelled = await self._before(objects, "delete")
        if kept:
            await super().delete(kept, what)
            self._deleted.update(o.id for o in kept)
            for obj in kept:
                obj.removed = False  # an after-delete handler reads the deleted object's values
                try:
                    await self.events(obj, "after", "delete")
                finally:
                    obj.removed = True
        return cancelled

    async def _before(
        self, objects: list[MxObject], action: str
    ) -> tuple[list[MxObject], list[MxObject]]:
        kept: list[MxObject] = []
        cancelled: list[MxObject] = []
        for obj in objects:
            if await self.events(obj, "before", action) is False:
                cancelled.append(obj)
            else:
                kept.append(obj)
        return kept, cancelled

    async def events(self, obj: MxObject, moment: str, action: str) -> Any:
        """Run an object's `on <moment> <action>` handlers (its generalizations' first); the
        last result, or False as soon as a before handler returns false. A handler's failure is
        a `MendixError` naming it."""
        event = (obj.entity, moment, action)
        found = self._handlers.get(event)
        if found is None:
            found = self._handlers[event] = handlers_of(self.names, *event)
        result: Any = None
        for qname in found:
            key = (obj.id, moment, action)
            if key in self._in_handler:
                continue  # the handler committed or deleted its own object
            self._in_handler.add(key)
            try:
                result = await self._handler(qname, obj, moment, action)
            finally:
                self._in_handler.discard(key)
            if result is False and moment == "before":
                return False
        return result

    async def _handler(self, qname: str, obj: MxObject, moment: str, action: str) -> Any:
        compiled = self.program.flow(qname)
        if len(compiled.flow.parameters) != 1:
            raise MendixError(
                f"event handler `{qname}` must take the object as its only parameter"
            )
        parameter = compiled.flow.parameters[0].variable.name
        try:
            return await self.enter(qname, {parameter: obj})
        except MendixError as error:
            raise MendixError(
                f"the {moment}-{action} event handler {qname} failed: {error.message}"
            ) from error


def handlers_of(names: NameTable, entity: str, moment: str, action: str) -> list[str]:
    """The qualified names of an entity's handlers for one event, its generalizations' first."""
    info = names.entities[entity]
    found: list[str] = []
    for name in (*reversed(info.ancestors), entity):
        decl = names.entities[name].decl
        if decl is None:
            continue
        for handler in decl.handlers:
            if handler.moment == moment and handler.action == action:
                found.append(names.qualify(handler.microflow.text, names.entities[name].module))
    return found


async def open_session(
    db: ServerDatabase,
    store: ServerStore,
    caller: Caller,
    *,
    host: Host | None = None,
) -> ServerSession:
    """An open session for a caller on a store of `db` (one transaction)."""
    return await ServerSession(Program.of(db.app), store, caller, host=host).open()


async def run_microflow(
    db: ServerDatabase,
    caller: Caller,
    qname: str,
    arguments: dict[str, Any],
    *,
    after: Callable[[ServerSession, Any], Awaitable[Any]] | None = None,
    host: Host | None = None,
) -> Any:
    """Run a microflow for a caller in one write transaction, committed when it returns and
    rolled back when it fails (`FlowError`). `after(session, result)`, when given, runs in
    the same transaction after the flow (reading what it left) and its value is returned
    instead of the flow's result."""
    async with db.write() as conn:
        session = await open_session(db, ServerStore(db, conn), caller, host=host)
        result = await session.run(qname, arguments)
        if after is not None:
            return await after(session, result)
        return result


async def run_handler(session: ServerSession, qname: str, obj: MxObject) -> Any:
    """Run an event handler microflow (`on before commit M`, ...) on an object in an existing
    session and transaction: its result (a before handler's Boolean), or `FlowError`."""
    compiled = session.program.flow(qname)
    if len(compiled.flow.parameters) != 1:
        raise FlowError(f"event handler `{qname}` must take the object as its only parameter",
                        qname)
    parameter = compiled.flow.parameters[0].variable.name
    return await session.run(qname, {parameter: obj})
