"""`GET /api/v1/failures`: the caller's own `System.SynchronizationFailure` records (SYNC.md
3.2), newest first, in pages of at most `MAX_FAILURES`. Only records the caller owns are
listed, whatever their roles; the cursor is the last record's (created, id), so a page never
repeats or skips a record while new ones arrive.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from nanoflow.names import OWNER_ASSOCIATION
from nanoflow.protocol.errors import ErrorCode
from nanoflow.protocol.sync import FailureList, FailureRecord
from nanoflow.server.database import ServerDatabase
from nanoflow.server.http_errors import ApiError

FAILURE_ENTITY = "System.SynchronizationFailure"
MAX_FAILURES = 1000
_CURSOR = re.compile(r"^(-?[0-9]{1,19}):([0-9a-f-]{36})$")
_KINDS = ("new", "changed", "deleted")


def _cursor(text: str) -> tuple[int, str]:
    found = _CURSOR.match(text)
    if found is None:
        raise ApiError(
            422, ErrorCode.INVALID_REQUEST, "`before` takes the cursor of a previous page"
        )
    return int(found.group(1)), found.group(2)


async def list_failures(
    db: ServerDatabase, user_id: str, limit: int, before: str | None
) -> FailureList:
    """A page of the user's failures, newest first, older than the cursor `before`."""
    table = db.tables.object_table(FAILURE_ENTITY)
    layout = db.schema.layout(FAILURE_ENTITY)
    column = {name: table.c[c.name] for name, c in layout.attributes.items()}
    owner = table.c[layout.references[OWNER_ASSOCIATION].name]
    created = column["createdDate"]
    query = select(
        table.c.id,
        column["ObjectId"],
        column["ObjectType"],
        column["Reason"],
        column["ObjectContent"],
        created,
    ).where(owner == user_id)
    if before is not None:
        at, last = _cursor(before)
        query = query.where(
            or_(created < at, and_(created == at, table.c.id < last), created.is_(None))
        )
    query = query.order_by(created.desc().nulls_last(), table.c.id.desc()).limit(limit + 1)
    async with db.read() as conn:
        rows = list((await conn.execute(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    records = [_record(row) for row in rows]
    cursor = None
    if more and rows and rows[-1][5] is not None:
        cursor = f"{int(rows[-1][5])}:{rows[-1][0]}"
    return FailureList(failures=records, more=more and cursor is not None, cursor=cursor)


def _record(row: Any) -> FailureRecord:
    failure_id, object_id, entity, reason, content, created = row
    kind = None
    try:
        found = json.loads(content or "{}").get("kind")
        kind = found if found in _KINDS else None
    except (ValueError, AttributeError):
        pass
    when = datetime.fromtimestamp(int(created or 0) / 1000, UTC)
    return FailureRecord(
        id=failure_id,
        object_id=object_id or "",
        entity=entity or "",
        kind=kind,
        reason=reason or "",
        content=content or "",
        created=when,
    )
