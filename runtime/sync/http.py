"""The sync endpoints over HTTP (httpx): a `SyncTransport` for a `nanoflow serve` process or,
with an in-process transport, the embedded server.

Bodies are the wire models of `nanoflow.protocol`; member values are converted with
`runtime/wire.py` by the entity's layout. Transient failures (no connection, timeouts, 5xx)
are retried with backoff a bounded number of times; authentication failures are not.
Everything that goes wrong becomes a `SyncError` (a `MendixError`) with a clear message, which
flows' error handlers receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from nanoflow.protocol.auth import LoginAnswer, LoginRequest, SessionAnswer
from nanoflow.protocol.sync import (
    DownloadPage,
    FailureList,
    FileLinkRequest,
    MicroflowCall,
    MicroflowResult,
    ObjectChange,
    ObjectState,
    ReferenceSetChange,
    RefreshAnswer,
    RefreshRequest,
    UploadAnswer,
    UploadRequest,
)
from nanoflow.protocol.wire import API_PREFIX
from nanoflow.runtime.store.columnar import WireRows
from nanoflow.runtime.store.schema import Schema
from nanoflow.runtime.store.sync import Outgoing, ServerObject
from nanoflow.runtime.sync.errors import (
    AUTH_CODES,
    RELOGIN_CODES,
    AuthenticationFailed,
    ServerUnreachable,
    SyncError,
)
from nanoflow.runtime.sync.transport import DownloadedPage, MicroflowAnswer, Outcome, Refreshed
from nanoflow.runtime.wire import WireError, from_wire, member_kinds, to_wire

RETRIES = 3
BACKOFF_S = 0.2
TIMEOUT_S = 30.0
FAILURES_PAGE = 1000
LINK_MIN_BYTES = 64 * 1024
"""Contents at least this large are offered by hash before their bytes are sent."""

Relogin = Callable[[], Awaitable[None]]


class HttpTransport:
    """The sync endpoints of one server for one logged-in user.

    `client` is an `httpx.AsyncClient` whose `base_url` is the server (for the embedded server,
    one with an in-process transport). `relogin`, when given, logs in again (with the password
    the runtime was given) when the server says the token expired or was revoked; the request
    is then sent once more with the new token. `retries` transient failures of a request are
    retried with backoff; `timeout` bounds each attempt (seconds)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        schema: Schema,
        token: str | None = None,
        retries: int = RETRIES,
        relogin: Relogin | None = None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.client = client
        self.schema = schema
        self.token = token
        self.retries = retries
        self.timeout = timeout
        self.relogin = relogin
        self.bytes_received = 0
        self.bytes_sent = 0
        self._kinds: dict[str, dict[str, tuple[str, str | None]]] = {}

    # ---- requests ----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Any = None,
        content_type: str = "application/json",
        idempotent: bool = True,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send a request; retry transient failures (only where repeating it is safe: always
        when the request never left, otherwise when `idempotent`), log in again once on an
        expired token."""
        relogged = False
        while True:
            try:
                return await self._send(
                    method, path, body, params, content_type, idempotent, authenticated
                )
            except AuthenticationFailed as error:
                if (
                    relogged
                    or not authenticated
                    or self.relogin is None
                    or error.code not in RELOGIN_CODES
                ):
                    raise
                relogged = True
                await self.relogin()

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None,
        params: Any,
        content_type: str,
        idempotent: bool,
        authenticated: bool,
    ) -> httpx.Response:
        headers = {"content-type": content_type}
        if authenticated and self.token is not None:
            headers["authorization"] = f"Bearer {self.token}"
        url = f"{API_PREFIX}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.client.request(
                    method, url, content=body, params=params, headers=headers, timeout=self.timeout
                )
            except httpx.HTTPError as error:
                never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt > self.retries or not (idempotent or never_sent):
                    raise ServerUnreachable(
                        f"the sync server at {self.client.base_url} cannot be reached "
                        f"({_describe(error)})"
                    ) from None
            else:
                self.bytes_sent += len(body or b"")
                self.bytes_received += len(response.content)
                if response.status_code < 500 or attempt > self.retries or not idempotent:
                    return self._checked(response)
            await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1) * (0.5 + random.random()))

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        message, code = response.text[:300].strip() or response.reason_phrase, ""
        with contextlib.suppress(ValueError, KeyError, TypeError):
            error = response.json()["error"]
            message, code = str(error["message"]), str(error["code"])
        if status in (401, 403) and code in AUTH_CODES:
            raise AuthenticationFailed(
                f"the sync server refused the login or token: {message}", code, status
            )
        if status >= 500:
            raise ServerUnreachable(f"the sync server failed ({status}): {message}", code, status)
        raise SyncError(f"the sync server refused the request ({status}): {message}", code, status)

    @staticmethod
    def _parse(model: Any, response: httpx.Response) -> Any:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise SyncError(
                f"the sync server's answer does not parse: {where + ': ' if where else ''}"
                f"{first['msg']}"
            ) from None

    # ---- login -------------------------------------------------------------------------------

    async def login(self, user: str, password: str, device_id: str | None) -> LoginAnswer:
        """Log in (POST /login); the answer's token is used from then on."""
        body = LoginRequest(user=user, password=password, device_id=device_id)
        response = await self._request(
            "POST", "/login", body=body.model_dump_json().encode(), authenticated=False
        )
        answer: LoginAnswer = self._parse(LoginAnswer, response)
        self.token = answer.token
        return answer

    async def session(self) -> SessionAnswer:
        """Who the token's bearer is (GET /session): checks a cached session."""
        response = await self._request("GET", "/session")
        answer: SessionAnswer = self._parse(SessionAnswer, response)
        return answer

    # ---- upload ------------------------------------------------------------------------------

    def encode_upload(self, device_id: str, sequence: int, changes: Sequence[Outgoing]) -> str:
        objects = [self._change(c) for c in changes]
        request = UploadRequest(device_id=device_id, sequence=sequence, objects=objects)
        return request.model_dump_json()

    def _change(self, change: Outgoing) -> ObjectChange:
        kinds = self._member_kinds(change.entity)
        attributes: dict[str, Any] = {}
        references: dict[str, Any] = {}
        for member, value in change.values.items():
            kind, _enum = kinds.get(member, ("String", None))
            if kind == "Ref":
                references[member] = value
            else:
                attributes[member] = to_wire(kind, value)
        sets = {
            name: ReferenceSetChange(
                added=change.added.get(name, []), removed=change.removed.get(name, [])
            )
            for name in sorted({*change.added, *change.removed})
        }
        return ObjectChange(
            id=change.id,
            entity=change.entity,
            kind=change.kind,
            attributes=attributes,
            references=references,
            reference_sets=sets,
        )

    async def upload(self, body: str) -> list[Outcome]:
        response = await self._request("POST", "/upload", body=body.encode())
        answer: UploadAnswer = self._parse(UploadAnswer, response)
        return [
            Outcome(o.id, o.status, o.reason, self.server_object(o.state) if o.state else None)
            for o in answer.outcomes
        ]

    # ---- download and refresh ----------------------------------------------------------------

    async def download(self, entity: str, cursor: str | None, limit: int) -> DownloadedPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._request("GET", f"/download/{entity}", params=params)
        page: DownloadPage = self._parse(DownloadPage, response)
        return DownloadedPage(
            WireRows(page.entity, page.columns, page.rows), page.removed, page.cursor,
            page.more, page.complete, page.files, page.kept, page.after, page.through,
        )  # fmt: skip

    async def refresh(self, ids: Sequence[str]) -> Refreshed:
        body = RefreshRequest(ids=list(ids)).model_dump_json().encode()
        response = await self._request("POST", "/refresh", body=body)
        answer: RefreshAnswer = self._parse(RefreshAnswer, response)
        return Refreshed([self.server_object(o) for o in answer.objects], list(answer.gone))

    def server_object(self, state: ObjectState) -> ServerObject:
        """An object state of an answer in runtime values."""
        kinds = self._member_kinds(state.entity)
        values: dict[str, Any] = {}
        try:
            for member, value in state.attributes.items():
                found = kinds.get(member)
                if found is not None:
                    values[member] = from_wire(found[0], value, found[1])
            for member, target in state.references.items():
                values[member] = target
            for member, targets in state.reference_sets.items():
                values[member] = tuple(targets)
        except WireError as error:
            raise SyncError(f"the sync server's answer does not parse: {error}") from None
        return ServerObject(state.id, state.entity, state.version, values)

    def _member_kinds(self, entity: str) -> dict[str, tuple[str, str | None]]:
        found = self._kinds.get(entity)
        if found is None:
            found = self._kinds[entity] = member_kinds(self.schema.layout(entity))
        return found

    # ---- files and microflows ----------------------------------------------------------------

    async def put_file(self, object_id: str, data: bytes) -> None:
        """Send a file object's contents. Large contents are first offered by their hash
        (`POST /files/{id}/link`): when this user sent the same bytes before, the server
        reuses them and the bytes stay on the device."""
        if len(data) >= LINK_MIN_BYTES:
            offer = FileLinkRequest(hash=hashlib.sha256(data).hexdigest(), size=len(data))
            try:
                await self._request(
                    "POST", f"/files/{object_id}/link", body=offer.model_dump_json().encode()
                )
                return
            except SyncError as error:
                if error.status != 404:
                    raise
        await self._request(
            "PUT", f"/files/{object_id}", body=data, content_type="application/octet-stream"
        )

    async def get_file(self, object_id: str) -> bytes | None:
        response = await self._request("GET", f"/files/{object_id}")
        return response.content if response.status_code != 204 else None

    async def call_microflow(self, name: str, arguments: dict[str, Any]) -> MicroflowAnswer:
        """Run a microflow on the server with wire-encoded arguments. Never repeated once
        sent: a microflow is not idempotent."""
        body = MicroflowCall(arguments=arguments).model_dump_json().encode()
        response = await self._request(
            "POST", f"/microflows/{name}", body=body, idempotent=False
        )
        answer: MicroflowResult = self._parse(MicroflowResult, response)
        return MicroflowAnswer(
            answer.result,
            [self.server_object(o) for o in answer.to_device],
            list(answer.removed_from_device),
        )


    async def failures(self, limit: int) -> list[dict[str, Any]]:
        """The user's `System.SynchronizationFailure` records (GET /failures, page by page),
        newest first, at most `limit`: `id` (the object's), `entity`, `kind`, `reason`, `at`
        (seconds since the epoch) and `failure_id`."""
        found: list[dict[str, Any]] = []
        before: str | None = None
        while len(found) < limit:
            params: dict[str, Any] = {"limit": min(FAILURES_PAGE, limit - len(found))}
            if before is not None:
                params["before"] = before
            response = await self._request("GET", "/failures", params=params)
            page: FailureList = self._parse(FailureList, response)
            found += [
                {
                    "id": f.object_id,
                    "entity": f.entity,
                    "kind": f.kind,
                    "reason": f.reason,
                    "at": f.created.timestamp(),
                    "failure_id": f.id,
                }
                for f in page.failures
            ]
            if not page.more or page.cursor is None:
                break
            before = page.cursor
        return found


def _describe(error: httpx.HTTPError) -> str:
    text = str(error).strip()
    kind = type(error).__name__
    return f"{kind}: {text}" if text else kind
