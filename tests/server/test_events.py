"""Event handlers and validation on a microflow's own commits and deletes (LANGUAGE.md 3), on
SQLite and PostgreSQL: before handlers that return false cancel (per object), handlers change
the object, failing handlers fail the activity, a handler that commits its own object does not
recurse, generalizations' handlers run, and `required`, lengths and `unique` refuse a commit
with nothing written. The upload path runs the same handlers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sync_support import serve

from nanoflow.compiler import App, load
from nanoflow.protocol import ErrorBody
from nanoflow.protocol.sync import MicroflowResult
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import DatabaseTarget
from nanoflow.server.users import Users

EVENTS = Path(__file__).parent / "apps" / "events.nf"


@pytest.fixture(scope="module")
def events_app() -> App:
    return load(EVENTS)


@dataclass
class Served:
    db: ServerDatabase
    client: httpx.AsyncClient
    token: str

    async def post(self, flow: str, arguments: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/microflows/{flow}",
            json={"arguments": arguments},
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def call(self, flow: str, /, **arguments: Any) -> Any:
        answer = await self.post(flow, arguments)
        assert answer.status_code == 200, answer.text
        return MicroflowResult.model_validate_json(answer.content).result

    async def fails(self, flow: str, /, **arguments: Any) -> str:
        """A call that fails as a flow error; its message."""
        answer = await self.post(flow, arguments)
        assert answer.status_code == 422, answer.text
        body = ErrorBody.model_validate_json(answer.content)
        assert body.error.code == "flow_error", body
        return body.error.message

    async def titles(self) -> list[str]:
        async with self.db.read() as conn:
            rows = await conn.execute(text('SELECT "Ev.Ticket.Title" FROM "o:Ev.Ticket"'))
            return sorted(r[0] for r in rows.all())


@contextlib.asynccontextmanager
async def served(app: App, target: DatabaseTarget) -> AsyncIterator[Served]:
    db = await ServerDatabase.open(app, target)
    try:
        await Users(db).add("ann", "ann-pw", ["Ev.Clerk"])
        transport = httpx.ASGITransport(create_app(app, db))
        async with httpx.AsyncClient(transport=transport, base_url="http://ev.test") as client:
            login = await client.post("/api/v1/login", json={"user": "ann", "password": "ann-pw"})
            yield Served(db, client, login.json()["token"])
    finally:
        await db.close()


@pytest.fixture
async def ev(events_app: App, target: DatabaseTarget) -> AsyncIterator[Served]:
    async with served(events_app, target) as found:
        yield found


# ---- commits ---------------------------------------------------------------------------------


async def test_before_and_after_commit_handlers_run_and_may_change_the_object(
    ev: Served,
) -> None:
    assert await ev.call("Ev.Make", title="first", total="2.46") == "before first"
    assert Decimal(await ev.call("Ev.TotalOf", title="first")) == Decimal("2.5")  # as left
    assert await ev.call("Ev.Rename", **{"from": "first", "to": "first"}) == "before first"
    assert await ev.call("Ev.Audits") == "committed first before first;" * 2
    assert await ev.call("Ev.Rename", **{"from": "first", "to": "second"}) == "before second"
    assert (await ev.call("Ev.Audits")).endswith("committed second before second;")


async def test_a_before_commit_handler_returning_false_cancels_that_object_only(
    ev: Served,
) -> None:
    assert await ev.call("Ev.MakeTwo") == 1
    assert await ev.titles() == ["good"]
    assert await ev.call("Ev.Audits") == "committed good before good;"
    # a single cancelled commit is no error either: nothing is written
    assert await ev.call("Ev.Make", title="neg", total="-1") is None
    assert await ev.titles() == ["good"]


async def test_a_failing_handler_fails_the_commit_and_rolls_back_the_call(ev: Served) -> None:
    message = await ev.fails("Ev.Make", title="boom", total="1")
    assert "before-commit event handler Ev.BCo_Ticket failed: no boom" in message
    assert await ev.titles() == []
    assert await ev.call("Ev.Audits") == ""


async def test_handlers_of_a_generalization_run_first(ev: Served) -> None:
    assert await ev.call("Ev.MakeUrgent", title="fire", level=3) == "before fire urgent 3"
    # the handlers ran on the object in memory, then the last one cancelled its commit
    assert await ev.call("Ev.MakeUrgent", title="flood", level=12) == "before flood urgent 12"
    assert await ev.titles() == ["fire"]


async def test_a_handler_committing_its_own_object_does_not_recurse(ev: Served) -> None:
    assert await ev.call("Ev.Count") == 1


# ---- deletes ---------------------------------------------------------------------------------


async def test_before_and_after_delete_handlers(ev: Served) -> None:
    for title in ("keep", "drop", "drop"):
        await ev.call("Ev.Make", title=title, total="1")
    assert await ev.call("Ev.Remove", title="drop") == 0
    assert await ev.call("Ev.Remove", title="keep") == 1  # the before handler said no
    assert await ev.titles() == ["keep"]
    audits = await ev.call("Ev.Audits")
    assert audits.count("deleted drop;") == 2 and "deleted keep" not in audits


# ---- validation --------------------------------------------------------------------------------


async def test_required_and_lengths_refuse_a_microflow_commit(ev: Served) -> None:
    message = await ev.fails("Ev.Make", title="", total="1")
    assert "Ev.Ticket" in message and "Title" in message and "required" in message
    message = await ev.fails("Ev.Make", title="far too long a title", total="1")
    assert "Ev.Ticket" in message and "Title" in message and "10" in message
    assert await ev.titles() == []
    assert await ev.call("Ev.Audits") == ""  # no after-commit handler ran


async def test_unique_refuses_a_microflow_commit_with_nothing_written(ev: Served) -> None:
    assert await ev.call("Ev.MakeCoded", title="a", code="X-1") == "ok"
    refused = await ev.call("Ev.MakeCoded", title="b", code="x-1")
    assert refused.startswith("refused: ") and "Code must be unique" in refused
    assert await ev.titles() == ["a"]
    assert await ev.call("Ev.Audits") == "committed a before a;"


# ---- the upload path runs the same handlers ---------------------------------------------------


async def test_uploads_run_the_handlers_and_refusals_are_kept(
    events_app: App, target: DatabaseTarget, tmp_path: Path
) -> None:
    async with serve(events_app, target) as server:
        await server.users.add("ann", "ann-pw", ["Ev.Clerk"])
        async with server.device(tmp_path / "ann.db", "ann", "ann-pw") as ann:
            s = ann.session
            good = s.create("Ev.Ticket", {"Title": "up"})
            negative = s.create("Ev.Ticket", {"Title": "neg", "Total": -1})
            boom = s.create("Ev.Ticket", {"Title": "boom"})
            await s.commit([good, negative, boom], "the tickets")
            await ann.synchronize()
            report = ann.sync.last
            assert report is not None and report.failed == 2
            reasons = sorted(f["reason"] for f in report.failures)
            assert reasons[0] == "a before-commit event handler returned false"
            assert "Ev.BCo_Ticket failed: no boom" in reasons[1]
            assert good["Stamp"] == "before up"  # the handler's value came back
            assert negative.removed and boom.removed
        async with server.db.read() as conn:
            kept = (
                await conn.execute(
                    text('SELECT "System.SynchronizationFailure.ObjectId" '
                         'FROM "o:System.SynchronizationFailure"')
                )
            ).all()
        assert sorted(r[0] for r in kept) == sorted([negative.id, boom.id])
