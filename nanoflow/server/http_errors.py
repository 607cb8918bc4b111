"""Every error answer is an `ErrorBody`; client mistakes are 4xx, and only a real fault of the
server is a 500 (logged with its traceback, never shown to the client)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nanoflow.protocol import ErrorBody, ErrorCode, ErrorDetail, ErrorItem

log = logging.getLogger("nanoflow.server")

STATUS_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID_REQUEST,
}


class ApiError(StarletteHTTPException):
    """An error answer with a code and a message for people."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        details: Sequence[ErrorItem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, dict(headers) if headers else None)
        self.code = code
        self.message = message
        self.details = list(details)


def error_response(
    status: int,
    code: ErrorCode,
    message: str,
    details: Sequence[ErrorItem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, details=list(details)))
    return JSONResponse(body.model_dump(mode="json"), status, headers=dict(headers or {}))


def _loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type header names JSON."""
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if not is_json(request.headers.get("content-type")) and any(
        tuple(e.get("loc", ())) == ("body",) for e in errors
    ):
        return error_response(
            415,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "send the request body as JSON, with `Content-Type: application/json`",
        )
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (first.get("ctx") or {}).get("error", "")
        return error_response(
            400,
            ErrorCode.MALFORMED_JSON,
            "the request body is not valid JSON" + (f": {reason}" if reason else ""),
        )
    details = [
        ErrorItem(
            loc=_loc(e.get("loc", ())), message=str(e.get("msg", "")), type=str(e.get("type", ""))
        )
        for e in errors
    ]
    summary = "; ".join(
        f"{'.'.join(str(p) for p in d.loc) or 'body'}: {d.message}" for d in details[:3]
    )
    more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
    return error_response(
        422, ErrorCode.INVALID_REQUEST, f"the request is not valid: {summary}{more}", details
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
    code = STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
    message = str(exc.detail) if exc.detail else "the request cannot be served"
    if exc.status_code == 404:
        message = "no such endpoint"
    elif exc.status_code == 405:
        message = "this endpoint does not take that method"
    elif exc.status_code == 400 and "parsing the body" in message:
        code, message = ErrorCode.MALFORMED_JSON, "the request body cannot be read as JSON"
    if exc.status_code >= 500:
        code = ErrorCode.INTERNAL_ERROR
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _fault(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error serving %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, ErrorCode.INTERNAL_ERROR, "internal server error (the server's log has the details)"
    )


def install(api: FastAPI) -> None:
    """Install the handlers that turn every error into an `ErrorBody` answer."""
    api.add_exception_handler(RequestValidationError, _validation)
    api.add_exception_handler(StarletteHTTPException, _http)
    api.add_exception_handler(Exception, _fault)
