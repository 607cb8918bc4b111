"""A device store's connection to its sync server (SYNC.md 1a): logging in, binding the store to
one user on one server, and the cached session that lets flows run offline.

- The first login binds the store: its meta records the server id, the user id and the
  server-issued device id. Opening it later for another user or another server is refused
  (`StoreBound`) before anything is written.
- Every login caches the session (user id, name, roles, time zone, token, expiry, server id,
  device id) in the store. When the server cannot be reached, a store with a cached session for
  that user opens offline; synchronization and microflow calls then fail with a clear error
  that flows can handle.
- An expired or revoked token is renewed by logging in again with the password when the
  runtime has one; otherwise the request fails with an error that says so.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import httpx

from nanoflow.protocol.auth import LoginAnswer
from nanoflow.protocol.wire import format_datetime
from nanoflow.runtime.errors import StoreError
from nanoflow.runtime.store.codec import fold
from nanoflow.runtime.sync.errors import AuthenticationFailed, ServerUnreachable
from nanoflow.runtime.sync.http import RETRIES, HttpTransport

if TYPE_CHECKING:
    from nanoflow.runtime.store.store import DeviceStore

Provision = Callable[[str, str], Awaitable[None]]
EMBEDDED_PASSWORD = "embedded_password"


class ServerConnectionError(StoreError):
    """The runtime cannot open with its sync server: it cannot log in, or cannot reach the
    server and the store has no cached session for the user."""


class StoreBound(StoreError):
    """The store belongs to another user or another server."""


@dataclass
class ServerLink:
    """How a runtime reaches its sync server: an httpx client whose `base_url` is the server
    (or one with an in-process transport), the user's password (None: use the cached session),
    and for the embedded server a `provision` function that creates the user (or resets its
    password) with every role. `label` names the server in messages."""

    client: httpx.AsyncClient
    label: str
    password: str | None = None
    provision: Provision | None = None
    on_close: Callable[[], Awaitable[None]] | None = None
    retries: int = RETRIES
    """How often a transient failure is retried (with backoff) before a request fails."""

    async def close(self) -> None:
        """Close the client (and what `on_close` releases, e.g. the embedded server)."""
        try:
            await self.client.aclose()
        finally:
            if self.on_close is not None:
                await self.on_close()


@dataclass
class CachedSession:
    """The session of the store's user, as the last login gave it."""

    user_id: str
    user_name: str
    roles: list[str]
    time_zone: str | None
    token: str
    expires_at: str
    server_id: str
    device_id: str
    server: str
    """The label of the server it came from (its URL, or the embedded server)."""

    @classmethod
    def of(cls, answer: LoginAnswer, server: str) -> CachedSession:
        return cls(
            answer.user_id, answer.user_name, list(answer.roles), answer.time_zone, answer.token,
            format_datetime(answer.expires_at), answer.server_id, answer.device_id, server,
        )  # fmt: skip

    @classmethod
    def from_meta(cls, value: Any) -> CachedSession | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(**value)
        except TypeError:
            return None  # written by another version: log in again

    def to_meta(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Connected:
    """The outcome of `connect`: the session the runtime runs with, a transport to the server
    (carrying the token), and whether the login reached the server now."""

    session: CachedSession
    transport: HttpTransport
    online: bool


async def connect(
    store: DeviceStore, link: ServerLink, user: str, all_roles: list[str]
) -> Connected:
    """Log the store's user in (or fall back on the cached session) and bind the store."""
    cached = CachedSession.from_meta(await store.get_meta("session"))
    bound_user = await store.get_meta("user_id")
    if bound_user and cached is not None and fold(cached.user_name) != fold(user):
        raise StoreBound(_refusal(store, cached, user, link.label))
    password = link.password
    if link.provision is not None:
        password = await _embedded_password(store)
    transport = HttpTransport(
        link.client, store.schema, token=cached.token if cached else None, retries=link.retries
    )
    if password is None:
        if cached is None:
            raise ServerConnectionError(
                f"cannot log in to the sync server at {link.label} as `{user}`: no password "
                "was given and the store has no session of that user"
            )
        transport.relogin = _expired(cached, link.label)
        return Connected(*await _check(store, transport, cached))
    device_id = await store.get_meta("device_id")
    try:
        answer = await _login(transport, link, user, password, device_id, all_roles)
    except ServerUnreachable as error:
        if cached is None:
            raise ServerConnectionError(
                f"{error.message}; the store has no session of user `{user}` to run offline "
                "with (log in once while the server is reachable)"
            ) from None
        transport.relogin = _relogin(store, transport, link, user, password)
        return Connected(cached, transport, online=False)
    except AuthenticationFailed as error:
        raise ServerConnectionError(
            f"cannot log in to the sync server at {link.label} as `{user}`: {error.message}"
        ) from None
    session = await bind(store, answer, link.label)
    transport.relogin = _relogin(store, transport, link, user, password)
    return Connected(session, transport, online=True)


async def _check(
    store: DeviceStore, transport: HttpTransport, cached: CachedSession
) -> tuple[CachedSession, HttpTransport, bool]:
    """Without a password: ask the server whether the cached token still holds (refreshing
    the cached roles and time zone). Unreachable, expired or revoked: run offline on the
    cache; synchronizing then says what is wrong."""
    try:
        answer = await transport.session()
    except (ServerUnreachable, AuthenticationFailed):
        return cached, transport, False
    if answer.server_id != cached.server_id or answer.user_id != cached.user_id:
        raise StoreBound(_refusal(store, cached, answer.user_name, cached.server, answer.server_id))
    cached.roles, cached.time_zone = list(answer.roles), answer.time_zone
    await store.set_meta("session", cached.to_meta())
    return cached, transport, True


async def _login(
    transport: HttpTransport,
    link: ServerLink,
    user: str,
    password: str,
    device_id: str | None,
    all_roles: list[str],
) -> LoginAnswer:
    """Log in; the embedded server's user is created (or its password reset, or its roles
    completed) on the way."""
    try:
        answer = await transport.login(user, password, device_id)
    except AuthenticationFailed as error:
        if link.provision is None or error.code != "login_failed":
            raise
        await link.provision(user, password)
        return await transport.login(user, password, device_id)
    if link.provision is not None and sorted(answer.roles) != sorted(all_roles):
        await link.provision(user, password)
        answer = await transport.login(user, password, device_id)
    return answer


async def bind(store: DeviceStore, answer: LoginAnswer, label: str) -> CachedSession:
    """Check that the store belongs to this user on this server (or to nobody yet), then
    record the binding and cache the session, in one transaction."""
    server_id = await store.get_meta("server_id")
    user_id = await store.get_meta("user_id")
    cached = CachedSession.from_meta(await store.get_meta("session"))
    if (server_id and server_id != answer.server_id) or (user_id and user_id != answer.user_id):
        raise StoreBound(_refusal(store, cached, answer.user_name, label, answer.server_id))
    session = CachedSession.of(answer, label)
    await store.set_meta_many(
        {
            "server_id": answer.server_id,
            "user_id": answer.user_id,
            "device_id": answer.device_id,
            "session": session.to_meta(),
        }
    )
    return session


def _refusal(
    store: DeviceStore,
    cached: CachedSession | None,
    user: str,
    label: str,
    server_id: str | None = None,
) -> str:
    owner = f"user `{cached.user_name}`" if cached else "another user"
    where = f"server {cached.server} (id {cached.server_id})" if cached else "another server"
    wanted = f"user `{user}` on server {label}" + (f" (id {server_id})" if server_id else "")
    return (
        f"store {store.path} belongs to {owner} on {where}; it cannot be opened for {wanted}. "
        "Nothing was changed: use another store (--store) for this user or server"
    )


async def _embedded_password(store: DeviceStore) -> str:
    """The embedded server's password of the store's user, generated on first use."""
    password = await store.get_meta(EMBEDDED_PASSWORD)
    if not isinstance(password, str) or not password:
        password = secrets.token_urlsafe(24)
        await store.set_meta(EMBEDDED_PASSWORD, password)
    return password


def _relogin(
    store: DeviceStore, transport: HttpTransport, link: ServerLink, user: str, password: str
) -> Callable[[], Awaitable[None]]:
    async def relogin() -> None:
        device_id = await store.get_meta("device_id")
        answer = await transport.login(user, password, device_id)
        await bind(store, answer, link.label)

    return relogin


def _expired(cached: CachedSession, label: str) -> Callable[[], Awaitable[None]]:
    async def relogin() -> None:
        raise AuthenticationFailed(
            f"the session of user `{cached.user_name}` with the sync server at {label} has "
            "expired or was revoked: open the runtime again with the user's password",
            "token_expired",
            401,
        )

    return relogin
