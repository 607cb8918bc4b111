"""Logging in (issuing a token and a device id) and authenticating a bearer token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, update

from nanoflow.protocol import LoginAnswer, LoginRequest, SessionAnswer
from nanoflow.server.auth import (
    TokenClaims,
    TokenError,
    burn_password_check,
    issue_token,
    verify_password,
    verify_token,
)
from nanoflow.server.database import ServerDatabase
from nanoflow.server.users import User, Users, now_ms

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class LoginFailed(Exception):
    """Wrong user name or password (which of the two is not said)."""


class UserInactive(Exception):
    """The password is right but the user is not active."""


class Unauthenticated(Exception):
    """A token that does not (or no longer) identify an active user; `code` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Authenticated:
    """The authenticated caller of one request."""

    user: User
    device_id: str
    expires_at: datetime


class Sessions:
    """Login and token checks against one server database."""

    def __init__(self, db: ServerDatabase, clock: Clock = utc_now) -> None:
        self.db = db
        self.users = Users(db)
        self.clock = clock

    def _roles(self, user: User) -> list[str]:
        """The user's roles that the app still declares."""
        return [r for r in user.roles if r in self.db.app.names.roles]

    def answer(self, session: Authenticated) -> SessionAnswer:
        user = session.user
        return SessionAnswer(
            user_id=user.id,
            user_name=user.name,
            roles=self._roles(user),
            time_zone=user.time_zone,
            server_id=self.db.server_id,
            device_id=session.device_id,
            expires_at=session.expires_at,
        )

    async def login(self, request: LoginRequest) -> LoginAnswer:
        found = await self.users.find(request.user)
        if found is None:
            await asyncio.to_thread(burn_password_check, request.password)
            raise LoginFailed()
        user, hashed = found
        if not await asyncio.to_thread(verify_password, request.password, hashed):
            raise LoginFailed()
        if not user.active:
            raise UserInactive()
        devices = self.db.tables.devices
        now = now_ms()
        async with self.db.write() as conn:
            device_id = request.device_id
            kept = False
            if device_id is not None:
                kept = (
                    await conn.execute(
                        update(devices)
                        .where(devices.c.id == device_id, devices.c.user_id == user.id)
                        .values(last_login_at=now)
                    )
                ).rowcount == 1
            if not kept:
                device_id = str(uuid.uuid4())
                await conn.execute(
                    insert(devices).values(
                        id=device_id, user_id=user.id, created_at=now, last_login_at=now
                    )
                )
        assert device_id is not None
        token, expires = issue_token(
            self.db.signing_key, user.id, device_id, user.generation, self.clock()
        )
        session = self.answer(Authenticated(user, device_id, expires))
        return LoginAnswer(token=token, **session.model_dump())

    async def authenticate(self, token: str) -> Authenticated:
        """The session of a bearer token; `Unauthenticated` for a forged, malformed, expired
        or revoked one."""
        try:
            claims: TokenClaims = verify_token(self.db.signing_key, token, self.clock())
        except TokenError as error:
            raise Unauthenticated(
                "token_expired" if error.expired else "invalid_token", str(error)
            ) from None
        async with self.db.read() as conn:
            found = await self.users.get_with_device(conn, claims.user_id, claims.device_id)
        if found is None or not found[1]:
            raise Unauthenticated("token_revoked", "the token's user or device no longer exists")
        user = found[0]
        if user.generation != claims.generation:
            raise Unauthenticated(
                "token_revoked", "the token was revoked (the password changed); log in again"
            )
        if not user.active:
            raise Unauthenticated("token_revoked", f"user `{user.name}` is not active")
        return Authenticated(user, claims.device_id, claims.expires_at)
