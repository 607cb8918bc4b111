"""The error body of every 4xx and 5xx answer: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from nanoflow.protocol.wire import WireModel


class ErrorCode(StrEnum):
    """Stable, machine-readable error codes (the message is for people)."""

    MALFORMED_JSON = "malformed_json"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_REQUEST = "invalid_request"
    BODY_TOO_LARGE = "body_too_large"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    LOGIN_FAILED = "login_failed"
    USER_INACTIVE = "user_inactive"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    API_VERSION = "api_version"
    CONFLICT = "conflict"
    FLOW_ERROR = "flow_error"
    """A microflow ended in an unhandled error (its message is the flow's)."""
    INTERNAL_ERROR = "internal_error"


class ErrorItem(WireModel):
    """One problem of a request: where (`loc`, a path into the body or a header) and what."""

    loc: list[str | int] = Field(default_factory=list)
    message: str
    type: str = ""


class ErrorDetail(WireModel):
    code: ErrorCode
    message: str
    details: list[ErrorItem] = Field(default_factory=list)


class ErrorBody(WireModel):
    """What every error answer carries."""

    error: ErrorDetail
