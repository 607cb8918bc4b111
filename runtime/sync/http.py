"""The sync endpoints over HTTP (httpx): a `SyncTransport` for a `nanoflow serve` process or,
with an in-process transport, the embedded server.

Bodies are the wire models of `nanoflow.protocol`; member values are converted with
`runtime/wire.py` by the entity's layout. Transient failures (no connection, timeouts, 5xx)
are retried with backoff a bounded number of times; authentication failures are not.
Everything that goes wrong becomes a `MendixError` with a clear message, which flows'
error handlers receive.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
from pydantic import ValidationError

from nanoflow.protocol.auth import LoginAnswer, LoginRequest
from nanoflow.protocol.sync import (
    DownloadPage,
    MicroflowCall,
    MicroflowResult,
    ObjectChange,
    ObjectState,
    RefreshAnswer,
    RefreshRequest,
    ReferenceSetChange,
    UploadAnswer,
    UploadRequest,
)
from nanoflow.protocol.wire import API_PREFIX
from nanoflow.runtime.store.schema import Schema
from nanoflow.runtime.store.sync import Outgoing, ServerObject
from nanoflow.runtime.sync.transport import Outcome, Page, Refreshed
from nanoflow.runtime.values import MendixError
from nanoflow.runtime.wire import WireError, from_wire, member_kinds, to_wire

RETRIES = 3
BACKOFF_S = 0.2
TIMEOUT_S = 30.0


class ServerUnreachable(MendixError):
    """No connection, a timeout, or a server error that retrying did not cure."""


class HttpTransport:
    """The sync endpoints of one server for one logged-in user."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        schema: Schema,
        token: str | None = None,
        retries: int = RETRIES,
    ) -> None:
        self.client = client
        self.schema = schema
        self.token = token
        self.retries = retries
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
    ) -> httpx.Response:
        headers = {"content-type": content_type}
        if self.token is not None:
            headers["authorization"] = f"Bearer {self.token}"
        url = f"{API_PREFIX}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.client.request(
                    method,
                    url,
                    content=body,
                    params=params,
                    headers=headers,
                    timeout=TIMEOUT_S,
                )
            except (httpx.TransportError, httpx.TimeoutException) as error:
                if attempt > self.retries:
                    raise ServerUnreachable(
                        f"the sync server cannot be reached ({type(error).__name__}: {error})"
                    ) from error
            else:
                if response.status_code < 500 or attempt > self.retries:
                    return self._checked(response)
            await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1) * (0.5 + random.random()))

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        message = response.text[:500]
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            pass
        if response.status_code in (401, 403):
            raise MendixError(f"the sync server refused the request: {message}")
        if response.status_code >= 500:
            raise ServerUnreachable(f"the sync server failed ({response.status_code}): {message}")
        raise MendixError(
            f"the sync server refused the request ({response.status_code}): {message}"
        )

    @staticmethod
    def _parse(model: Any, response: httpx.Response) -> Any:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise MendixError(
                f"the sync server's answer does not parse: {error.errors()[0]['msg']}"
            ) from None

    # ---- login -------------------------------------------------------------------------------

    async def login(self, user: str, password: str, device_id: str | None) -> LoginAnswer:
        body = LoginRequest(user=user, password=password, device_id=device_id)
        response = await self._request("POST", "/login", body=body.model_dump_json().encode())
        answer: LoginAnswer = self._parse(LoginAnswer, response)
        self.token = answer.token
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
            Outcome(o.id, o.status, o.reason, self._object(o.state) if o.state else None)
            for o in answer.outcomes
        ]

    # ---- download and refresh ----------------------------------------------------------------

    async def download(self, entity: str, cursor: str | None, limit: int) -> Page:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._request("GET", f"/download/{entity}", params=params)
        page: DownloadPage = self._parse(DownloadPage, response)
        objects = self._rows(page)
        return Page(
            objects, list(page.removed), page.cursor, page.more, page.complete, dict(page.files)
        )

    def _rows(self, page: DownloadPage) -> list[ServerObject]:
        """Objects of a columnar page: each row is id, entity, version, then the columns."""
        readers = []
        for column in page.columns:
            readers.append(self._column_reader(page.entity, column))
        result = []
        try:
            for row in page.rows:
                object_id, entity, version = row[0], row[1], row[2]
                values: dict[str, Any] = {}
                for (member, read, exact), value in zip(readers, row[3:], strict=True):
                    if member is None or (exact is not None and not self._is_a(entity, exact)):
                        continue
                    values[member] = read(value)
                result.append(ServerObject(object_id, entity, version, values))
        except (WireError, ValueError, TypeError) as error:
            raise MendixError(f"the sync server's answer does not parse: {error}") from None
        return result

    def _column_reader(self, entity: str, column: str) -> tuple[str | None, Any, str | None]:
        """(member, reader, declaring entity) of a page column: an attribute column
        `Module.Entity.Attribute`, or an association's qualified name."""
        layout = self.schema.layout(entity)
        for exact in layout.family:
            for member, col in self.schema.layout(exact).attributes.items():
                if col.name == column:
                    kind, enum = col.kind, col.enum
                    return member, _nullable(kind, enum), exact
        names = self.schema.names
        assoc = names.associations.get(column)
        if assoc is not None or column == "System.owner":
            many = assoc is not None and assoc.many
            return column, _nullable("RefSet" if many else "Ref", None), None
        return None, None, None  # a member this device's model does not know

    def _is_a(self, entity: str, ancestor: str) -> bool:
        return self.schema.names.is_a(entity, ancestor)

    async def refresh(self, ids: Sequence[str]) -> Refreshed:
        body = RefreshRequest(ids=list(ids)).model_dump_json().encode()
        response = await self._request("POST", "/refresh", body=body)
        answer: RefreshAnswer = self._parse(RefreshAnswer, response)
        return Refreshed([self._object(o) for o in answer.objects], list(answer.gone))

    def _object(self, state: ObjectState) -> ServerObject:
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
            raise MendixError(f"the sync server's answer does not parse: {error}") from None
        return ServerObject(state.id, state.entity, state.version, values)

    def _member_kinds(self, entity: str) -> dict[str, tuple[str, str | None]]:
        found = self._kinds.get(entity)
        if found is None:
            found = self._kinds[entity] = member_kinds(self.schema.layout(entity))
        return found

    # ---- files and microflows ----------------------------------------------------------------

    async def put_file(self, object_id: str, data: bytes) -> None:
        await self._request(
            "PUT", f"/files/{object_id}", body=data, content_type="application/octet-stream"
        )

    async def get_file(self, object_id: str) -> bytes | None:
        response = await self._request("GET", f"/files/{object_id}")
        return response.content if response.status_code != 204 else None

    async def call_microflow(self, name: str, arguments: dict[str, Any]) -> Any:
        body = MicroflowCall(arguments=arguments).model_dump_json().encode()
        response = await self._request("POST", f"/microflows/{name}", body=body)
        result: MicroflowResult = self._parse(MicroflowResult, response)
        return result


def _nullable(kind: str, enum: str | None) -> Any:
    def read(value: Any) -> Any:
        return from_wire(kind, value, enum)

    return read


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)
