"""Errors of the server's administration (database, users) that carry a message for people."""

from __future__ import annotations


class ServerError(Exception):
    """A clear, expected failure of a server command: the message says what is wrong."""


class DatabaseUrlError(ServerError):
    """`--db` is not a database the server can use."""


class IncompatibleDatabase(ServerError):
    """The database was made for a model this app cannot migrate to without losing data."""

    def __init__(self, message: str, differences: list[str]) -> None:
        super().__init__(message)
        self.differences = differences


class EmbeddedDatabase(ServerError):
    """The database belongs to the embedded server of `nanoflow run`."""


class UserError(ServerError):
    """A user command that cannot be done: unknown user, duplicate name, unknown role."""
