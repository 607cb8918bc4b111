"""Helpers of the device's server connection tests (tests/device/): an app, and its sync
server on SQLite in-process (through httpx's ASGI transport, no socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from nanoflow.compiler import App
from nanoflow.runtime.sync.login import ServerLink
from nanoflow.server.app import create_app
from nanoflow.server.database import ServerDatabase
from nanoflow.server.sessions import utc_now
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users

APP = """module Field
role Inspector
role Manager

entity Note with owner {
  Text: String
}
entity Task with owner {
  Title: String
  Done: Boolean = false
}
offline {
  Note: nothing preserve
  Task: all
}
access Task for Inspector {
  create, read *, write (Title)
  where [System.owner = '[%CurrentUser%]']
}
access Task for Manager {
  create, delete, read *, write *
}
access Note for Inspector {
  create, delete, read *, write *
  where [System.owner = '[%CurrentUser%]']
}
access Note for Manager {
  create, delete, read *, write *
}

nanoflow Whoami() returns String {
  declare $me: System.User = [%CurrentUser%]
  return $me/Name
}
nanoflow NewNote($text: String) returns Note {
  $note = create Note (Text = $text)
  commit $note
  return $note
}
nanoflow NewTask($title: String) returns Task {
  $task = create Task (Title = $title)
  commit $task
  return $task
}
nanoflow Finish($task: Task) {
  change $task (Done = true)
  commit $task
}
nanoflow CountTasks() returns Integer {
  $tasks = retrieve Task
  return count($tasks)
}
nanoflow ManagersOnly() returns Boolean allow Manager {
  return true
}
nanoflow Sync() returns String {
  synchronize all on error {
    return $latestError
  }
  return 'ok'
}
nanoflow Ask() returns Integer {
  $answer = call microflow Answer(question = 'life')
  return $answer
}
nanoflow AskSafely() returns String {
  $answer = call microflow Answer(question = 'life') on error {
    return $latestError
  }
  return 'answered'
}
microflow Answer($question: String) returns Integer allow Inspector, Manager {
  return 42
}
"""


@dataclass
class Server:
    """A sync server in this process: its database, FastAPI app and a clock tests may move."""

    app: App
    db: ServerDatabase
    api: FastAPI
    now: list[datetime | None]

    def link(self, password: str | None, label: str = "http://server.test") -> ServerLink:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.api),
            base_url="http://server.test",
        )
        return ServerLink(client, label, password)

    async def add_user(
        self, name: str, password: str, roles: list[str], time_zone: str | None = None
    ) -> str:
        user = await Users(self.db).add(name, password, roles, time_zone)
        return user.id



async def running_server(app: App, path: Path) -> AsyncIterator[Server]:
    db = await ServerDatabase.open(app, resolve(f"sqlite:///{path}", path.parent))
    now: list[datetime | None] = [None]

    def clock() -> datetime:
        return now[0] or utc_now()

    api = create_app(app, db, clock=clock)
    try:
        yield Server(app, db, api, now)
    finally:
        await db.close()
