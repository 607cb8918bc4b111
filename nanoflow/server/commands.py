"""What `nanoflow serve` and `nanoflow users ...` do (`nanoflow/cli_server.py` declares them)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nanoflow.compiler import App, compile_sources, read_sources
from nanoflow.render import render_all
from nanoflow.server.database import ServerDatabase
from nanoflow.server.errors import DatabaseUrlError, ServerError, UserError
from nanoflow.server.urls import DatabaseTarget, resolve
from nanoflow.server.users import Users

OK, FAILED, USAGE = 0, 1, 2
PASSWORD_ENV = "NANOFLOW_PASSWORD"
T = TypeVar("T")


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _error(message: str, code: int) -> int:
    _stderr().print(Text(f"error: {message}", style="bold red"))
    return code


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _load(path: Path) -> App:
    """The compiled app, or `_Exit` after printing why not."""
    err = _stderr()
    if not path.exists():
        raise _Exit(_error(f"no such file or directory: {path}", USAGE))
    sources, problems = read_sources(path)
    if problems:
        render_all(problems, {}, err)
        raise _Exit(USAGE)
    result = compile_sources(sources)
    if result.app is None or result.diagnostics:
        render_all(result.diagnostics, {s.path: s for s in sources}, err)
        raise _Exit(USAGE)
    return result.app


def _target(path: Path, db: str | None) -> DatabaseTarget:
    try:
        return resolve(db, path)
    except DatabaseUrlError as error:
        raise _Exit(_error(str(error), USAGE)) from None


def _prepare(path: Path, db: str | None) -> tuple[App, DatabaseTarget]:
    return _load(path), _target(path, db)


def read_password(confirm: bool) -> str:
    """`NANOFLOW_PASSWORD`, else the first line of stdin when it is not a terminal, else a
    prompt (asked twice when `confirm`)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise UserError("the two passwords differ")
    return first


def _with_db(
    path: Path,
    db: str | None,
    work: Callable[[ServerDatabase], Awaitable[T]],
    app: App | None = None,
) -> T:
    """Open the database of the app at `path` (compiled unless given), do the work, close."""
    if app is None:
        app, target = _prepare(path, db)
    else:
        target = _target(path, db)

    async def main() -> T:
        database = await ServerDatabase.open(app, target)
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except ServerError as error:
        raise _Exit(_error(str(error), FAILED)) from None
    except OSError as error:
        raise _Exit(
            _error(f"cannot open the database {target.display()}: {error}", FAILED)
        ) from None


def _run(action: Callable[[], int]) -> int:
    try:
        return action()
    except _Exit as done:
        return done.code
    except UserError as error:
        return _error(str(error), FAILED)


# ---- serve -------------------------------------------------------------------------------------


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, stopping on SIGINT/SIGTERM without re-raising the signal
        afterwards (which would cancel closing the database)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            loop = asyncio.get_running_loop()
            stops = (signal.SIGINT, signal.SIGTERM)
            for sig in stops:
                loop.add_signal_handler(sig, self.handle_exit, sig, None)
            try:
                yield
            finally:
                for sig in stops:
                    loop.remove_signal_handler(sig)

    return Server


def serve_command(path: Path, db: str | None, host: str, port: int) -> int:
    """Run the sync server until interrupted."""
    return _run(lambda: _serve(path, db, host, port))


def _serve(path: Path, db: str | None, host: str, port: int) -> int:
    import uvicorn

    from nanoflow.server.app import create_app

    _Server = _server_class()

    app, target = _prepare(path, db)
    if not 0 <= port <= 65535:
        return _error(f"port {port} is not between 0 and 65535", USAGE)

    async def main() -> None:
        database = await ServerDatabase.open(app, target)
        try:
            for change in database.migrated:
                _stderr().print(f"migrated: {change}", markup=False)
            api = create_app(app, database)
            config = uvicorn.Config(
                api, host=host, port=port, log_level="info", lifespan="off", server_header=False
            )
            _stderr().print(
                f"nanoflow serve: {path} at http://{host}:{port} "
                f"(database {target.display()}, server id {database.server_id})",
                markup=False,
            )
            await _Server(config).serve()
        finally:
            await database.close()

    try:
        asyncio.run(main())
    except ServerError as error:
        return _error(str(error), FAILED)
    except OSError as error:
        return _error(f"cannot open the database {target.display()}: {error}", FAILED)
    except KeyboardInterrupt:
        pass
    return OK


# ---- users -------------------------------------------------------------------------------------


def users_add_command(
    path: Path, name: str, roles: list[str], db: str | None, timezone: str | None
) -> int:
    def action() -> int:
        app = _load(path)
        from nanoflow.server.users import check_name, check_roles, check_time_zone

        check_name(name)
        check_roles(app, roles)
        check_time_zone(timezone)
        password = read_password(confirm=True)
        user = _with_db(path, db, lambda d: Users(d).add(name, password, roles, timezone), app)
        _stderr().print(f"added user {user.name} ({', '.join(user.roles)})", markup=False)
        return OK

    return _run(action)


def users_list_command(path: Path, db: str | None, json_out: bool) -> int:
    def action() -> int:
        users = _with_db(path, db, lambda d: Users(d).list())
        if json_out:
            data = [
                {
                    "id": u.id,
                    "name": u.name,
                    "roles": list(u.roles),
                    "active": u.active,
                    "time_zone": u.time_zone,
                }
                for u in users
            ]
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            return OK
        table = Table("name", "roles", "active", "time zone", "id")
        for u in users:
            table.add_row(
                Text(u.name),
                ", ".join(u.roles),
                "yes" if u.active else "no",
                u.time_zone or "",
                u.id,
            )
        Console(highlight=False).print(table)
        return OK

    return _run(action)


def users_remove_command(path: Path, name: str, db: str | None) -> int:
    def action() -> int:
        user = _with_db(path, db, lambda d: Users(d).remove(name))
        _stderr().print(f"removed user {user.name}", markup=False)
        return OK

    return _run(action)


def users_passwd_command(path: Path, name: str, db: str | None) -> int:
    def action() -> int:
        password = read_password(confirm=True)
        user = _with_db(path, db, lambda d: Users(d).set_password(name, password))
        _stderr().print(
            f"new password for {user.name}; its earlier tokens no longer work", markup=False
        )
        return OK

    return _run(action)
