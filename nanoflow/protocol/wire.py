"""Wire conventions (SYNC.md 1a): the base model and the scalar encodings.

- every model rejects unknown fields and takes JSON types strictly (no `"1"` for a number);
- ids are UUIDs in canonical text form (lower-case, hyphenated);
- Decimals travel as plain-notation strings (at most 20 digits before the point, 8 after);
- date-times travel as ISO 8601 UTC with milliseconds: `2024-05-01T08:30:00.000Z`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.types import StringConstraints

API_VERSION = "v1"
API_PREFIX = f"/api/{API_VERSION}"

ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]{0,19})(\.[0-9]{1,8})?$"
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
_DECIMAL = re.compile(DECIMAL_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)


class WireModel(BaseModel):
    """Base of every wire model: unknown fields rejected, strict JSON types, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


ObjectId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An object, user or device id: a UUID in canonical text form."""


def format_datetime(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and `Z` (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def parse_datetime(text: str) -> datetime:
    """The aware UTC date-time of a wire string; ValueError for any other form."""
    if not _DATETIME.match(text):
        raise ValueError(
            "expected an ISO 8601 UTC date-time with milliseconds, like 2024-05-01T08:30:00.000Z"
        )
    return datetime.fromisoformat(text[:-1] + "+00:00")


def _datetime_in(value: Any) -> Any:
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    raise ValueError("expected an ISO 8601 UTC date-time string")


def _decimal_in(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, str) and _DECIMAL.match(value):
        return Decimal(value)
    raise ValueError(
        "expected a Decimal as a plain-notation string (at most 20 digits before the point "
        'and 8 after), like "12.50"'
    )


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_datetime_in),
    PlainSerializer(format_datetime, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}),
]
"""A date-time: ISO 8601 UTC with milliseconds on the wire, an aware UTC `datetime` in Python."""

WireDecimal = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]
"""A Decimal: a plain-notation string on the wire, a `Decimal` in Python."""
