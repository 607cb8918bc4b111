"""The sync server (SYNC.md): its database (SQLAlchemy Core, SQLite or PostgreSQL), users and
tokens, and the FastAPI app. `nanoflow serve` and `nanoflow users` drive it."""

from nanoflow.server.errors import (
    DatabaseUrlError,
    EmbeddedDatabase,
    IncompatibleDatabase,
    ServerError,
    UserError,
)

__all__ = [
    "DatabaseUrlError",
    "EmbeddedDatabase",
    "IncompatibleDatabase",
    "ServerError",
    "UserError",
]
