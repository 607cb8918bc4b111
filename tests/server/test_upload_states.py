"""An upload's answer gives each object as the whole upload leaves it: a later change in the same
upload (here a delete that clears the reference a rule follows) can take an earlier object out of
the uploader's reach, and its state then says so (null), on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sync_support import serve

from nanoflow.compiler import App, compile_sources
from nanoflow.server.urls import DatabaseTarget
from nanoflow.source import SourceFile

SOURCE = """
module Later
role Worker
entity Task with owner { Title: String }
entity Step { Text: String }
association Step_Task from Step to Task
access Task for Worker { create, delete, read *, write * where [System.owner = '[%CurrentUser%]'] }
access Step for Worker {
  create, read *, write (Text, Step_Task)
  where [Later.Step_Task/Later.Task/System.owner = '[%CurrentUser%]']
}
offline {
  Task: all
  Step: all
}
"""


@pytest.fixture(scope="module")
def app() -> App:
    result = compile_sources([SourceFile("later.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


async def test_a_later_delete_in_the_same_upload_leaves_the_earlier_object_without_state(
    app: App, target: DatabaseTarget
) -> None:
    task, step, other = (str(uuid.uuid4()) for _ in range(3))
    async with serve(app, target) as server:
        await server.users.add("ann", "ann-pw", ["Later.Worker"])
        async with server.client() as client:
            login = (
                await client.post("/api/v1/login", json={"user": "ann", "password": "ann-pw"})
            ).json()
            headers = {"Authorization": f"Bearer {login['token']}"}

            async def upload(sequence: int, objects: list[dict[str, Any]]) -> dict[str, Any]:
                body = {"device_id": login["device_id"], "sequence": sequence, "objects": objects}
                answer = await client.post("/api/v1/upload", json=body, headers=headers)
                assert answer.status_code == 200, answer.text
                return {o["id"]: o for o in answer.json()["outcomes"]}

            first = await upload(1, [
                {"id": task, "entity": "Later.Task", "kind": "new", "attributes": {"Title": "t"}},
                {"id": step, "entity": "Later.Step", "kind": "new", "attributes": {"Text": "s"},
                 "references": {"Later.Step_Task": task}},
                {"id": other, "entity": "Later.Step", "kind": "new", "attributes": {"Text": "o"},
                 "references": {"Later.Step_Task": task}},
            ])  # fmt: skip
            assert first[step]["state"]["attributes"] == {"Text": "s"}
            second = await upload(2, [
                {"id": step, "entity": "Later.Step", "kind": "changed",
                 "attributes": {"Text": "changed"}},
                {"id": other, "entity": "Later.Step", "kind": "changed",
                 "attributes": {"Text": "changed too"}},
                {"id": task, "entity": "Later.Task", "kind": "deleted"},
            ])  # fmt: skip
    assert [second[i]["status"] for i in (step, other, task)] == ["applied"] * 3
    # the delete cleared the steps' task: ann no longer reaches them
    assert second[step]["state"] is None
    assert second[other]["state"] is None
    assert second[task]["state"] is None
