"""Runtime values to and from the JSON of the command line and the embedding API
(LANGUAGE.md section 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from nanoflow import types as t
from nanoflow.runtime.functions._common import plain
from nanoflow.runtime.number_text import (
    DECIMAL_RANGE,
    NumberTextError,
    in_decimal_range,
    load_json,
    read_integer,
    shorten,
    user_decimal,
)
from nanoflow.runtime.values import EnumValue, MendixError, MxObject

if TYPE_CHECKING:
    from nanoflow.names import NameTable
    from nanoflow.runtime.session import Session as Runtime

HIDDEN_TYPES = ("HashedString", "Binary")


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def to_json(value: Any, names: NameTable) -> Any:
    """A runtime value as the JSON of `nanoflow run --json`."""
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, EnumValue):
        return value.key
    if isinstance(value, MxObject):
        if value.removed:
            return None
        return object_json(value, names)
    if isinstance(value, list):
        return [to_json(item, names) for item in value if not item.removed]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def object_json(obj: MxObject, names: NameTable) -> dict[str, Any]:
    info = names.entities[obj.entity]
    data: dict[str, Any] = {"$id": obj.id, "$entity": obj.entity}
    for name, attr in info.attributes.items():
        if attr.type_name in HIDDEN_TYPES:
            continue
        data[name] = to_json(obj.values.get(name), names)
    for entity in (obj.entity, *info.ancestors):
        for assoc in names.assoc_by_source.get(entity, ()):
            target = obj.values.get(assoc.qname)
            if assoc.many:
                data[assoc.qname] = list(target or ())
            else:
                data[assoc.qname] = target
    return data


def parse_scalar(text: str, type_: t.Type, names: NameTable, zone: ZoneInfo) -> Any:
    """A command-line parameter value of a primitive or enumeration type."""
    if text == "" and type_ != t.STRING:
        return None
    if isinstance(type_, t.EnumType):
        info = names.enums[type_.enum]
        key = text.rsplit(".", 1)[-1]
        if key not in info.values:
            raise ValueError(f"`{text}` is not a value of {type_.enum} ({', '.join(info.values)})")
        return EnumValue.of(type_.enum, key)
    assert isinstance(type_, t.Prim)
    name = type_.name
    if name in ("String", "HashedString"):
        return text
    if name in ("Integer", "Long"):
        try:
            number = read_integer(text)
            if name == "Integer" and not -(2**31) <= number < 2**31:
                raise NumberTextError("does not fit an Integer")
        except NumberTextError as error:
            fits = name == "Integer" and "fit" in str(error)
            reason = "does not fit an Integer" if fits else str(error)
            raise ValueError(f"`{shorten(text)}` {reason}") from None
        return number
    if name == "Decimal":
        try:
            return user_decimal(text)
        except NumberTextError as error:
            raise ValueError(f"`{shorten(text)}` {error}") from None
    if name == "Boolean":
        if text not in ("true", "false"):
            raise ValueError(f"`{shorten(text)}` is not true or false")
        return text == "true"
    if name == "DateTime":
        return parse_datetime(text, zone)
    raise ValueError(f"parameters of type {name} cannot be given on the command line")


def parse_datetime(text: str, zone: ZoneInfo) -> datetime:
    """ISO 8601; a value without an offset is in `zone`."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"`{shorten(text)}` is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"`{shorten(text)}` is outside the years 1 to 9999 in UTC") from None


async def parse_param(text: str, type_: t.Type, rt: Runtime) -> Any:
    """A `--param` value: by type; objects as JSON (a new object) or `@<id>` (from the store)."""
    names = rt.names
    if isinstance(type_, t.ObjectType):
        return await _object_param(text.strip(), type_.entity, rt)
    if isinstance(type_, t.ListType):
        stripped = text.strip()
        if stripped in ("", "null"):
            return []
        if stripped.startswith("["):
            items = load_json(stripped)
            found = [await _object_value(item, type_.entity, rt) for item in items]
        else:
            found = [
                await _object_param(part.strip(), type_.entity, rt) for part in text.split(",")
            ]
        return [obj for obj in found if obj is not None]
    return parse_scalar(text, type_, names, rt.ctx.timezone)


async def _object_param(text: str, entity: str, rt: Runtime) -> MxObject | None:
    if text.startswith("@"):
        return await _by_id(text[1:], entity, rt)
    try:
        data = load_json(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg}) and not an object id `@<id>`") from None
    except NumberTextError as error:
        raise ValueError(str(error)) from None
    return await _object_value(data, entity, rt)


async def _by_id(object_id: str, entity: str, rt: Runtime) -> MxObject:
    found = await rt.load(object_id)
    if found is None:
        raise ValueError(f"no object with id {object_id} in the store")
    if not rt.names.is_a(found.entity, entity):
        raise ValueError(f"object {object_id} is a {found.entity}, not a {entity}")
    return found


async def _object_value(data: Any, entity: str, rt: Runtime) -> MxObject | None:
    if data is None:
        return None
    if isinstance(data, str) and data.startswith("@"):
        return await _by_id(data[1:], entity, rt)
    if not isinstance(data, dict):
        raise ValueError(f"an object of {entity} is given as a JSON object or `@<id>`")
    info = rt.names.entities[entity]
    values: dict[str, Any] = {}
    for key, raw in data.items():
        attr = info.attributes.get(key)
        if attr is None:
            raise ValueError(f"{entity} has no attribute `{key}`")
        values[key] = json_to_value(raw, attr.type, rt.names, rt.ctx.timezone)
    try:
        return rt.create(entity, values)
    except MendixError as error:
        raise ValueError(error.message) from None


def json_to_value(raw: Any, type_: t.Type, names: NameTable, zone: ZoneInfo) -> Any:
    """A JSON value as the runtime value of a primitive or enumeration type; `ValueError` when
    it is not one of that type."""
    if raw is None:
        return None
    wanted = type_.name if isinstance(type_, t.Prim) else str(type_)
    if isinstance(raw, dict) and "$date" in raw and wanted == "DateTime":
        return parse_datetime(str(raw["$date"]), zone)
    if isinstance(raw, dict | list):
        kind = "an object" if isinstance(raw, dict) else "an array"
        raise ValueError(f"a {wanted} is not given as {kind}")
    if isinstance(raw, bool):
        if wanted != "Boolean":
            raise ValueError(f"`{str(raw).lower()}` is not a {wanted}")
        return raw
    if isinstance(raw, int | Decimal):
        if isinstance(raw, Decimal) and not in_decimal_range(raw):
            raise ValueError(f"{shorten(str(raw))} does not fit a Decimal ({DECIMAL_RANGE})")
        if wanted == "Decimal":
            return Decimal(raw)
        if wanted in ("Integer", "Long") and isinstance(raw, int):
            if wanted == "Integer" and not -(2**31) <= raw < 2**31:
                raise ValueError(f"{raw} does not fit an Integer")
            return raw
        raise ValueError(f"`{shorten(str(raw))}` is not a {wanted}")
    return parse_scalar(str(raw), type_, names, zone)
