"""Built-in actions callable with `call action` (Mendix Nanoflow Commons equivalents for a
headless runtime). Their declarations are in `nanoflow_commons.nf`; hosts add their own with
`rt.register_action`."""

from __future__ import annotations

import base64
import itertools
import json
import math
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nanoflow.runtime.values import EnumValue, MendixError, MxObject

if TYPE_CHECKING:
    from nanoflow.runtime.session import Action
    from nanoflow.runtime.session import Session as Runtime
    from nanoflow.runtime.storage import Store

MODULE = "NanoflowCommons"
_counter_lock = threading.Lock()
_EARTH_RADIUS_KM = Decimal("6371.0088")
_UNIT_KM = {"KILOMETER": 1.0, "METER": 1000.0, "MILE": 0.621371192, "NAUTICAL_MILE": 0.539956803}
_TIME_UNIT_MS = {"Milliseconds": 1, "Seconds": 1000, "Minutes": 60_000, "Hours": 3_600_000,
                 "Days": 86_400_000}  # fmt: skip


def _required(value: Any, name: str) -> Any:
    if value is None or value == "":
        raise MendixError(f"Input parameter '{name}' is required.")
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, EnumValue):
        return {"$enum": value.enum, "key": value.key}
    if isinstance(value, tuple):
        return None
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$date" in value:
            return datetime.fromisoformat(value["$date"])
        if "$enum" in value:
            return EnumValue.of(value["$enum"], value["key"])
    return value


def register_builtin_actions(rt: Runtime) -> None:
    """Register the NanoflowCommons actions on a runtime."""

    def store() -> Store:
        if rt.store is None:
            raise MendixError("storage items need an offline store")
        return rt.store

    def serialize(obj: MxObject) -> dict[str, Any]:
        attributes = rt.entity(obj.entity).attributes
        data = {k: _to_json(v) for k, v in obj.values.items() if k in attributes}
        return {"guid": obj.id, "entity": obj.entity, "attributes": data}

    def deserialize(data: dict[str, Any], entity: str) -> MxObject:
        live = rt.objects.get(data.get("guid", ""))
        if live is not None and not live.removed:
            return live
        values = {k: _from_json(v) for k, v in data.get("attributes", {}).items()}
        return rt.create(
            entity, {k: v for k, v in values.items() if k in rt.entity(entity).attributes}
        )

    async def get_string(key: str) -> str:
        value = await store().get_item(_required(key, "Key"))
        if value is None:
            raise MendixError(f"Storage item '{key}' does not exist")
        return str(json.loads(value))

    async def set_string(key: str, value: str) -> None:
        await store().set_item(_required(key, "Key"), json.dumps(value))

    async def get_object(key: str, entityName: str) -> MxObject:
        value = await store().get_item(_required(key, "Key"))
        if value is None:
            raise MendixError(f"Storage item '{key}' does not exist")
        return deserialize(json.loads(value), entityName)

    async def set_object(key: str, value: MxObject) -> None:
        await store().set_item(_required(key, "Key"), json.dumps(serialize(value)))

    async def get_object_list(key: str, entityName: str) -> list[MxObject]:
        value = await store().get_item(_required(key, "Key"))
        if value is None:
            raise MendixError(f"Storage item '{key}' does not exist")
        return [deserialize(item, entityName) for item in json.loads(value)]

    async def set_object_list(key: str, value: list[MxObject]) -> None:
        payload = [serialize(o) for o in value or [] if not o.removed]
        await store().set_item(_required(key, "Key"), json.dumps(payload))

    async def remove_item(key: str) -> None:
        await store().remove_item(_required(key, "Key"))

    async def item_exists(key: str) -> bool:
        return await store().get_item(_required(key, "Key")) is not None

    async def wait(delay: int) -> None:
        import asyncio  # imported when used: `nanoflow eval` starts without asyncio

        await asyncio.sleep(_required(delay, "delay") / 1000)

    counter = itertools.count(1)

    async def unique_id() -> str:
        with _counter_lock:
            number = next(counter)
        session = rt.current_user.id if rt.current_user else "local"
        import random

        return f"{session}:{number}:{random.randint(0, 10000)}"

    async def get_guid(entityObject: MxObject) -> str:
        return _required(entityObject, "Entity object").id  # type: ignore[no-any-return]

    async def object_by_guid(entityName: str, objectGuid: str) -> MxObject:
        found = await rt.load(_required(objectGuid, "Object guid"))
        if found is None or not rt.names.is_a(found.entity, entityName):
            raise MendixError("'Object guid' not found")
        return found

    async def platform() -> EnumValue:
        return EnumValue.of(f"{MODULE}.Platform", "Native_mobile")

    async def connected() -> bool:
        return False

    async def b64encode(stringToEncode: str) -> str:
        return base64.b64encode((stringToEncode or "").encode()).decode()

    async def b64decode(stringToDecode: str) -> str:
        try:
            return base64.b64decode(stringToDecode or "", validate=True).decode()
        except (ValueError, UnicodeDecodeError) as error:
            raise MendixError(f"Base64Decode: not valid Base64: {error}") from error

    async def time_between(startDate: datetime, endDate: datetime, unit: EnumValue) -> Decimal:
        start = _required(startDate, "Start date")
        end = _required(endDate, "End date")
        ms = (end - start).total_seconds() * 1000
        return Decimal(repr(ms / _TIME_UNIT_MS[_required(unit, "Unit").key]))

    async def distance(
        startLatitude: Decimal,
        startLongitude: Decimal,
        endLatitude: Decimal,
        endLongitude: Decimal,
        unit: EnumValue,
    ) -> Decimal:
        lat1, lon1, lat2, lon2 = (
            math.radians(float(_required(v, "coordinate")))
            for v in (startLatitude, startLongitude, endLatitude, endLongitude)
        )
        a = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        km = float(_EARTH_RADIUS_KM) * 2 * math.asin(math.sqrt(a))
        return Decimal(repr(km * _UNIT_KM[_required(unit, "Unit").key]))

    async def store_file(file: MxObject, path: str) -> None:
        data = Path(_required(path, "Path")).read_bytes()
        await rt.write_file(_required(file, "File"), data)

    async def save_file(file: MxObject, path: str) -> None:
        data = await rt.read_file(_required(file, "File"))
        Path(_required(path, "Path")).write_bytes(data or b"")

    table: dict[str, Action] = {
        "GetStorageItemString": get_string,
        "SetStorageItemString": set_string,
        "GetStorageItemObject": get_object,
        "SetStorageItemObject": set_object,
        "GetStorageItemObjectList": get_object_list,
        "SetStorageItemObjectList": set_object_list,
        "RemoveStorageItem": remove_item,
        "StorageItemExists": item_exists,
        "Wait": wait,
        "GenerateUniqueID": unique_id,
        "GetGuid": get_guid,
        "GetObjectByGuid": object_by_guid,
        "GetPlatform": platform,
        "IsConnectedToServer": connected,
        "Base64Encode": b64encode,
        "Base64Decode": b64decode,
        "TimeBetween": time_between,
        "GetStraightLineDistance": distance,
        "StoreFileFromPath": store_file,
        "SaveFileToPath": save_file,
    }
    for name, function in table.items():
        rt.register_action(f"{MODULE}.{name}", function)
