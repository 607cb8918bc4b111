"""The embedded server of `nanoflow run` (LANGUAGE.md 9): the sync server of an app on its own
SQLite file beside the device store (marked as embedded, so `serve` refuses it), served
in-process, with the run's user holding every role of the app."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import update

from nanoflow.compiler import App
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import DatabaseTarget, resolve
from nanoflow.server.users import Users

EMBEDDED_FILE = "embedded-server.sqlite"


def embedded_database(store_path: Path) -> Path:
    """The embedded server's database: `embedded-server.sqlite` beside the device store."""
    return store_path.parent / EMBEDDED_FILE


def embedded_target(store_path: Path) -> DatabaseTarget:
    path = embedded_database(store_path)
    return resolve(f"sqlite:///{path}", path.parent)


async def open_embedded(app: App, store_path: Path) -> tuple[ServerDatabase, FastAPI]:
    """Open (creating or migrating) the embedded server's database and its FastAPI app; the
    caller closes the database."""
    db = await ServerDatabase.open(app, embedded_target(store_path), embedded=True)
    return db, create_app(app, db)


async def provision_user(db: ServerDatabase, name: str, password: str) -> None:
    """Make `name` a user of the embedded server with this password and every role of the app
    (created on first use; its password and roles set again otherwise)."""
    users = Users(db)
    roles = sorted(db.app.names.roles)
    found = await users.find(name)
    if found is None:
        await users.add(name, password, roles, require_role=False)
        return
    await users.set_password(name, password)
    table = db.tables.users
    async with db.write() as conn:
        await conn.execute(
            update(table).where(table.c.id == found[0].id).values(roles=json.dumps(roles))
        )
