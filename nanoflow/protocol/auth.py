"""Login and session (SYNC.md 1a)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from nanoflow.protocol.wire import ObjectId, UtcDateTime, WireModel

UserName = Annotated[str, Field(min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class LoginRequest(WireModel):
    """A device logs in by user name and password; a device that logged in before sends the
    device id the server issued it, and keeps it."""

    user: UserName
    password: Password
    device_id: ObjectId | None = None


class SessionAnswer(WireModel):
    """Who the bearer of a token is."""

    user_id: ObjectId
    user_name: str
    roles: list[str] = Field(description="Qualified role names, like `Sales.User`.")
    time_zone: str | None = Field(description="IANA time zone of the user; null: unset (UTC).")
    server_id: ObjectId
    device_id: ObjectId
    expires_at: UtcDateTime


class LoginAnswer(SessionAnswer):
    """The session plus its bearer token (send it as `Authorization: Bearer <token>`)."""

    token: str
