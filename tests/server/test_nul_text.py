"""Texts with U+0000 (NUL), which PostgreSQL text cannot hold, found by the OpenAPI fuzz: a
4xx or a refused object with a reason on both databases, never a 500, and the rest of an upload
goes on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Nul
role Clerk
entity Note { Text: String }
access Note for Clerk { create, read *, write * }
offline { Note: all }
microflow Echo($s: String) returns String allow Clerk {
  return $s
}
microflow Keep($s: String) returns Boolean allow Clerk {
  $note = create Note (Text = urlDecode($s))
  commit $note
  return true
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("nul.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_nul_in_login_arguments_and_uploads(
    app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Nul.Clerk"])
        async with server.client() as client:
            answer = await client.post("/api/v1/login", json={"user": "a\x00", "password": "x"})
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "login_failed"
            login = await client.post("/api/v1/login", json={"user": "ann", "password": "ann-pw"})
            token, device = login.json()["token"], login.json()["device_id"]
            headers = {"Authorization": f"Bearer {token}"}
            answer = await client.post(
                "/api/v1/microflows/Nul.Echo", json={"arguments": {"s": "a\x00b"}},
                headers=headers,
            )  # fmt: skip
            assert answer.status_code == 422 and "U+0000" in answer.text
            bad, good = str(uuid.uuid4()), str(uuid.uuid4())
            objects = [
                {"id": bad, "entity": "Nul.Note", "kind": "new", "attributes": {"Text": "a\x00"}},
                {"id": good, "entity": "Nul.Note", "kind": "new", "attributes": {"Text": "ok"}},
            ]
            answer = await client.post(
                "/api/v1/upload", json={"device_id": device, "sequence": 1, "objects": objects},
                headers=headers,
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            outcomes = {o["id"]: o for o in answer.json()["outcomes"]}
            assert outcomes[good]["status"] == "applied"
            assert outcomes[bad]["status"] == "failed" and "U+0000" in outcomes[bad]["reason"]
            listed = await client.get("/api/v1/failures", headers=headers)
            [failure] = listed.json()["failures"]
            assert failure["object_id"] == bad and "\\u0000" in failure["content"]


async def test_a_text_with_nul_made_by_a_microflow_is_refused_as_the_flows_error(
    app: App, target: DatabaseTarget
) -> None:
    """A commit on the server refuses NUL on both databases (PostgreSQL cannot store it): the
    flow fails with a clear error (422), never a 500, and nothing is written."""
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Nul.Clerk"])
        async with server.client() as client:
            login = await client.post("/api/v1/login", json={"user": "ann", "password": "ann-pw"})
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            answer = await client.post(
                "/api/v1/microflows/Nul.Keep", json={"arguments": {"s": "a%00b"}},
                headers=headers,
            )  # fmt: skip
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["code"] == "flow_error"
            assert "U+0000" in answer.json()["error"]["message"]
            kept = await client.post(
                "/api/v1/microflows/Nul.Keep", json={"arguments": {"s": "a%20b"}},
                headers=headers,
            )  # fmt: skip
            assert kept.status_code == 200, kept.text
        table = server.db.schema.layout("Nul.Note").table.sql
        async with server.db.read() as conn:
            texts = (await conn.execute(text(f'SELECT "Nul.Note.Text" FROM {table}'))).all()
        assert [t[0] for t in texts] == ["a b"]
