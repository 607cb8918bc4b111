"""The embedding API (LANGUAGE.md section 10): `Runtime` with the front-end conveniences the
device runtime itself does not carry (XPath given as text)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from nanoflow import ir
from nanoflow import types as t
from nanoflow.compiler import App, compile_xpath
from nanoflow.runtime.functions.tokens import token_value
from nanoflow.runtime.host import Host
from nanoflow.runtime.number_text import DECIMAL_RANGE, in_decimal_range, shorten
from nanoflow.runtime.query import Query
from nanoflow.runtime.session import Session
from nanoflow.runtime.storage import Store
from nanoflow.runtime.store.codec import fold
from nanoflow.runtime.store.store import DeviceStore
from nanoflow.runtime.sync.engine import SIMULTANEOUS, DeviceSync, Progress, stored_failures
from nanoflow.runtime.sync.login import (
    CachedSession,
    ServerConnectionError,
    ServerLink,
    StoreBound,
    connect,
)
from nanoflow.runtime.values import (
    INT_MAX,
    INT_MIN,
    LONG_MAX,
    LONG_MIN,
    EnumValue,
    MendixError,
    MxObject,
)
from nanoflow.source import NO_SPAN


@dataclass(frozen=True)
class SyncFailure:
    """A change that the server refused (kept there as a `System.SynchronizationFailure`): the
    object, what was uploaded (`new`, `changed`, `deleted`; empty when not known), why, and
    when. `source` says where the list came from: `"server"` (the user's failure records) or
    `"device"` (what this device's uploads reported, when the server cannot be reached);
    `failure_id` is the record's id on the server (None when not known)."""

    object_id: str
    entity: str
    kind: str
    reason: str
    at: datetime
    source: str = "device"
    failure_id: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any], source: str = "device") -> SyncFailure:
        failure_id = item.get("failure_id")
        return cls(
            str(item.get("id", "")),
            str(item.get("entity", "")),
            str(item.get("kind") or ""),
            str(item.get("reason", "")),
            datetime.fromtimestamp(float(item.get("at", 0)), UTC),
            source,
            str(failure_id) if failure_id else None,
        )


def _is_http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Runtime(Session):
    """Runs an app's nanoflows on a device: `async with nanoflow.Runtime(app, store=...)`.

    With `server=` (a `nanoflow serve` URL) it logs `user` in with `password`, binds the store to
    that user and server, caches the session for offline use and does the store's first full
    synchronization before any flow runs (see docs/embedding.md). `link=` hands it a ready
    connection instead (the CLI's embedded server); the runtime closes it."""

    def __init__(
        self,
        app: App,
        store: Store | str | Path | None = None,
        server: str | None = None,
        user: str | None = None,
        password: str | None = None,
        host: Host | None = None,
        timezone: str | None = None,
        rounding: str = "half_away_from_zero",
        *,
        link: ServerLink | None = None,
    ) -> None:
        if server is not None and link is not None:
            raise ValueError("give either `server` or `link`, not both")
        if server is not None and not _is_http_url(server):
            raise ValueError(f"`server` takes an http:// or https:// URL, not {server!r}")
        super().__init__(
            app, store=store, host=host, timezone=timezone, user=user or "local", rounding=rounding
        )
        self._queries: dict[tuple[str, str], Query] = {}
        self._server = server
        self._password = password
        self._link = link
        self._user_given = user is not None
        self._timezone_given = timezone is not None
        self._device_sync: DeviceSync | None = None
        self._listeners: list[asyncio.Queue[Progress | None]] = []
        self.session: CachedSession | None = None
        """The session the runtime runs with (None: local, no server)."""
        self.online = False
        """Whether the runtime logged in to its server when it opened."""

    # ---- opening with a server -------------------------------------------------------------

    async def open(self) -> Runtime:
        try:
            await super().open()
            await self._connect()
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        link, self._link = self._link, None
        try:
            if link is not None:
                await link.close()
        finally:
            await super().close()

    async def _connect(self) -> None:
        store = self.store
        if self._link is None and self._server is not None:
            self._link = ServerLink(
                httpx.AsyncClient(base_url=self._server), self._server, self._password
            )
        link = self._link
        if link is None:
            if isinstance(store, DeviceStore):
                await self._offline_binding(store)
            return
        if not isinstance(store, DeviceStore):
            raise ValueError("a runtime with a sync server needs a device store (`store=PATH`)")
        connected = await connect(store, link, self.user_name, sorted(self.names.roles))
        self._become(connected.session)
        sync = DeviceSync(connected.transport, store, connected.session.device_id)
        sync.on_progress = self._progress
        self._device_sync = sync
        self.sync = sync
        self.microflows = sync
        self.online = connected.online
        if connected.online and not await store.get_meta("full_sync"):
            try:
                await sync.synchronize(self, "all", [])
            except MendixError as error:
                raise ServerConnectionError(
                    f"the first synchronization with the sync server at {link.label} failed: "
                    f"{error.message}"
                ) from None

    async def _offline_binding(self, store: DeviceStore) -> None:
        """A store bound to a server, opened without one, runs as its cached user (no
        synchronization, no microflow calls)."""
        cached = CachedSession.from_meta(await store.get_meta("session"))
        if cached is None or not await store.get_meta("user_id"):
            return
        if self._user_given and fold(self.user_name) != fold(cached.user_name):
            raise StoreBound(
                f"store {store.path} belongs to user `{cached.user_name}` on server "
                f"{cached.server} (id {cached.server_id}); it cannot be opened for user "
                f"`{self.user_name}`. Nothing was changed: use another store for this user"
            )
        self._become(cached)

    def _become(self, session: CachedSession) -> None:
        """Run as the session's user: id, name, roles, and time zone (unless one was given)."""
        self.session = session
        self.start_user(session.user_id, session.user_name)
        self.roles = list(session.roles)
        if not self._timezone_given and session.time_zone:
            # a zone this machine does not know: keep UTC
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                self.ctx.timezone = ZoneInfo(session.time_zone)

    # ---- synchronization --------------------------------------------------------------------

    async def _progress(self, progress: Progress) -> None:
        for queue in self._listeners:
            queue.put_nowait(progress)
        await self.host.sync_progress(progress)

    async def synchronize(self) -> AsyncIterator[Progress]:
        """Synchronize all objects, as `synchronize all` does, yielding its progress:
        `async for progress in rt.synchronize(): ...`. Raises `MendixError` when it fails
        (another synchronization running, no server, the server unreachable, ...)."""
        sync = self._device_sync
        if sync is not None and sync.running:
            raise MendixError(SIMULTANEOUS)
        queue: asyncio.Queue[Progress | None] = asyncio.Queue()
        self._listeners.append(queue)
        task = asyncio.ensure_future(self.run_synchronization("all", []))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (progress := await queue.get()) is not None:
                yield progress
            await task
        finally:
            self._listeners.remove(queue)
            if not task.done():  # the caller stopped listening: stop at the next safe point
                with contextlib.suppress(MendixError):
                    await self.cancel_synchronization()
                with contextlib.suppress(MendixError):
                    await task

    async def failures(self) -> list[SyncFailure]:
        """The user's changes that the server refused (its `System.SynchronizationFailure`
        records), newest first: from the server when it answers (`source="server"`), else what
        this device's uploads reported (`source="device"`)."""
        store = self.store
        sync = self._device_sync
        if sync is not None:
            try:
                found = await sync.server_failures()
            except MendixError:
                pass  # offline, or the token is no longer good: the device's own list
            else:
                return [SyncFailure.of(item, "server") for item in found]
        if not isinstance(store, DeviceStore):
            return []
        return [SyncFailure.of(item) for item in await stored_failures(store)]

    def create(self, entity: str, values: dict[str, Any] | None = None) -> MxObject:
        """A new, uncommitted object; member values are checked against the entity (attributes
        by name, associations by name or qualified name: objects, lists of objects, or None)."""
        info = self.names.entities.get(entity)
        if info is None:
            raise ValueError(f"unknown entity `{entity}`")
        checked: dict[str, Any] = {}
        for member, value in (values or {}).items():
            attr = info.attributes.get(member)
            if attr is not None:
                checked[member] = check_value(value, attr.type, f"{entity}.{member}", self)
                continue
            found = self.names.find_association(
                ir.Ident(span=NO_SPAN, text=member), info.module, entity
            )
            if found is None or found[1] != "source":
                raise ValueError(f"{entity} has no attribute or owned association `{member}`")
            assoc = found[0]
            checked[assoc.qname] = check_value(
                value, assoc.type_from("source"), f"{entity}.{member}", self
            )
        return super().create(entity, checked)

    async def call(self, flow: str, /, **arguments: Any) -> Any:
        """Run a flow by `Module.Name` (or unique `Name`) with its parameters as keyword
        arguments; raises `FlowError` if it ends in an unhandled error."""
        info = self.app.find_flow(flow)
        if info is not None:
            unknown = set(arguments) - set(info.parameters)
            if unknown:
                raise TypeError(
                    f"`{info.qname}` has no parameter {', '.join(sorted(unknown))} "
                    f"(parameters: {', '.join(info.parameters) or 'none'})"
                )
            arguments = {
                name: check_value(value, info.parameters[name], f"parameter `{name}`", self)
                for name, value in arguments.items()
            }
        return await super().call(flow, **arguments)

    async def retrieve(self, entity: str, xpath: str = "") -> list[MxObject]:
        """The objects of an entity matching an XPath constraint written as text, e.g.
        `await rt.retrieve("Sales.Order", xpath="[Status = 'Placed']")`. Only the XPath is
        compiled (once per entity and text); a mistake raises `CompileError` pointing into
        the text."""
        query = self._queries.get((entity, xpath))
        if query is None:
            if self.store is None:
                raise ValueError("this runtime has no offline store (pass `store=...`)")
            constraints = compile_xpath(self.app, entity, xpath)
            info = self.names.entities[entity]
            query = Query.of(info.qname, constraints, (), info.module)
            self._queries[(entity, xpath)] = query
        values = tuple(
            token_value(self.ctx, node.name)
            for node in query.slots
            if isinstance(node, ir.TokenRef)
        )
        found: list[MxObject] = await self.retrieve_query(query, values, None, None, False)
        return found


def check_value(value: Any, type_: t.Type, what: str, rt: Runtime) -> Any:
    """A Python value given through the API, checked (and converted where it is safe) for a
    member or parameter of type `type_`."""
    if value is None:
        return [] if isinstance(type_, t.ListType) else None
    if isinstance(type_, t.ListType):
        if not isinstance(value, list) or not all(isinstance(o, MxObject) for o in value):
            raise TypeError(f"{what} takes a list of {type_.entity} objects")
        for obj in value:
            _check_object(obj, type_.entity, what, rt)
        return list(value)
    if isinstance(type_, t.ObjectType):
        if not isinstance(value, MxObject):
            raise TypeError(f"{what} takes an object of {type_.entity}, not {value!r}")
        _check_object(value, type_.entity, what, rt)
        return value
    if isinstance(type_, t.EnumType):
        if isinstance(value, EnumValue) and value.enum == type_.enum:
            return value
        keys = rt.names.enums[type_.enum].values
        if isinstance(value, str) and value in keys:
            return EnumValue.of(type_.enum, value)
        raise ValueError(f"{what} takes a value of {type_.enum} ({', '.join(keys)})")
    name = type_.name if isinstance(type_, t.Prim) else ""
    if name in ("String", "HashedString") and isinstance(value, str):
        return value
    if name in ("Integer", "Long") and isinstance(value, int) and not isinstance(value, bool):
        low, high = (INT_MIN, INT_MAX) if name == "Integer" else (LONG_MIN, LONG_MAX)
        if not low <= value <= high:
            raise ValueError(
                f"{what}: {value} does not fit in {'an' if name == 'Integer' else 'a'} {name}"
            )
        return value
    if name == "Decimal" and isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{what}: {value} is not a number (NaN and infinities never are)")
        if not in_decimal_range(number):
            raise ValueError(f"{what}: {shorten(str(value))} is out of range ({DECIMAL_RANGE})")
        return number
    if name == "Boolean" and isinstance(value, bool):
        return value
    if name == "DateTime" and isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{what} takes an aware datetime (with a time zone)")
        return value
    if name == "Binary" and isinstance(value, bytes):
        return value
    raise TypeError(f"{what} takes a {name or type_}, not {type(value).__name__} {value!r}")


def _check_object(obj: MxObject, entity: str, what: str, rt: Runtime) -> None:
    if not rt.names.is_a(obj.entity, entity):
        raise TypeError(f"{what} takes an object of {entity}, not of {obj.entity}")
