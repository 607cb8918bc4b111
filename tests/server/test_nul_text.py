"""Texts with U+0000 (NUL), which PostgreSQL text cannot hold, found by the OpenAPI fuzz: a
4xx or a refused object with a reason on both databases, never a 500, and the rest of an upload
goes on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
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
