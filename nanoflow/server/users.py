"""The server's users: credentials in `nf_users`, `Name` and `Active` on the user's
`System.User` object (so flows and access rules see them).

Revocation: a new password bumps the user's token generation; removing a user deletes it;
`Active = false` is checked on every request (and `set_active` also bumps the generation, so
reactivating a user does not revive old tokens).
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from nanoflow.compiler import App
from nanoflow.names import suggest
from nanoflow.runtime.store import codec
from nanoflow.server.auth import hash_password
from nanoflow.server.database import ServerDatabase
from nanoflow.server.errors import UserError

USER_ENTITY = "System.User"
MAX_NAME = 200


@dataclass(frozen=True)
class User:
    """A user as the server knows it."""

    id: str
    name: str
    roles: tuple[str, ...]
    time_zone: str | None
    active: bool
    generation: int


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def name_key(name: str) -> str:
    """User names are unique and found regardless of case."""
    return codec.fold(unicodedata.normalize("NFC", name))


def check_name(name: str) -> str:
    if not name or not name.strip():
        raise UserError("a user name cannot be empty")
    if name != name.strip():
        raise UserError(f"user name `{name}` starts or ends with white space")
    if len(name) > MAX_NAME:
        raise UserError(f"a user name has at most {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise UserError("a user name cannot hold control characters")
    return unicodedata.normalize("NFC", name)


def check_roles(app: App, roles: list[str], require_role: bool = True) -> tuple[str, ...]:
    """Qualified role names of the app (`Sales.User`), with a did-you-mean for a typo."""
    if not roles and require_role:
        raise UserError("give the user at least one role (`--role Module.Role`)")
    known = sorted(app.names.roles)
    for role in roles:
        if role not in app.names.roles:
            hint = suggest(role, known)
            listed = ", ".join(known) if known else "none"
            raise UserError(
                f"unknown role `{role}`"
                + (f": {hint}" if hint else "")
                + f" (the app's roles: {listed})"
            )
    return tuple(dict.fromkeys(roles))


def check_time_zone(zone: str | None) -> str | None:
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone `{zone}` (an IANA name like Europe/Amsterdam)"
        ) from None
    return zone


def check_password(password: str) -> str:
    if not password:
        raise UserError("the password cannot be empty")
    if len(password) > 1024:
        raise UserError("a password has at most 1024 characters")
    return password


class Users:
    """User administration and lookup on one server database."""

    def __init__(self, db: ServerDatabase) -> None:
        self.db = db
        layout = db.schema.layout(USER_ENTITY)
        self.entity_table: Table = db.tables.object_table(USER_ENTITY)
        self.name_column = layout.attributes["Name"].name
        self.active_column = layout.attributes["Active"].name
        self._with_device: Any = None

    def _select(self) -> Any:
        users, objects = self.db.tables.users, self.entity_table
        return select(
            users.c.id,
            users.c.name,
            users.c.roles,
            users.c.time_zone,
            objects.c[self.active_column],
            users.c.generation,
            users.c.password_hash,
        ).select_from(users.outerjoin(objects, objects.c.id == users.c.id))

    @staticmethod
    def _user(row: Any) -> User:
        return User(row[0], row[1], tuple(json.loads(row[2])), row[3], bool(row[4]), int(row[5]))

    async def add(
        self,
        name: str,
        password: str,
        roles: list[str],
        time_zone: str | None = None,
        require_role: bool = True,
    ) -> User:
        """Create a user (and its `System.User` object). `require_role=False` allows a user
        without roles (the embedded server's user of an app that declares none)."""
        name = check_name(name)
        role_names = check_roles(self.db.app, roles, require_role)
        zone = check_time_zone(time_zone)
        hashed = await asyncio.to_thread(hash_password, check_password(password))
        user_id = str(uuid.uuid4())
        try:
            async with self.db.write() as conn:
                if await self._find(conn, name) is not None:
                    raise UserError(f"user `{name}` exists already")
                seq = await self.db.next_sequence(conn)
                await conn.execute(
                    insert(self.entity_table).values(
                        {
                            "id": user_id,
                            "entity": USER_ENTITY,
                            self.name_column: name,
                            self.active_column: True,
                            "_seq": seq,
                        }
                    )
                )
                await conn.execute(
                    insert(self.db.tables.users).values(
                        id=user_id,
                        name=name,
                        name_key=name_key(name),
                        password_hash=hashed,
                        roles=json.dumps(list(role_names)),
                        time_zone=zone,
                        generation=1,
                        created_at=now_ms(),
                    )
                )
        except IntegrityError:
            raise UserError(f"user `{name}` exists already") from None
        return User(user_id, name, role_names, zone, True, 1)

    async def _find(self, conn: AsyncConnection, name: str) -> tuple[User, str] | None:
        query = self._select().where(self.db.tables.users.c.name_key == name_key(name))
        row = (await conn.execute(query)).first()
        return None if row is None else (self._user(row), row[6])

    async def find(self, name: str) -> tuple[User, str] | None:
        """A user and its password hash, by name (any case)."""
        if "\x00" in name:
            return None  # no user has one (and PostgreSQL text cannot hold it)
        async with self.db.read() as conn:
            return await self._find(conn, name)

    async def get(self, conn: AsyncConnection, user_id: str) -> User | None:
        query = self._select().where(self.db.tables.users.c.id == user_id)
        row = (await conn.execute(query)).first()
        return None if row is None else self._user(row)

    async def get_with_device(
        self, conn: AsyncConnection, user_id: str, device_id: str
    ) -> tuple[User, bool] | None:
        """A user by id, and whether it has this device (one query: every request asks)."""
        if self._with_device is None:
            devices = self.db.tables.devices
            has_device = (
                select(devices.c.id)
                .where(
                    devices.c.id == bindparam("device_id"),
                    devices.c.user_id == bindparam("user_id"),
                )
                .exists()
            )
            self._with_device = (
                self._select()
                .add_columns(has_device)
                .where(self.db.tables.users.c.id == bindparam("user_id"))
            )
        params = {"user_id": user_id, "device_id": device_id}
        row = (await conn.execute(self._with_device, params)).first()
        return None if row is None else (self._user(row), bool(row[-1]))

    async def list(self) -> list[User]:
        async with self.db.read() as conn:
            rows = await conn.execute(self._select().order_by(self.db.tables.users.c.name_key))
            return [self._user(row) for row in rows]

    async def _require(self, conn: AsyncConnection, name: str) -> User:
        found = await self._find(conn, name)
        if found is None:
            raise UserError(f"no user `{name}`")
        return found[0]

    async def remove(self, name: str) -> User:
        """Delete a user, its devices and its `System.User` object (tombstoned): its tokens
        stop working at once."""
        tables = self.db.tables
        async with self.db.write() as conn:
            user = await self._require(conn, name)
            seq = await self.db.next_sequence(conn)
            await conn.execute(delete(tables.users).where(tables.users.c.id == user.id))
            await conn.execute(delete(tables.devices).where(tables.devices.c.user_id == user.id))
            entity = (
                await conn.execute(
                    delete(self.entity_table)
                    .where(self.entity_table.c.id == user.id)
                    .returning(self.entity_table.c.entity)
                )
            ).scalar_one_or_none()
            if entity is not None:
                await conn.execute(
                    insert(tables.tombstones).values(id=user.id, entity=entity, _seq=seq)
                )
        return user

    async def set_password(self, name: str, password: str) -> User:
        """A new password; every token issued before stops working."""
        hashed = await asyncio.to_thread(hash_password, check_password(password))
        users = self.db.tables.users
        async with self.db.write() as conn:
            user = await self._require(conn, name)
            await conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(password_hash=hashed, generation=users.c.generation + 1)
            )
        return user

    async def set_active(self, name: str, active: bool) -> User:
        """Set `System.User.Active`; every token issued before stops working."""
        users = self.db.tables.users
        async with self.db.write() as conn:
            user = await self._require(conn, name)
            seq = await self.db.next_sequence(conn)
            await conn.execute(
                update(self.entity_table)
                .where(self.entity_table.c.id == user.id)
                .values({self.active_column: active, "_seq": seq})
            )
            await conn.execute(
                update(users).where(users.c.id == user.id).values(generation=users.c.generation + 1)
            )
        return user
