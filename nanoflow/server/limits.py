"""A limit on request bodies, enforced before the app reads them (ASGI middleware)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nanoflow.protocol import ErrorCode
from nanoflow.server.http_errors import ApiError, error_response

DEFAULT_MAX_BODY = 32 * 1024 * 1024


def _too_large(limit: int) -> str:
    return f"the request body is larger than the server's limit of {limit} bytes"


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413: at once when `Content-Length` says so,
    otherwise as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
                if length < 0:
                    response = error_response(
                        400, ErrorCode.INVALID_REQUEST, "the Content-Length header is not valid"
                    )
                    await response(scope, receive, send)
                    return
                if length > self.limit:
                    response = error_response(413, ErrorCode.BODY_TOO_LARGE, _too_large(self.limit))
                    await response(scope, receive, send)
                    return
        received = 0
        limit = self.limit

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, ErrorCode.BODY_TOO_LARGE, _too_large(limit))
            return message

        await self.app(scope, limited, send)

NUL = "a text with the character U+0000 (NUL), which the server cannot store"
"""Why a string with NUL is refused: PostgreSQL text cannot hold it (refused on every database)."""
