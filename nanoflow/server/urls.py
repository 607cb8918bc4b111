"""The `--db` argument: which database, through which async driver.

`sqlite:///PATH` (or a plain path) uses aiosqlite; `postgresql://...` (or `postgres://`) uses
asyncpg. A `schema=NAME` query parameter on a PostgreSQL URL keeps the server's tables in that
schema (its `search_path`), so one database can host several apps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from nanoflow.server.errors import DatabaseUrlError

DEFAULT_FILE = Path(".nanoflow") / "server.sqlite"


@dataclass(frozen=True)
class DatabaseTarget:
    """A database URL with the async driver, and the PostgreSQL schema to use (if any)."""

    url: URL
    schema: str | None = None
    connect_args: dict[str, object] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None

    def display(self) -> str:
        """The URL without its password."""
        return self.url.render_as_string(hide_password=True)


def default_database(app_path: Path) -> Path:
    """`.nanoflow/server.sqlite` beside the app (inside it, for a directory)."""
    base = app_path if app_path.is_dir() else app_path.parent
    return base / DEFAULT_FILE


def resolve(db: str | None, app_path: Path) -> DatabaseTarget:
    """The database of `--db` (default: the SQLite file beside the app)."""
    if db is None or not db.strip():
        return _sqlite(default_database(app_path))
    text = db.strip()
    if "://" not in text:
        return _sqlite(Path(text))
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(f"`{db}` is not a database URL") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.drivername not in ("sqlite", "sqlite+aiosqlite"):
            raise DatabaseUrlError(f"use `sqlite:///PATH`, not the driver `{url.drivername}`")
        if not url.database or url.database == ":memory:":
            raise DatabaseUrlError("a SQLite server database needs a file: `sqlite:///PATH`")
        return _sqlite(Path(url.database))
    if backend in ("postgresql", "postgres"):
        if url.drivername not in ("postgresql", "postgres", "postgresql+asyncpg"):
            raise DatabaseUrlError(
                f"use `postgresql://...`, not the driver `{url.drivername}` (the server uses "
                "asyncpg)"
            )
        query = dict(url.query)
        schema = query.pop("schema", None)
        if isinstance(schema, tuple):
            raise DatabaseUrlError("give `schema=` once in the database URL")
        if query:
            raise DatabaseUrlError(
                f"unsupported database URL parameter(s): {', '.join(sorted(query))}"
            )
        url = url.set(drivername="postgresql+asyncpg", query={})
        connect_args: dict[str, object] = {}
        if schema:
            connect_args["server_settings"] = {"search_path": schema}
        return DatabaseTarget(url, schema or None, connect_args)
    raise DatabaseUrlError(
        f"unsupported database `{backend}`: use `sqlite:///PATH` or `postgresql://...`"
    )


def _sqlite(path: Path) -> DatabaseTarget:
    return DatabaseTarget(URL.create("sqlite+aiosqlite", database=str(path)))
