"""The Shop app (tests/server/apps/shop.nf) served on a test database, with two clerks and a
boss logged in: what the microflow, entity access and enforcement tests share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from nanoflow.compiler import App, load
from nanoflow.protocol import ErrorBody, LoginAnswer
from nanoflow.protocol.sync import MicroflowResult
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.execution import Caller
from nanoflow.server.urls import DatabaseTarget
from nanoflow.server.users import User, Users

SHOP = Path(__file__).parent / "server" / "apps" / "shop.nf"
ROLES = {"alice": ["Shop.Clerk"], "carol": ["Shop.Clerk"], "bob": ["Shop.Boss"]}


def shop_app() -> App:
    return load(SHOP)


@dataclass
class Shop:
    """The served app, its database and a client with a token per user."""

    app: App
    db: ServerDatabase
    client: httpx.AsyncClient
    users: dict[str, User]
    tokens: dict[str, str] = field(default_factory=dict)

    def caller(self, name: str) -> Caller:
        return Caller.of(self.users[name], self.app)

    async def post(self, user: str, flow: str, arguments: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/microflows/{flow}",
            json={"arguments": arguments},
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
        )

    async def call(self, user: str, flow: str, /, **arguments: Any) -> MicroflowResult:
        """A call that must succeed."""
        answer = await self.post(user, flow, arguments)
        assert answer.status_code == 200, answer.text
        return MicroflowResult.model_validate_json(answer.content)

    async def fails(
        self, user: str, flow: str, status: int, code: str, /, **arguments: Any
    ) -> ErrorBody:
        """A call that must fail with this status and error code."""
        answer = await self.post(user, flow, arguments)
        assert answer.status_code == status, answer.text
        body = ErrorBody.model_validate_json(answer.content)
        assert body.error.code == code, body
        return body

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.db.read() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]

    async def orders(self) -> dict[str, tuple[Any, ...]]:
        """Note → (Number, owner name, Secret) of every stored order."""
        found = await self.rows(
            'SELECT o."Shop.Order.Note", o."Shop.Order.Number", u."System.User.Name", '
            'o."Shop.Order.Secret" FROM "o:Shop.Order" o '
            'LEFT JOIN "o:System.User" u ON u.id = o."System.owner"'
        )
        return {r[0]: tuple(r[1:]) for r in found}


@contextlib.asynccontextmanager
async def serve_shop(target: DatabaseTarget) -> AsyncIterator[Shop]:
    app = shop_app()
    db = await ServerDatabase.open(app, target)
    try:
        users = Users(db)
        made = {name: await users.add(name, f"{name}-pw", roles) for name, roles in ROLES.items()}
        api = create_app(app, db)
        transport = httpx.ASGITransport(api)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            shop = Shop(app, db, client, made)
            for name in ROLES:
                answer = await client.post(
                    "/api/v1/login", json={"user": name, "password": f"{name}-pw"}
                )
                shop.tokens[name] = LoginAnswer.model_validate_json(answer.content).token
            yield shop
    finally:
        await db.close()
