"""The wire protocol between devices and the sync server (SYNC.md 1a): pydantic models shared by
the client and the server. Imports neither side.

Here: `LoginRequest`/`LoginAnswer`, `SessionAnswer`, `ErrorBody`; the synchronization and
microflow call models are in `nanoflow.protocol.sync` (docs/sync.md, "protocol").
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
