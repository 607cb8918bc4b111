"""The refused changes `nanoflow store` lists: the user's `System.SynchronizationFailure`
records from the server the store belongs to (with the session the store cached: no password
needed), or, when that server cannot answer, what this device's uploads reported.

The embedded server of `nanoflow run` is asked in-process, and only when its database exists
(a store never creates one); a server that does not answer within `TIMEOUT_S` counts as
unreachable, so `store` never waits long.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from nanoflow.compiler import App
from nanoflow.runtime.sync.engine import KEPT_FAILURES
from nanoflow.runtime.sync.login import CachedSession

TIMEOUT_S = 10.0


@dataclass
class Listed:
    """The failures to show and where they came from: `server`, or `device` with the reason
    the server could not list them (None: the store never logged in)."""

    failures: list[dict[str, Any]]
    source: str
    why_not_server: str | None = None


async def list_failures(
    app: App, store_path: Path, session: CachedSession | None, recorded: list[dict[str, Any]]
) -> Listed:
    """The server's list when it answers, else `recorded` (the device's own)."""
    if session is None:
        return Listed(recorded, "device")
    try:
        found = await asyncio.wait_for(_ask(app, store_path, session), TIMEOUT_S)
    except TimeoutError:
        return Listed(recorded, "device", f"the sync server did not answer in {TIMEOUT_S:g} s")
    except Exception as error:  # any failure to ask means: show what the device knows
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        return Listed(recorded, "device", message)
    return Listed(found, "server")


async def _ask(app: App, store_path: Path, session: CachedSession) -> list[dict[str, Any]]:
    from nanoflow.runtime.sync.http import HttpTransport
    from nanoflow.runtime.sync.login import ServerLink

    link: ServerLink
    if session.server.startswith(("http://", "https://")):
        link = ServerLink(httpx.AsyncClient(base_url=session.server), session.server)
    else:
        from nanoflow.embedded import embedded_link
        from nanoflow.server.embedded import embedded_database

        if not embedded_database(store_path).exists():
            raise FileNotFoundError(f"the embedded server's database {session.server} is gone")
        link = embedded_link(app, store_path)
    try:
        from nanoflow.runtime.store.schema import Schema

        transport = HttpTransport(link.client, Schema(app.names), session.token, retries=0)
        return await transport.failures(KEPT_FAILURES)
    finally:
        await link.close()
