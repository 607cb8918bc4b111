"""A session: one user running flows of a program against a store, with one object per id
(the identity map), the host's client activities, registered actions and its collaborators
(microflow calls and synchronization). The device's runtime is one long session; the sync
server opens one per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from nanoflow.gc_pause import gc_paused
from nanoflow.names import ALIASES
from nanoflow.runtime.collaborators import MicroflowCaller, NoServer, Synchronizer
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.flowgen import CompiledFlow
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.host import Host
from nanoflow.runtime.identity import IdentityMap
from nanoflow.runtime.program import NOW, Program
from nanoflow.runtime.values import INT_MAX, INT_MIN, EnumValue, MendixError, MxObject

if TYPE_CHECKING:
    from nanoflow.compiler import App
    from nanoflow.names import AttributeInfo, EntityInfo
    from nanoflow.runtime.query import Query, Restriction
    from nanoflow.runtime.storage import Store, WriteUnit

Action = Callable[..., Awaitable[Any]]
EIGHT_PLACES = Decimal("1E-8")
LOCAL_USER_ID = "00000000-0000-7000-8000-000000000001"


def _now_ms() -> datetime:
    """The current instant at Mendix's DateTime precision (milliseconds)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Session:
    """Runs a program's flows for one user against one store. Use as
    `async with Session(app, store=...)`; `store` is a `Store` or the path of a device store
    (opened by `open`, closed by `close`)."""

    def __init__(
        self,
        app: App | Program,
        store: Store | str | Path | None = None,
        host: Host | None = None,
        timezone: str | None = None,
        user: str = "local",
        rounding: str = "half_away_from_zero",
        now: Callable[[], datetime] | None = None,
        roles: list[str] | None = None,
        microflows: MicroflowCaller | None = None,
        sync: Synchronizer | None = None,
        user_id: str | None = None,
    ) -> None:
        self.program = app if isinstance(app, Program) else Program.of(app)
        self.app = self.program.app
        self.names = self.app.names
        if store is None or isinstance(store, str | Path):
            self.store_path = Path(store) if store is not None else None
            self.store: Store | None = None
            self._owns_store = True
        else:
            self.store_path = None
            self.store = store
            self._owns_store = False
        self.host = host or Host()
        self.user_name = user
        self.user_id = user_id or LOCAL_USER_ID
        self.roles = sorted(self.names.roles) if roles is None else list(roles)
        self.objects = IdentityMap()
        self.actions: dict[str, Action] = {}
        self.microflows: MicroflowCaller = microflows or NoServer()
        self.sync: Synchronizer = sync or NoServer()
        self.current_user: MxObject | None = None
        self.restriction: Restriction | None = None
        """A condition every retrieve ANDs to its own (the server's entity access)."""
        zone = ZoneInfo(timezone or "UTC")
        self.ctx = EvalContext(
            timezone=zone,
            rounding=rounding,  # type: ignore[arg-type]
            now=now or _now_ms,
            enum_caption=self.enum_caption,
            current_user=None,
            is_syncing=lambda: False,
            is_synced=self.is_synced,
            is_new=lambda o: o.new,
        )
        from nanoflow.stdlib_actions import register_builtin_actions

        register_builtin_actions(self)

    # ---- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> Session:
        if self.store_path is not None and self.store is None:
            from nanoflow.runtime.store.store import DeviceStore

            self.store = await DeviceStore.open(self.store_path, self.app)
        self.start_user(self.user_id, self.user_name)
        return self

    def start_user(self, user_id: str, name: str) -> None:
        """The user flows run as (`[%CurrentUser%]`, owner of new objects)."""
        if self.current_user is not None:
            self.objects.pop(self.current_user.id, None)
        self.user_id, self.user_name = user_id, name
        user = MxObject("System.User", user_id, {"Name": name, "Active": True})
        user.new = False
        self.objects[user.id] = user
        self.current_user = user
        self.ctx.current_user = user

    async def close(self) -> None:
        if self.store is not None and self._owns_store:
            await self.store.close()
            self.store = None

    async def __aenter__(self) -> Session:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- flows ---------------------------------------------------------------------------------

    def register_action(self, name: str, function: Action) -> None:
        """Implement an action (`call action Name(...)`) with a Python async function taking the
        parameters as keyword arguments (without `$`)."""
        self.actions[name] = function

    def compiled(self, qname: str) -> CompiledFlow:
        return self.program.flow(qname)

    async def call(self, flow: str, /, **arguments: Any) -> Any:
        """Run a flow by `Module.Name` (or unique `Name`); raises `FlowError` if it fails."""
        info = self.app.find_flow(flow)
        if info is None:
            raise FlowError(f"unknown flow `{flow}`", flow)
        decl = info.decl
        allow = getattr(decl, "allow", None)
        if allow:
            allowed = {self.names.qualify(r.text, info.module) for r in allow}
            if not allowed & set(self.roles):
                raise FlowError(
                    f"user `{self.user_name}` may not run `{info.qname}` (allowed roles: "
                    f"{', '.join(sorted(allowed))})",
                    info.qname,
                )
        try:
            return await self.call_flow(info.qname, arguments)
        except MendixError as error:
            raise self.flow_error(error, info.qname) from error

    def flow_error(self, error: MendixError, flow: str) -> FlowError:
        self.locate(error)
        span = getattr(error, "span", None)
        return FlowError(
            error.message,
            getattr(error, "flow", flow),
            span.file if span else "",
            span.line if span else 0,
            span.column if span else 0,
            getattr(error, "activity", ""),
            error,
        )

    async def call_flow(self, qname: str, arguments: dict[str, Any]) -> Any:
        compiled = self.program.flow(qname)
        params = [arguments.get(p.variable.name) for p in compiled.flow.parameters]
        unknown = set(arguments) - {p.variable.name for p in compiled.flow.parameters}
        if unknown:
            raise MendixError(f"`{qname}` has no parameter {', '.join(sorted(unknown))}")
        try:
            return await compiled.function(self, *params)
        except MendixError as error:
            self.locate(error)
            raise

    def locate(self, error: MendixError) -> None:
        """Record on the error the innermost flow activity it came from (once)."""
        self.program.locate(error)

    def note_error(self, error: MendixError, ctx: EvalContext) -> None:
        """Called by generated handlers: locate the error before the handler runs."""
        self.program.locate(error)

    async def call_action(self, name: str, arguments: dict[str, Any]) -> Any:
        function = self.actions.get(name)
        if function is None:
            raise MendixError(
                f"action `{name}` is not registered: implement it with "
                f"rt.register_action({name!r}, function)"
            )
        try:
            return await function(**arguments)
        except MendixError:
            raise
        except Exception as error:  # the host's code: its failure is the activity's error
            raise MendixError(f"action `{name}` failed: {error}") from error

    async def call_microflow(self, name: str, arguments: dict[str, Any]) -> Any:
        return await self.microflows.call_microflow(self, name, arguments)

    async def run_synchronization(self, mode: str, items: list[Any]) -> None:
        """The synchronize activities: `all`, `unsynchronized` or `selected` objects."""
        await self.sync.synchronize(self, mode, items)

    async def cancel_synchronization(self) -> None:
        await self.sync.cancel(self)

    async def clear_from_device(self, entity: str) -> None:
        await self.sync.clear_from_device(self, entity)

    async def synchronize_to_device(self, value: Any) -> None:
        await self.sync.to_device(self, value)

    # ---- objects -------------------------------------------------------------------------------

    def enum_caption(self, value: EnumValue) -> str:
        info = self.names.enums.get(value.enum)
        return info.values.get(value.key, value.key) if info else value.key

    def is_synced(self, obj: MxObject) -> bool:
        """Whether the object's changes reached the server: never, for a runtime that has no
        server connection (objects from a synchronization will carry the flag)."""
        return False

    def is_a(self, obj: MxObject, entity: str) -> bool:
        return self.names.is_a(obj.entity, entity)

    def entity(self, qname: str) -> EntityInfo:
        return self.names.entities[qname]

    def defaults(self, entity: str) -> dict[str, Any]:
        return self.program.defaults(entity)

    def create(self, entity: str, values: dict[str, Any]) -> MxObject:
        """A new, uncommitted object of `entity` with its defaults and these member values."""
        return self.create_object(entity, values)

    def create_object(
        self, entity: str, values: dict[str, Any], object_id: str | None = None
    ) -> MxObject:
        """`create` for generated code, whose values the checker already typed (`object_id`:
        the id of an object a device made, for the server)."""
        obj = MxObject(entity, object_id, values=self.initial_values(entity), touched=set())
        self._assign(obj, values, "the new object")
        self.objects[obj.id] = obj
        return obj

    def initial_values(self, entity: str) -> dict[str, Any]:
        """A new object's values before anything sets them: the defaults (the current
        date-time for `NOW`) and, for an entity with an owner, the current user."""
        initial = dict(self.program.defaults(entity))
        for key, value in initial.items():
            if value is NOW:
                initial[key] = self.ctx.now()
        info = self.entity(entity)
        if info.with_owner and self.current_user is not None:
            initial["System.owner"] = self.current_user.id
        return initial

    def change(self, obj: MxObject | None, values: dict[str, Any], what: str) -> None:
        if obj is None or obj.removed:
            raise MendixError(f"cannot change {what}: it is empty")
        self._assign(obj, values, what)

    def _assign(self, obj: MxObject, values: dict[str, Any], what: str) -> None:
        info = self.entity(obj.entity)
        for key, value in values.items():
            attr = info.attributes.get(key)
            if attr is not None:
                obj[key] = self._attribute_value(obj.entity, attr, value)
            elif isinstance(value, list):
                obj[key] = tuple(o.id for o in value if not o.removed)
            elif isinstance(value, MxObject):
                obj[key] = None if value.removed else value.id
            else:
                obj[key] = value

    def _attribute_value(self, entity: str, attr: AttributeInfo, value: Any) -> Any:
        if value is None:
            return None
        kind = attr.type_name
        if kind == "Decimal":
            number = value if isinstance(value, Decimal) else Decimal(value)
            if number.as_tuple().exponent < -8:  # type: ignore[operator]
                number = number.quantize(EIGHT_PLACES, rounding=ROUND_HALF_EVEN)
            return number
        if kind == "DateTime" and value.microsecond % 1000:
            return value.replace(microsecond=value.microsecond // 1000 * 1000)
        if kind == "Integer" and not INT_MIN <= value <= INT_MAX:
            raise MendixError(f"{entity}: {attr.name} does not fit in an Integer: {value}")
        return value

    def cast(self, obj: MxObject | None, entity: str, what: str) -> MxObject | None:
        if obj is None:
            return None
        if not self.names.is_a(obj.entity, entity):
            raise MendixError(f"cannot cast {what} ({obj.entity}) to {entity}")
        return obj

    def _store(self) -> Store:
        if self.store is None:
            raise MendixError("this runtime has no offline store")
        return self.store

    @staticmethod
    def _objects(value: Any, what: str) -> list[MxObject]:
        if value is None:
            return []
        if isinstance(value, MxObject):
            return [] if value.removed else [value]
        return [o for o in value if not o.removed]

    # ---- commit, rollback, delete --------------------------------------------------------------

    async def commit(self, value: Any, what: str) -> None:
        """Write objects to the store in one unit of work. Each object's values become its
        committed snapshot at once, shared with the live values until the next change copies
        them (`MxObject.__setitem__`), so a change made while the write is under way is not
        taken for committed; if the write fails, the old snapshots stand."""
        objects = self._objects(value, what)
        if not objects:
            return
        store = self._store()
        from nanoflow.runtime.storage import WriteUnit

        unit = WriteUnit()
        written: list[tuple[MxObject, dict[str, Any] | None]] = []
        try:
            with gc_paused():  # many small acyclic objects; the loop never awaits
                self._snapshot(store, objects, unit, written)
            await store.write(unit)
        except BaseException:
            for obj, before in written:
                obj._committed = before
            raise
        for obj, _before in written:
            obj.new = False
            obj.touched = None

    def _snapshot(
        self,
        store: Store,
        objects: list[MxObject],
        unit: WriteUnit,
        written: list[tuple[MxObject, dict[str, Any] | None]],
    ) -> None:
        """Queue each object's values and changed members, and take its snapshot."""
        from nanoflow.runtime.store import codec

        schema = store.schema
        entity: str | None = None
        for obj in objects:
            if obj.entity != entity:
                entity = obj.entity
                writes = unit.of(entity)
                append = writes.objects.append
                refsets = schema.layout(entity).refsets
            values = obj._values  # slots, not the properties: this loop runs per object
            if values is None:
                values = obj._decode()
            committed = obj._committed
            if committed is None:
                touched = obj.touched
                changed = frozenset(values if touched is None else touched)
            else:
                changed = _changed(values, committed, refsets, entity)
            append((obj.id, values, changed))
            if refsets:
                for name in refsets:
                    ids = codec.reference_set_ids(entity, name, values.get(name))
                    if committed is None:
                        if ids:
                            writes.links.append((name, obj.id, ids))
                        continue
                    if name not in changed:
                        continue
                    writes.links.append((name, obj.id, ids))
                    before = codec.reference_set_ids(entity, name, committed.get(name))
                    added = tuple(i for i in ids if i not in before)
                    removed = tuple(i for i in before if i not in ids)
                    writes.deltas.append((name, obj.id, added, removed))
            written.append((obj, committed))
            obj._committed = values

    async def rollback(self, value: Any, what: str) -> None:
        for obj in self._objects(value, what):
            if obj.committed is None:
                obj.removed = True
                self.objects.pop(obj.id, None)
                continue
            store = self._store()
            fetched = await store.get_many(obj.entity, [obj.id])
            if fetched.rows:
                values = store.decoder(obj.entity)(fetched.rows[0])
                values.update((fetched.refsets or {}).get(obj.id, {}))
                obj.committed = dict(values)
            else:
                values = dict(obj.committed or {})
            obj.values = dict(values)

    async def delete(self, value: Any, what: str) -> None:
        objects = self._objects(value, what)
        stored: dict[str, list[str]] = {}
        for obj in objects:
            if obj.committed is not None:
                stored.setdefault(obj.entity, []).append(obj.id)
        if stored:
            await self._store().delete(stored)
        gone = {o.id for o in objects}
        for obj in objects:
            obj.removed = True
            self.objects.pop(obj.id, None)
        self._forget_references(gone)

    def _forget_references(self, gone: set[str]) -> None:
        """Objects in memory stop pointing at deleted objects (the store cleared its rows).
        An undecoded row is only decoded when it holds one of the ids."""
        for holder in self.objects.values():
            row = holder._row
            if row is not None:
                if gone.isdisjoint(row[0]):
                    continue
                holder._decode()
            # the live values and, when it is a separate dict, the committed snapshot
            snapshots = {id(d): d for d in (holder._values, holder._committed) if d is not None}
            for snapshot in snapshots.values():
                for member, target in list(snapshot.items()):
                    if isinstance(target, str) and target in gone and "." in member:
                        snapshot[member] = None
                    elif isinstance(target, tuple) and gone.intersection(target):
                        snapshot[member] = tuple(t for t in target if t not in gone)

    # ---- refreshing from the server ------------------------------------------------------------

    def refresh(
        self, objects: Iterable[tuple[str, dict[str, Any]]], removed: Iterable[str]
    ) -> None:
        """Objects a synchronization wrote or removed on the device, refreshed in memory: an
        object held here takes the stored values as committed and keeps its uncommitted
        changes on top; a removed one reads as empty in every variable and list (SYNC.md 3.4).
        `objects` gives each object's id and its member values as now stored."""
        for object_id, stored in objects:
            obj = self.objects.get(object_id)
            if obj is None or obj.removed:
                continue
            if obj._row is not None:  # never read: nothing uncommitted
                obj._row = None
                edits: dict[str, Any] = {}
            else:
                live = obj._values or {}
                before = obj._committed
                edits = {
                    k: v
                    for k, v in live.items()
                    if before is None or k not in before or before[k] != v
                }
            committed = dict(stored)
            obj._committed = committed
            obj._values = {**committed, **edits} if edits else committed
            obj.new = False
            obj.touched = None
        gone = set(removed)
        for object_id in gone:
            obj = self.objects.pop(object_id)
            if obj is not None:
                obj.removed = True
        if gone:
            self._forget_references(gone)

    # ---- retrieving ----------------------------------------------------------------------------

    async def retrieve_query(
        self, query: Query, values: tuple[Any, ...], limit: Any, offset: Any, first: bool
    ) -> Any:
        """A retrieve activity: committed objects matching the query, as the session's own
        objects (with their uncommitted changes)."""
        store = self._store()
        if first:
            limit = 1 if limit is None else min(limit, 1)
        select = query.select(store.schema, store.dialect, values, limit, offset, self.restriction)
        fetched = await store.select(select)
        with gc_paused():  # many new acyclic objects; the loop never awaits
            objects = self.program.adopt(store, select.table, fetched, self.objects.refs)
        self.objects.added()
        if first:
            return objects[0] if objects else None
        return objects

    async def retrieve_assoc(
        self,
        source: MxObject | None,
        what: str,
        query: Query,
        values: tuple[Any, ...],
        first: bool,
    ) -> Any:
        if source is None or source.removed:
            raise MendixError(f"cannot retrieve over `{query.association}`: {what} is empty")
        if query.side == "source" and not query.constraints and self.restriction is None:
            if first:
                return await self.follow(source, query.association, what)
            return await self.follow_set(source, query.association, what)
        return await self.retrieve_query(query, (*values, source.id), None, None, first)

    # ---- files ---------------------------------------------------------------------------------

    async def write_file(self, obj: MxObject, data: bytes | str | Path) -> None:
        """Store the contents of a `System.FileDocument` object (bytes, or a file's path)."""
        if not self.names.is_a(obj.entity, "System.FileDocument"):
            raise MendixError(f"{obj.entity} is not a System.FileDocument: it has no contents")
        content = data if isinstance(data, bytes) else Path(data).read_bytes()
        await self._store().write_file(obj.id, content)
        obj["HasContents"] = True
        obj["Size"] = len(content)

    async def read_file(self, obj: MxObject) -> bytes | None:
        """The contents of a `System.FileDocument` object, or None if it has none."""
        return await self._store().read_file(obj.id)

    # ---- loading by id -------------------------------------------------------------------------

    async def load(self, object_id: str, entity: str | None = None) -> MxObject | None:
        """The object with this id (of `entity` or a specialization), from memory or the store."""
        found = self.objects.get(object_id)
        if found is not None:
            return None if found.removed else found
        loaded = await self.load_many([object_id], entity)
        return loaded[0] if loaded else None

    async def load_many(self, ids: list[str], entity: str | None) -> list[MxObject]:
        """The objects with these ids (in this order, missing ones left out), from memory or in
        one query per table from the store."""
        result: dict[str, MxObject] = {}
        missing = []
        for object_id in ids:
            found = self.objects.get(object_id)
            if found is None:
                missing.append(object_id)
            elif not found.removed:
                result[object_id] = found
        store = self.store
        if missing and store is not None:
            if entity is None:
                for object_id in missing:
                    hit = await store.find(object_id)  # type: ignore[attr-defined]
                    if hit is not None:
                        table = store.schema.layout(hit[0]).table
                        obj = self.program.adopt(store, table, hit[1], self.objects.refs)[0]
                        result[obj.id] = obj
            elif entity in store.schema.entities or entity in ALIASES:
                fetched = await store.get_many(entity, missing)
                table = store.schema.layout(entity).table
                for obj in self.program.adopt(store, table, fetched, self.objects.refs):
                    result[obj.id] = obj
            self.objects.added()
        return [result[i] for i in ids if i in result]

    async def follow(self, obj: MxObject | None, association: str, what: str) -> MxObject | None:
        """`$obj/Assoc` for a reference: the referenced object (or empty)."""
        if obj is None or obj.removed:
            raise MendixError(f"cannot follow `{association}`: `{what}` is empty")
        target = obj.values.get(association)
        if target is None:
            return None
        return await self.load(target, self._target(association))

    async def follow_set(self, obj: MxObject | None, association: str, what: str) -> list[MxObject]:
        if obj is None or obj.removed:
            raise MendixError(f"cannot follow `{association}`: `{what}` is empty")
        targets = obj.values.get(association) or ()
        if not targets:
            return []
        return await self.load_many(list(targets), self._target(association))

    def _target(self, association: str) -> str | None:
        """The entity an association (owned reference or reference set) points to."""
        info = self.names.associations.get(association)
        return info.target if info is not None else None


def _changed(
    values: dict[str, Any], committed: dict[str, Any], refsets: dict[str, Any], entity: str
) -> frozenset[str]:
    """Members whose value differs from the committed one (reference sets as sets)."""
    changed = []
    for name, value in values.items():
        before = committed.get(name)
        if before == value:
            continue
        if name in refsets:
            from nanoflow.runtime.store.codec import reference_set_ids

            if set(reference_set_ids(entity, name, value)) == set(
                reference_set_ids(entity, name, before)
            ):
                continue
        changed.append(name)
    return frozenset(changed)
