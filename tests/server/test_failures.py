"""`GET /api/v1/failures` on SQLite and PostgreSQL: a user's refused changes, newest first,
with what was uploaded; only the caller's own records (not another user's, whatever the
roles); pages that neither repeat nor skip; bad cursors and limits are 4xx; a token is needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sync_support import Server, serve

from nanoflow.compiler import App, compile_sources
from nanoflow.protocol.sync import FailureList
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Desk
role Clerk
role Boss
entity Ticket with owner { Title: String(8) required  Code: String unique }
access Ticket for Clerk { create, read *, write * where [System.owner = '[%CurrentUser%]'] }
access Ticket for Boss { create, read *, write * }
access System.SynchronizationFailure for Boss { read * }
offline { Ticket: all }
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("desk.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


@pytest.fixture
async def server(app: App, target: DatabaseTarget) -> AsyncIterator[Server]:
    async with serve(app, target) as served:
        await served.users.add("ann", "ann-pw", ["Desk.Clerk"])
        await served.users.add("bob", "bob-pw", ["Desk.Boss"])
        yield served


async def token(client: httpx.AsyncClient, user: str) -> str:
    answer = await client.post("/api/v1/login", json={"user": user, "password": f"{user}-pw"})
    return str(answer.json()["token"])


async def listed(client: httpx.AsyncClient, tok: str, **params: object) -> FailureList:
    answer = await client.get(
        "/api/v1/failures", params=params, headers={"Authorization": f"Bearer {tok}"}
    )
    assert answer.status_code == 200, answer.text
    return FailureList.model_validate_json(answer.content)


async def refuse_three(server: Server, path: Path) -> list[str]:
    """Ann uploads three changes the server refuses (one sync each); their object ids, oldest
    first."""
    refused = []
    async with server.device(path, "ann", "ann-pw") as ann:
        s = ann.session
        first = s.create("Desk.Ticket", {"Title": "a", "Code": "K"})
        await s.commit(first, "$t")
        await ann.synchronize()
        for title in ("b", "c", "d"):
            t = s.create("Desk.Ticket", {"Title": title, "Code": "k"})  # the same code
            await s.commit(t, "$t")
            await ann.synchronize()
            refused.append(t.id)
    return refused


async def test_the_callers_failures_newest_first_with_what_was_uploaded(
    server: Server, tmp_path: Path
) -> None:
    refused = await refuse_three(server, tmp_path / "ann.db")
    async with server.client() as client:
        page = await listed(client, await token(client, "ann"))
        assert [f.object_id for f in page.failures] == refused[::-1]
        assert page.more is False and page.cursor is None
        newest = page.failures[0]
        assert newest.entity == "Desk.Ticket" and newest.kind == "new"
        assert "Code must be unique" in newest.reason
        assert '"Code": "k"' in newest.content and '"d"' in newest.content
        times = [f.created for f in page.failures]
        assert times == sorted(times, reverse=True)
        # bob's roles may read every failure record, but the list is the caller's own
        assert (await listed(client, await token(client, "bob"))).failures == []


async def test_pages_neither_repeat_nor_skip(server: Server, tmp_path: Path) -> None:
    refused = await refuse_three(server, tmp_path / "ann.db")
    async with server.client() as client:
        tok = await token(client, "ann")
        seen: list[str] = []
        page = await listed(client, tok, limit=2)
        assert page.more is True and page.cursor is not None
        seen += [f.object_id for f in page.failures]
        page = await listed(client, tok, limit=2, before=page.cursor)
        seen += [f.object_id for f in page.failures]
        assert page.more is False
        assert seen == refused[::-1]


async def test_bad_requests_are_4xx_and_a_token_is_needed(server: Server) -> None:
    async with server.client() as client:
        tok = await token(client, "ann")
        headers = {"Authorization": f"Bearer {tok}"}
        for params in ({"before": "nonsense"}, {"limit": 0}, {"limit": 1001}, {"limit": "x"}):
            answer = await client.get("/api/v1/failures", params=params, headers=headers)
            assert answer.status_code == 422, (params, answer.text)
            assert answer.json()["error"]["code"] == "invalid_request"
        answer = await client.get("/api/v1/failures")
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"


async def test_unknown_query_parameters_are_refused_by_name(server: Server) -> None:
    async with server.client() as client:
        tok = await token(client, "ann")
        auth = {"Authorization": f"Bearer {tok}"}
        answer = await client.get("/api/v1/failures", params={"limt": 5}, headers=auth)
        assert answer.status_code == 422
        assert answer.json()["error"]["message"] == "unknown query parameter: limt"
        answer = await client.get("/api/v1/session", params={"x": 1, "a": 2}, headers=auth)
        assert answer.status_code == 422
        assert answer.json()["error"]["message"] == "unknown query parameters: a, x"
        assert (await client.get("/api/v1/failures", params={"limit": 5}, headers=auth)).is_success
