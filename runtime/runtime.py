"""The device runtime: runs compiled flows against the offline store, with one object per id
(the identity map), the host's client activities and registered actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from nanoflow import ir
from nanoflow import types as t
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.flowgen import CompiledFlow, FlowGen, RetrieveSpec
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.host import Host
from nanoflow.runtime.identity import IdentityMap
from nanoflow.runtime.values import INT_MAX, INT_MIN, EnumValue, MendixError, MxObject

if TYPE_CHECKING:
    from nanoflow.compiler import App
    from nanoflow.names import AttributeInfo, EntityInfo
    from nanoflow.runtime.store.store import DeviceStore

Action = Callable[..., Awaitable[Any]]
EIGHT_PLACES = Decimal("1E-8")
LOCAL_USER_ID = "00000000-0000-7000-8000-000000000001"


def _now_ms() -> datetime:
    """The current instant at Mendix's DateTime precision (milliseconds)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Runtime:
    """Runs an app's nanoflows on a device. Use as `async with Runtime(app, store=...)`."""

    def __init__(
        self,
        app: App,
        store: str | Path | None = None,
        host: Host | None = None,
        timezone: str | None = None,
        user: str = "local",
        rounding: str = "half_away_from_zero",
        now: Callable[[], datetime] | None = None,
        roles: list[str] | None = None,
    ) -> None:
        self.app = app
        self.names = app.names
        self.store_path = Path(store) if store is not None else None
        self.host = host or Host()
        self.user_name = user
        self.roles = sorted(self.names.roles) if roles is None else list(roles)
        self.objects = IdentityMap()
        self.actions: dict[str, Action] = {}
        self._flows: dict[str, CompiledFlow] = {}
        self._by_filename: dict[str, CompiledFlow] = {}
        self._defaults: dict[str, dict[str, Any]] = {}
        self.store: DeviceStore | None = None
        self.current_user: MxObject | None = None
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

    async def open(self) -> Runtime:
        if self.store_path is not None and self.store is None:
            from nanoflow.runtime.store.store import DeviceStore

            self.store_path.parent.mkdir(parents=True, exist_ok=True)
            self.store = await DeviceStore.open(self.store_path, self.app)
        user = MxObject("System.User", LOCAL_USER_ID, {"Name": self.user_name, "Active": True})
        user.new = False
        self.objects[user.id] = user
        self.current_user = user
        self.ctx.current_user = user
        return self

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def __aenter__(self) -> Runtime:
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
        found = self._flows.get(qname)
        if found is None:
            info = self.names.callables.get(qname)
            if info is None or info.kind not in ("nanoflow", "microflow"):
                raise MendixError(f"unknown flow `{qname}`")
            decl = info.decl
            assert isinstance(decl, ir.Flow)
            found = FlowGen(self.app, info.module, decl, info).generate()
            self._flows[qname] = found
            self._by_filename[found.filename] = found
        return found

    async def call(self, flow: str, /, **arguments: Any) -> Any:
        """Run a flow by `Module.Name` (or unique `Name`); raises `FlowError` if it fails."""
        info = self.app.find_flow(flow)
        if info is None:
            raise FlowError(f"unknown flow `{flow}`", flow)
        decl = info.decl
        if isinstance(decl, ir.Flow) and decl.allow:
            allowed = {self.names.qualify(r.text, info.module) for r in decl.allow}
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
        compiled = self.compiled(qname)
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
        if getattr(error, "span", None) is not None:
            return
        tb = error.__traceback__
        found = None
        while tb is not None:
            compiled = self._by_filename.get(tb.tb_frame.f_code.co_filename)
            if compiled is not None:
                found = (compiled, tb.tb_lineno)
            tb = tb.tb_next
        if found is None:
            return
        compiled, lineno = found
        position = compiled.position(lineno)
        error.flow = compiled.info.qname  # type: ignore[attr-defined]
        if position is not None:
            error.span, error.activity = position  # type: ignore[attr-defined]

    def note_error(self, error: MendixError, ctx: EvalContext) -> None:
        """Called by generated handlers: locate the error before the handler runs."""
        self.locate(error)

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
        raise MendixError(
            f"cannot call microflow `{name}`: microflows run on the sync server, and this "
            "runtime has no server connection"
        )

    async def synchronize(self, mode: str, items: list[Any]) -> None:
        raise MendixError("cannot synchronize: this runtime has no sync server connection")

    async def cancel_synchronization(self) -> None:
        raise MendixError("no synchronization is running")

    async def clear_from_device(self, entity: str) -> None:
        raise MendixError("cannot clear from device: this runtime has no sync server connection")

    async def synchronize_to_device(self, value: Any) -> None:
        raise MendixError("`synchronize to device` runs on the sync server only")

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
        found = self._defaults.get(entity)
        if found is None:
            found = {}
            for attr in self.entity(entity).attributes.values():
                found[attr.name] = self._default(attr)
            self._defaults[entity] = found
        return found

    def _default(self, attr: AttributeInfo) -> Any:
        decl = attr.decl
        value = decl.default if decl is not None else None
        if value is None:
            if attr.type_name in ("Integer", "Long"):
                return 0
            if attr.type_name == "Decimal":
                return Decimal(0)
            if attr.type_name == "Boolean":
                return False
            return None
        if isinstance(value, ir.NameRef):
            assert isinstance(attr.type, t.EnumType)
            return EnumValue.of(attr.type.enum, value.name.text.rsplit(".", 1)[-1])
        if isinstance(value, ir.TokenRef):
            return "$now"
        if isinstance(value, ir.EmptyLit):
            return None
        raw = value.value
        if attr.type_name == "Decimal":
            return Decimal(raw)
        return raw

    def create(self, entity: str, values: dict[str, Any]) -> MxObject:
        """A new, uncommitted object of `entity` with its defaults and these member values."""
        return self.create_object(entity, values)

    def create_object(self, entity: str, values: dict[str, Any]) -> MxObject:
        """`create` for generated code, whose values the checker already typed."""
        initial = dict(self.defaults(entity))
        for key, value in initial.items():
            if value == "$now":
                initial[key] = self.ctx.now()
        info = self.entity(entity)
        if info.with_owner and self.current_user is not None:
            initial["System.owner"] = self.current_user.id
        obj = MxObject(entity, values=initial, touched=set())
        self._assign(obj, values, "the new object")
        self.objects[obj.id] = obj
        return obj

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

    def _store(self) -> DeviceStore:
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

    async def commit(self, value: Any, what: str) -> None:
        objects = self._objects(value, what)
        if objects:
            await self._store().commit(objects)

    async def rollback(self, value: Any, what: str) -> None:
        for obj in self._objects(value, what):
            if obj.committed is None:
                obj.removed = True
                self.objects.pop(obj.id, None)
            else:
                await self._store().rollback(obj)

    async def delete(self, value: Any, what: str) -> None:
        objects = self._objects(value, what)
        stored = [o for o in objects if o.committed is not None]
        if stored:
            await self._store().delete(stored)
        gone = {o.id for o in objects}
        for obj in objects:
            obj.removed = True
            self.objects.pop(obj.id, None)
        self._forget_references(gone)

    def _forget_references(self, gone: set[str]) -> None:
        """Objects in memory stop pointing at deleted objects (the store cleared its rows)."""
        for holder in self.objects.values():
            if holder._row is not None:
                holder._decode()
            # the live values and, when it is a separate dict, the committed snapshot
            snapshots = {id(d): d for d in (holder._values, holder._committed) if d is not None}
            for snapshot in snapshots.values():
                for member, target in list(snapshot.items()):
                    if isinstance(target, str) and target in gone and "." in member:
                        snapshot[member] = None
                    elif isinstance(target, tuple) and gone.intersection(target):
                        snapshot[member] = tuple(t for t in target if t not in gone)

    def _resolver(self, values: dict[int, Any]) -> Callable[[Any], Any]:
        def resolve(node: Any) -> Any:
            value = values.get(id(node))
            if isinstance(value, MxObject):
                return None if value.removed else value.id
            return value

        return resolve

    async def retrieve_spec(
        self, spec: RetrieveSpec, values: dict[int, Any], limit: Any, offset: Any
    ) -> Any:
        """A retrieve activity: committed objects matching the constraints, as the runtime's
        own objects (with their uncommitted changes)."""
        store = self._store()
        limit = 1 if spec.first else limit
        resolve = self._resolver(values)
        args = (spec.entity, spec.constraints, spec.sort, limit, offset, resolve, spec.module)
        found = await store.retrieve_objects(self.objects.refs, *args)
        if found is None:
            objects = self.objects.adopt(await store.retrieve(*args, first=spec.first))
        else:
            objects = found
            self.objects.added()
        if spec.first:
            return objects[0] if objects else None
        return objects

    async def retrieve_assoc(
        self, source: MxObject | None, what: str, spec: RetrieveSpec, values: dict[int, Any]
    ) -> Any:
        if source is None:
            raise MendixError(f"cannot retrieve over `{spec.association}`: {what} is empty")
        if spec.side == "source" and not spec.constraints:
            if spec.first:
                return await self.follow(source, spec.association, what)
            return await self.follow_set(source, spec.association, what)
        rows = await self._store().retrieve_by_association(
            source.id,
            spec.association,
            spec.side,  # type: ignore[arg-type]
            spec.constraints,
            self._resolver(values),
            spec.module,
        )
        objects = self.objects.adopt(rows)
        if spec.first:
            return objects[0] if objects else None
        return objects

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

    async def load(self, object_id: str) -> MxObject | None:
        found = self.objects.get(object_id)
        if found is not None:
            return None if found.removed else found
        if self.store is None:
            return None
        row = await self.store.get(None, object_id)
        return self.objects.adopt([row])[0] if row is not None else None

    async def follow(self, obj: MxObject | None, association: str, what: str) -> MxObject | None:
        """`$obj/Assoc` for a reference: the referenced object (or empty)."""
        if obj is None or obj.removed:
            raise MendixError(f"cannot follow `{association}`: `{what}` is empty")
        target = obj.values.get(association)
        if target is None:
            return None
        return await self.load(target)

    async def follow_set(self, obj: MxObject | None, association: str, what: str) -> list[MxObject]:
        if obj is None or obj.removed:
            raise MendixError(f"cannot follow `{association}`: `{what}` is empty")
        result = []
        for target in obj.values.get(association) or ():
            found = await self.load(target)
            if found is not None:
                result.append(found)
        return result
