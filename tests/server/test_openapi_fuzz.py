"""The API fuzzed against its own OpenAPI document with schemathesis, over real HTTP (uvicorn
on loopback), on SQLite and PostgreSQL: every operation of `/openapi.json`, including the sync
endpoints, with valid and invalid data, authenticated as a user (uploads carry the token's
device id, so they reach the apply path). Whatever is sent: never a 5xx, every error answer
an `ErrorBody`, every success answer matches the documented schema, invalid data is refused.

The number of examples per operation follows the hypothesis profile (tests/conftest.py), so the
run stays bounded in CI (`HYPOTHESIS_PROFILE=ci`)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)
from server_support import SALES, pg_admin_url

from nanoflow.compiler import load
from nanoflow.protocol import ErrorBody
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users


@dataclass
class Running:
    """A `nanoflow serve`-like server in a thread: its URL and a logged-in user."""

    url: str
    token: str
    device_id: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread(threading.Thread):
    """uvicorn serving the sales app on its own event loop (the database belongs to it)."""

    def __init__(self, db_url: str, base: Path) -> None:
        super().__init__(daemon=True)
        self.db_url, self.base = db_url, base
        self.port = _free_port()
        self.ready = threading.Event()
        self.server: uvicorn.Server | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the test by `start`
            self.failure = error
            self.ready.set()

    async def _serve(self) -> None:
        app = load(SALES)
        db = await ServerDatabase.open(app, resolve(self.db_url, self.base))
        try:
            await Users(db).add("fuzz", "fuzz-pw", ["Sales.User"])
            config = uvicorn.Config(
                create_app(app, db), host="127.0.0.1", port=self.port, log_level="critical"
            )
            self.server = uvicorn.Server(config)
            self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            serving = asyncio.create_task(self.server.serve())
            while not self.server.started and not serving.done():
                await asyncio.sleep(0.01)
            self.ready.set()
            await serving
        finally:
            await db.close()

    def start_serving(self) -> str:
        self.start()
        self.ready.wait(30)
        if self.failure is not None or self.server is None or not self.server.started:
            raise RuntimeError(f"the server did not start: {self.failure!r}")
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.join(30)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    import httpx

    base = tmp_path_factory.mktemp("openapi-fuzz")
    schema_name = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{base / 'server.sqlite'}"
    else:
        import asyncpg

        admin = pg_admin_url()
        schema_name = f"nf_test_{uuid.uuid4().hex[:12]}"

        async def create() -> None:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'CREATE SCHEMA "{schema_name}"')
            await conn.close()

        asyncio.run(create())
        db_url = f"{admin}?schema={schema_name}"
    thread = ServerThread(db_url, base)
    try:
        url = thread.start_serving()
        login = httpx.post(
            f"{url}/api/v1/login", json={"user": "fuzz", "password": "fuzz-pw"}, timeout=30
        ).json()
        yield Running(url, login["token"], login["device_id"])
    finally:
        thread.stop()
        if schema_name is not None:
            import asyncpg

            async def drop() -> None:
                conn = await asyncpg.connect(pg_admin_url())
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
                await conn.close()

            asyncio.run(drop())


def error_bodies(ctx: Any, response: Any, case: Any) -> None:
    """Every error answer is an `ErrorBody` (code, message, details)."""
    if response.status_code >= 400:
        ErrorBody.model_validate_json(response.content)


CHECKS = [not_a_server_error, response_schema_conformance, negative_data_rejection, error_bodies]
EXAMPLES = settings.default.max_examples
if os.environ.get("HYPOTHESIS_PROFILE") != "soak":
    EXAMPLES = min(EXAMPLES, 10)  # per operation and mode: about a minute for both databases


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_a_server_error(running: Running, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{running.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "POST /api/v1/upload", "GET /api/v1/download/{entity}", "POST /api/v1/refresh",
        "PUT /api/v1/files/{object_id}", "GET /api/v1/failures", "POST /api/v1/login",
    }  # fmt: skip
    headers = {"Authorization": f"Bearer {running.token}"}
    for operation in operations:

        @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            positive = mode is GenerationMode.POSITIVE
            if positive and isinstance(case.body, dict) and "device_id" in case.body:
                case.body["device_id"] = running.device_id  # the apply path, not the 403
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

        fuzz()
