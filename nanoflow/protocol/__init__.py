"""The wire protocol between devices and the sync server (SYNC.md 1a): pydantic models shared by
the client and the server. Imports neither side.

Served now: `LoginRequest`/`LoginAnswer`, `SessionAnswer`, `ErrorBody`, and the microflow call
models `MicroflowCall`/`MicroflowResult` of `nanoflow.protocol.sync`; its other models are drafts
(docs/sync.md, "protocol").
"""

from nanoflow.protocol.auth import LoginAnswer, LoginRequest, SessionAnswer
from nanoflow.protocol.errors import ErrorBody, ErrorCode, ErrorDetail, ErrorItem
from nanoflow.protocol.wire import (
    API_PREFIX,
    API_VERSION,
    ObjectId,
    UtcDateTime,
    WireDecimal,
    WireModel,
    format_datetime,
    parse_datetime,
)

__all__ = [
    "API_PREFIX",
    "API_VERSION",
    "ErrorBody",
    "ErrorCode",
    "ErrorDetail",
    "ErrorItem",
    "LoginAnswer",
    "LoginRequest",
    "ObjectId",
    "SessionAnswer",
    "UtcDateTime",
    "WireDecimal",
    "WireModel",
    "format_datetime",
    "parse_datetime",
]
