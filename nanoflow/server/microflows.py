"""`POST /api/v1/microflows/{name}`: a device calls a microflow (LANGUAGE.md 6, SYNC.md 4a).

- Only a microflow with `allow` roles can be called, by a user with one of them; one without is
  server-internal (event handlers, sub-microflows) and refused.
- Arguments are wire values (SYNC.md 1a, `runtime/wire.py`) by parameter name, every parameter
  given (`null` for empty); the result is the primitive result as a wire value.
- The flow runs in one transaction (`nanoflow.server.execution.run_microflow`); its unhandled
  error rolls it back and is answered 422 `flow_error` with the flow's message: the flow
  failed, the server did not.
- `synchronize to device $x`: after the flow, in its transaction, each collected object the
  caller may read goes into `to_device` with the members they may read; the others (not
  readable, deleted, never committed) into `removed_from_device`.
"""

from __future__ import annotations

from typing import Any

from nanoflow import types as t
from nanoflow.compiler import App
from nanoflow.names import CallableInfo, suggest
from nanoflow.protocol import ErrorCode, ErrorItem
from nanoflow.protocol.sync import MicroflowCall, MicroflowResult, ObjectState
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.values import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, EnumValue
from nanoflow.runtime.wire import WireError, from_wire, to_wire
from nanoflow.server.database import ServerDatabase
from nanoflow.server.execution import Caller, ServerSession, run_microflow
from nanoflow.server.http_errors import ApiError
from nanoflow.server.limits import NUL
from nanoflow.server.states import object_state

_RANGES = {"Integer": (INT_MIN, INT_MAX), "Long": (LONG_MIN, LONG_MAX)}


def _wire_kind(kind: t.Type | None) -> tuple[str, str | None] | None:
    """The wire kind (and enumeration) of a primitive parameter or result type; None for
    objects and lists."""
    if isinstance(kind, t.EnumType):
        return "Enum", kind.enum
    if isinstance(kind, t.Prim):
        return kind.name, None
    return None


def callable_microflow(app: App, name: str, caller: Caller) -> CallableInfo:
    """The microflow `name` if this caller may call it from a device; `ApiError` otherwise."""
    names = app.names
    info = names.callables.get(name)
    if info is None or info.kind != "microflow":
        microflows = sorted(q for q, c in names.callables.items() if c.kind == "microflow")
        hint = suggest(name, microflows)
        raise ApiError(
            404, ErrorCode.NOT_FOUND,
            f"the app has no microflow `{name}`" + (f": {hint}" if hint else ""),
        )  # fmt: skip
    allow = getattr(info.decl, "allow", None)
    if not allow:
        raise ApiError(
            403, ErrorCode.FORBIDDEN,
            f"microflow `{name}` has no `allow` roles: it is server-internal and cannot be "
            "called from a device",
        )  # fmt: skip
    allowed = {names.qualify(role.text, info.module) for role in allow}
    if not allowed & set(caller.roles):
        raise ApiError(
            403, ErrorCode.FORBIDDEN,
            f"user `{caller.name}` may not call `{name}` (allowed roles: "
            f"{', '.join(sorted(allowed))})",
        )  # fmt: skip
    for parameter, kind in info.parameters.items():
        if _wire_kind(kind) is None:
            raise ApiError(
                400, ErrorCode.INVALID_REQUEST,
                f"microflow `{name}` takes an object or list (${parameter}): only microflows "
                "with primitive parameters and result can be called from a device",
            )  # fmt: skip
    if info.returns not in (None, t.NOTHING) and _wire_kind(info.returns) is None:
        raise ApiError(
            400, ErrorCode.INVALID_REQUEST,
            f"microflow `{name}` returns {info.returns}: only microflows with primitive "
            "parameters and result can be called from a device",
        )  # fmt: skip
    return info


def decode_arguments(app: App, info: CallableInfo, given: dict[str, Any]) -> dict[str, Any]:
    """The runtime values of wire arguments; `ApiError` 422 listing every problem."""
    problems: list[ErrorItem] = []
    values: dict[str, Any] = {}

    def problem(name: str, message: str, kind: str) -> None:
        problems.append(ErrorItem(loc=["body", "arguments", name], message=message, type=kind))

    for name in given.keys() - info.parameters.keys():
        expected = ", ".join(f"`{p}`" for p in info.parameters) or "none"
        problem(name, f"`{info.qname}` has no parameter `{name}` (its parameters: {expected})",
                "unknown_parameter")
    for name, kind in info.parameters.items():
        if name not in given:
            problem(name, f"missing argument `{name}` ({kind}; null for empty)", "missing")
            continue
        wire = _wire_kind(kind)
        assert wire is not None
        try:
            values[name] = _argument(app, wire, given[name])
        except WireError as error:
            problem(name, f"`{name}` takes a {kind}: {error}", "wrong_type")
    if problems:
        summary = "; ".join(p.message for p in sorted(problems, key=lambda p: p.loc)[:3])
        raise ApiError(422, ErrorCode.INVALID_REQUEST, f"the arguments are not valid: {summary}",
                       sorted(problems, key=lambda p: p.loc))
    return values


def _argument(app: App, wire: tuple[str, str | None], value: Any) -> Any:
    kind, enum = wire
    decoded = from_wire(kind, value, enum)
    if decoded is None:
        return None
    if isinstance(decoded, str) and "\x00" in decoded:
        raise WireError(NUL)
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if not low <= decoded <= high:
            raise WireError(f"{value} does not fit in a {kind}")
    if isinstance(decoded, EnumValue) and decoded.key not in app.names.enums[decoded.enum].values:
        raise WireError(f"{value!r} is not a value of {decoded.enum}")
    return decoded


def encode_result(info: CallableInfo, value: Any) -> Any:
    """The flow's result as a wire value."""
    wire = _wire_kind(info.returns)
    if wire is None or value is None:
        return None
    return to_wire(wire[0], value)


async def device_states(session: ServerSession) -> tuple[list[ObjectState], list[str]]:
    """What `synchronize to device` collected: the states of the objects the caller may read
    (only readable members), and the ids of the others."""
    store = session.server_store
    access = session.entity_access.access
    to_device: list[ObjectState] = []
    removed: list[str] = []
    for obj in session.to_device.values():
        state = await object_state(store, access, obj.entity, obj.id)
        if state is None:
            removed.append(obj.id)
        else:
            to_device.append(state)
    return to_device, removed


async def call_microflow(
    db: ServerDatabase, caller: Caller, name: str, body: MicroflowCall
) -> MicroflowResult:
    """Serve one microflow call (see the module docstring)."""
    info = callable_microflow(db.app, name, caller)
    arguments = decode_arguments(db.app, info, body.arguments)

    async def answer(session: ServerSession, result: Any) -> MicroflowResult:
        to_device, removed = await device_states(session)
        return MicroflowResult(
            result=encode_result(info, result), to_device=to_device, removed_from_device=removed
        )

    try:
        found: MicroflowResult = await run_microflow(db, caller, info.qname, arguments,
                                                     after=answer)
    except FlowError as error:
        where: list[str | int] = [error.flow]
        if error.line:
            where += [error.line, error.column]
        detail = ErrorItem(loc=where, message=error.activity or error.message, type="flow_error")
        raise ApiError(422, ErrorCode.FLOW_ERROR, error.message, [detail]) from None
    return found
