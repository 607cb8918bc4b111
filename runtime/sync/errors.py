"""What goes wrong between the device and its sync server.

Every one is a `MendixError`, so a flow's error handler receives it (`$latestError` holds the
message) when it happens in a synchronize activity or a microflow call.
"""

from __future__ import annotations

from nanoflow.runtime.values import MendixError


class SyncError(MendixError):
    """A request to the sync server failed; `code` is the server's error code, if it gave one
    (`login_failed`, `token_expired`, ...), `status` the HTTP status (0: no answer)."""

    def __init__(self, message: str, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ServerUnreachable(SyncError):
    """No connection, a timeout, or a server error that retrying did not cure."""


class AuthenticationFailed(SyncError):
    """The server refused the user's credentials or token (no retry loop)."""


AUTH_CODES = frozenset(
    {"login_failed", "user_inactive", "unauthenticated", "invalid_token", "token_expired",
     "token_revoked"}
)  # fmt: skip
RELOGIN_CODES = frozenset({"token_expired", "token_revoked", "invalid_token", "unauthenticated"})
"""Token problems that logging in again with the password may cure."""
