"""The FastAPI app: login, session, token checks and revocation, bad input, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from nanoflow.compiler import App
from nanoflow.protocol import ErrorBody, LoginAnswer, SessionAnswer
from nanoflow.server.app import create_app
from nanoflow.server.auth import issue_token
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import DatabaseTarget
from nanoflow.server.users import Users

LIMIT = 64 * 1024
BASE = "http://nanoflow.test"


@dataclass
class Server:
    db: ServerDatabase
    api: FastAPI
    client: httpx.AsyncClient
    users: Users


def client_of(api: FastAPI, raise_errors: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(api, raise_app_exceptions=raise_errors)
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def server(target: DatabaseTarget, sales_app: App) -> AsyncIterator[Server]:
    db = await ServerDatabase.open(sales_app, target)
    users = Users(db)
    await users.add("alice", "alice-pw", ["Sales.User"], "Europe/Amsterdam")
    await users.add("bob", "bob-pw", ["Sales.Manager", "Sales.User"])
    api = create_app(sales_app, db, max_body_bytes=LIMIT)
    try:
        async with client_of(api) as client:
            yield Server(db, api, client, users)
    finally:
        await db.close()


async def login(client: httpx.AsyncClient, user: str, password: str, **extra: Any) -> LoginAnswer:
    answer = await client.post("/api/v1/login", json={"user": user, "password": password, **extra})
    assert answer.status_code == 200, answer.text
    return LoginAnswer.model_validate_json(answer.content)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(answer: httpx.Response, status: int, code: str) -> ErrorBody:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = ErrorBody.model_validate_json(answer.content)
    assert body.error.code == code, body
    assert body.error.message
    return body


async def device_count(db: ServerDatabase) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(db.tables.devices)))
                   .scalar_one())


async def test_login_answers_the_session(server: Server) -> None:
    answer = await server.client.post(
        "/api/v1/login", json={"user": "alice", "password": "alice-pw"}
    )
    assert answer.status_code == 200
    data = answer.json()
    assert set(data) == {"token", "expires_at", "user_id", "user_name", "roles", "time_zone",
                         "server_id", "device_id"}
    assert data["user_name"] == "alice"
    assert data["roles"] == ["Sales.User"]
    assert data["time_zone"] == "Europe/Amsterdam"
    assert data["server_id"] == server.db.server_id
    assert str(uuid.UUID(data["device_id"])) == data["device_id"]
    assert data["expires_at"].endswith(".000Z")
    session = await server.client.get("/api/v1/session", headers=bearer(data["token"]))
    assert session.status_code == 200
    expected = {k: v for k, v in data.items() if k != "token"}
    assert session.json() == expected
    SessionAnswer.model_validate_json(session.content)


async def test_user_names_are_found_in_any_case(server: Server) -> None:
    assert (await login(server.client, "ALICE", "alice-pw")).user_name == "alice"


async def test_wrong_password_and_unknown_user_answer_alike(server: Server) -> None:
    wrong = await server.client.post("/api/v1/login", json={"user": "alice", "password": "x"})
    unknown = await server.client.post("/api/v1/login", json={"user": "carol", "password": "x"})
    assert error_of(wrong, 401, "login_failed") == error_of(unknown, 401, "login_failed")


async def test_inactive_user_cannot_log_in_and_loses_its_tokens(server: Server) -> None:
    token = (await login(server.client, "alice", "alice-pw")).token
    await server.users.set_active("alice", False)
    refused = await server.client.post(
        "/api/v1/login", json={"user": "alice", "password": "alice-pw"}
    )
    error_of(refused, 403, "user_inactive")
    error_of(await server.client.get("/api/v1/session", headers=bearer(token)), 401,
             "token_revoked")
    await server.users.set_active("alice", True)
    # reactivating does not revive the old token
    error_of(await server.client.get("/api/v1/session", headers=bearer(token)), 401,
             "token_revoked")
    fresh = (await login(server.client, "alice", "alice-pw")).token
    assert (await server.client.get("/api/v1/session", headers=bearer(fresh))).status_code == 200


async def test_active_false_written_on_the_user_object_revokes(server: Server) -> None:
    """A flow (not `set_active`) that sets `System.User.Active = false` also locks the user
    out: the flag is checked on every request."""
    answer = await login(server.client, "alice", "alice-pw")
    table = server.users.entity_table
    async with server.db.write() as conn:
        seq = await server.db.next_sequence(conn)
        await conn.execute(
            table.update().where(table.c.id == answer.user_id)
            .values({server.users.active_column: False, "_seq": seq})
        )
    error_of(await server.client.get("/api/v1/session", headers=bearer(answer.token)), 401,
             "token_revoked")


async def test_new_password_revokes_tokens(server: Server) -> None:
    token = (await login(server.client, "alice", "alice-pw")).token
    await server.users.set_password("alice", "new-pw")
    error_of(await server.client.get("/api/v1/session", headers=bearer(token)), 401,
             "token_revoked")
    error_of(
        await server.client.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}),
        401, "login_failed",
    )
    await login(server.client, "alice", "new-pw")


async def test_removed_user_tokens_stop(server: Server) -> None:
    token = (await login(server.client, "alice", "alice-pw")).token
    await server.users.remove("alice")
    error_of(await server.client.get("/api/v1/session", headers=bearer(token)), 401,
             "token_revoked")
    error_of(
        await server.client.post("/api/v1/login", json={"user": "alice", "password": "alice-pw"}),
        401, "login_failed",
    )
    assert [u.name for u in await server.users.list()] == ["bob"]


async def test_forged_expired_and_missing_tokens(server: Server) -> None:
    answer = await login(server.client, "alice", "alice-pw")
    past = datetime.now(UTC) - timedelta(days=30)
    expired, _ = issue_token(server.db.signing_key, answer.user_id, answer.device_id, 1, past)
    error_of(await server.client.get("/api/v1/session", headers=bearer(expired)), 401,
             "token_expired")
    forged, _ = issue_token(b"k" * 32, answer.user_id, answer.device_id, 1)
    error_of(await server.client.get("/api/v1/session", headers=bearer(forged)), 401,
             "invalid_token")
    missing = await server.client.get("/api/v1/session")
    error_of(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    basic = await server.client.get("/api/v1/session", headers={"Authorization": "Basic eDp5"})
    error_of(basic, 401, "invalid_token")
    other_device, _ = issue_token(server.db.signing_key, answer.user_id, str(uuid.uuid4()), 1)
    error_of(await server.client.get("/api/v1/session", headers=bearer(other_device)), 401,
             "token_revoked")


async def test_a_second_server_process_accepts_the_token(
    server: Server, target: DatabaseTarget, sales_app: App
) -> None:
    token = (await login(server.client, "bob", "bob-pw")).token
    second_db = await ServerDatabase.open(sales_app, target)
    async with second_db, client_of(create_app(sales_app, second_db)) as second:
        answer = await second.get("/api/v1/session", headers=bearer(token))
        assert answer.status_code == 200
        assert answer.json()["user_name"] == "bob"
        assert answer.json()["roles"] == ["Sales.Manager", "Sales.User"]


async def test_device_keeps_its_id_on_login_again(server: Server) -> None:
    first = await login(server.client, "alice", "alice-pw")
    again = await login(server.client, "alice", "alice-pw", device_id=first.device_id)
    assert again.device_id == first.device_id
    fresh = await login(server.client, "alice", "alice-pw")
    assert fresh.device_id != first.device_id
    # another user's device id, or one the server never issued, is not taken over
    bob = await login(server.client, "bob", "bob-pw", device_id=first.device_id)
    assert bob.device_id != first.device_id
    unknown = str(uuid.uuid4())
    assert (await login(server.client, "bob", "bob-pw", device_id=unknown)).device_id != unknown
    # both of alice's devices stay logged in
    for token in (first.token, again.token, fresh.token):
        assert (await server.client.get("/api/v1/session", headers=bearer(token))).status_code \
            == 200


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"user": "alice", "password": ', JSON, 400, "malformed_json"),
        (b"\xff\xfe{}", JSON, 400, "malformed_json"),
        (b'{"user": 1, "password": "x"}', JSON, 422, "invalid_request"),
        (b'{"user": "alice", "password": "alice-pw", "admin": true}', JSON, 422,
         "invalid_request"),
        (b'{"user": "alice"}', JSON, 422, "invalid_request"),
        (b'[1, 2]', JSON, 422, "invalid_request"),
        (b'null', JSON, 422, "invalid_request"),
        (b'{"user": "alice", "password": "alice-pw", "device_id": "ABC"}', JSON, 422,
         "invalid_request"),
        (b'{"user": "", "password": "alice-pw"}', JSON, 422, "invalid_request"),
        (b'{"user": "alice", "password": "alice-pw"}', {"Content-Type": "text/plain"}, 415,
         "unsupported_media_type"),
        (b'{"user": "alice", "password": "alice-pw"}', {}, 415, "unsupported_media_type"),
        (b'{"user": "alice", "password": "' + b"x" * LIMIT + b'"}', JSON, 413,
         "body_too_large"),
    ],
)
async def test_bad_login_bodies_get_a_4xx_and_write_nothing(
    server: Server, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    before = await device_count(server.db)
    answer = await server.client.post("/api/v1/login", content=body, headers=headers)
    error_of(answer, status, code)
    assert "alice-pw" not in answer.text  # input is never echoed
    assert await device_count(server.db) == before


async def test_oversized_streamed_body_is_refused(server: Server) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"user": "alice", "password": "'
        for _ in range(10):
            yield b"x" * (LIMIT // 4)
        yield b'"}'

    answer = await server.client.post("/api/v1/login", content=chunks(), headers=JSON)
    assert "content-length" not in answer.request.headers
    error_of(answer, 413, "body_too_large")


async def test_unknown_field_details_name_the_field(server: Server) -> None:
    answer = await server.client.post(
        "/api/v1/login", json={"user": "alice", "password": "alice-pw", "admin": True}
    )
    body = error_of(answer, 422, "invalid_request")
    assert [(d.loc, d.type) for d in body.error.details] == [(["body", "admin"],
                                                              "extra_forbidden")]


async def test_other_paths_versions_and_methods(server: Server) -> None:
    version = error_of(await server.client.post("/api/v2/login", json={}), 404, "api_version")
    assert "v1" in version.error.message
    error_of(await server.client.get("/api/v1/nothing"), 404, "not_found")
    error_of(await server.client.get("/elsewhere"), 404, "not_found")
    error_of(await server.client.get("/api/v1/login"), 405, "method_not_allowed")
    error_of(await server.client.get("/docs"), 404, "not_found")


async def test_openapi_is_public_and_describes_the_api(server: Server) -> None:
    answer = await server.client.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert set(document["paths"]) == {
        "/api/v1/login",
        "/api/v1/session",
        "/api/v1/upload",
        "/api/v1/download/{entity}",
        "/api/v1/refresh",
        "/api/v1/files/{object_id}",
        "/api/v1/microflows/{name}",
        "/api/v1/failures",
        "/api/v1/files/{object_id}/link",
    }
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if path != "/api/v1/login":
                assert operation["security"] == [{"HTTPBearer": []}], (path, method)
    assert "security" not in document["paths"]["/api/v1/login"]["post"]
    schemas = document["components"]["schemas"]
    assert schemas["LoginRequest"]["additionalProperties"] is False
    assert schemas["UploadRequest"]["additionalProperties"] is False
    assert schemas["MicroflowCall"]["additionalProperties"] is False
    assert {"ErrorBody", "DownloadPage", "UploadAnswer", "RefreshAnswer", "MicroflowResult"} <= set(
        schemas
    )


async def test_a_real_server_fault_is_a_logged_500_with_an_error_body(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async with server.db.write() as conn:
        await conn.execute(text("DROP TABLE nf_devices"))
    async with client_of(server.api, raise_errors=False) as client:
        answer = await client.post("/api/v1/login", json={"user": "bob", "password": "bob-pw"})
    body = error_of(answer, 500, "internal_error")
    assert "nf_devices" not in body.error.message  # no internals leak to the client
    assert any("internal error serving POST /api/v1/login" in r.message for r in caplog.records)


async def upload_count(db: ServerDatabase) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(db.tables.uploads)))
                   .scalar_one())


def _upload_body(device_id: str, **change: Any) -> bytes:
    import json

    change = {"id": str(uuid.uuid4()), "entity": "Sales.Customer", "kind": "new", **change}
    return json.dumps({"device_id": device_id, "sequence": 1, "objects": [change]}).encode()


@pytest.mark.parametrize(
    ("case", "status", "code", "loc"),
    [
        ("truncated", 400, "malformed_json", None),
        ("not utf-8", 400, "malformed_json", None),
        ("empty", 422, "invalid_request", ["body"]),
        ("null", 422, "invalid_request", ["body"]),
        ("list", 422, "invalid_request", ["body"]),
        ("unknown field", 422, "invalid_request", ["body", "objects", 0, "extra"]),
        ("bad kind", 422, "invalid_request", ["body", "objects", 0, "kind"]),
        ("bad id", 422, "invalid_request", ["body", "objects", 0, "id"]),
        ("list value", 422, "invalid_request", ["objects", 0]),
        ("float for a string", 422, "invalid_request", ["objects", 0]),
        ("text/plain", 415, "unsupported_media_type", None),
        ("no content type", 415, "unsupported_media_type", None),
    ],
)
async def test_bad_upload_bodies_get_a_4xx_and_write_nothing(
    server: Server, case: str, status: int, code: str, loc: list[Any] | None
) -> None:
    """The upload endpoint parses its body itself (`server.json_bodies`): the same answers as
    FastAPI's parsing gives the other endpoints."""
    session = await login(server.client, "alice", "alice-pw")
    device = session.device_id
    body = {
        "truncated": b'{"device_id": "',
        "not utf-8": b"\xff\xfe{}",
        "empty": b"",
        "null": b"null",
        "list": b"[1, 2]",
        "unknown field": _upload_body(device, extra=1),
        "bad kind": _upload_body(device, kind="moved"),
        "bad id": _upload_body(device, id="ABC"),
        "list value": _upload_body(device, attributes={"Name": "n", "Later": [1]}),
        "float for a string": _upload_body(device, attributes={"Name": 1.5}),
        "text/plain": _upload_body(device),
        "no content type": _upload_body(device),
    }[case]
    headers = {**bearer(session.token), **JSON}
    if case == "text/plain":
        headers["Content-Type"] = "text/plain"
    elif case == "no content type":
        del headers["Content-Type"]
    answer = await server.client.post("/api/v1/upload", content=body, headers=headers)
    error = error_of(answer, status, code)
    if loc is not None:
        assert error.error.details[0].loc == loc, error
    assert await upload_count(server.db) == 0
    async with server.db.read() as conn:
        customers = server.db.schema.layout("Sales.Customer").table.sql
        assert (await conn.execute(text(f"SELECT count(*) FROM {customers}"))).scalar_one() == 0
