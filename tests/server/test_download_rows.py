"""Property: every download page built by the generated row functions (`page_rows`) is,
byte for byte, the page the decoded path gives (`Downloads.generated = False`): any stored
values (empty ones too), a generalization and its specialization in one table, reference
sets, users whose access rules read only some members of some objects, rows that left the
user's sight (`removed`), rows changed while a complete run pages (`kept`), deletions. On
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_support import pg_admin_url, server_url

from nanoflow.compiler import App, compile_sources
from nanoflow.protocol.sync import UploadRequest
from nanoflow.runtime.program import Program
from nanoflow.runtime.store import codec
from nanoflow.runtime.wire import to_wire
from nanoflow.server.access import AccessRules
from nanoflow.server.database import ServerDatabase
from nanoflow.server.downloads import Downloads
from nanoflow.server.uploads import Uploads, payload_hash
from nanoflow.server.urls import resolve
from nanoflow.server.users import User, Users
from nanoflow.source import SourceFile

SOURCE = """
module Rows
role Full
role Part
role Peek
enumeration Grade {
  Low 'Low'
  High 'High'
}
entity Base with owner {
  Name: String
  Amount: Decimal
  Stamp: DateTime
  Rank: Grade
  Active: Boolean
  Big: Long
  Count: Integer
  Number: AutoNumber
}
entity Special extends Base { Extra: String  Flag: Boolean }
entity Tag { Label: String }
association Base_Tag from Base to Tag
association Base_Tags from Base to many Tag
access Base for Full { create, delete, read *, write * }
access Special for Full { create, delete, read *, write * }
access Tag for Full { create, delete, read *, write * }
access Base for Part { read (Name, Amount, Stamp, Base_Tags) where [Active = true] }
access Special for Part { read (Extra, Rank, Base_Tag, Base_Tags) where [Big > 0] }
access Base for Peek { read (Count, Rank, Number) where [Count > 0] }
access Tag for Peek { read (Label) where [Label != 'x'] }
offline {
  Base: all
  Special: all
  Tag: all
}
"""

ROLES = [["Rows.Full"], ["Rows.Part"], ["Rows.Peek"], ["Rows.Part", "Rows.Peek"],
         ["Rows.Full", "Rows.Part"]]  # fmt: skip
ENTITIES = ["Rows.Base", "Rows.Special", "Rows.Tag"]
TAGS = 3

Change = tuple[int, str, dict[str, Any]]
"""(object index, `changed` or `deleted`, attributes)."""


@functools.cache
def _app() -> App:
    result = compile_sources([SourceFile("rows.nf", SOURCE)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    return result.app


texts = st.none() | st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=6
)
decimals = st.none() | st.decimals(
    min_value=Decimal("-99999999999999999999.99999999"),
    max_value=Decimal("99999999999999999999.99999999"),
    places=8, allow_nan=False, allow_infinity=False,
).map(lambda d: format(d, "f"))  # fmt: skip
stamps = st.none() | st.integers(-62135596800000, 253402300799999).map(
    lambda ms: to_wire("DateTime", codec.decode_datetime(ms))
)
booleans = st.none() | st.booleans()
longs = st.none() | st.integers(-(2**63), 2**63 - 1)
ints = st.none() | st.integers(-(2**31), 2**31 - 1)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    """The wire form of a new Base or Special (tags by index)."""
    special = draw(st.booleans())
    attributes = {
        "Name": draw(texts), "Amount": draw(decimals), "Stamp": draw(stamps),
        "Rank": draw(st.sampled_from([None, "Low", "High"])), "Active": draw(booleans),
        "Big": draw(longs), "Count": draw(ints),
    }  # fmt: skip
    if special:
        attributes.update(Extra=draw(texts), Flag=draw(booleans))
    return {
        "entity": "Rows.Special" if special else "Rows.Base",
        "attributes": attributes,
        "tag": draw(st.none() | st.integers(0, TAGS - 1)),
        "tags": draw(st.sets(st.integers(0, TAGS - 1))),
    }


@st.composite
def changes(draw: st.DrawFn, count: int) -> list[Change]:
    """Changes and deletions of some of `count` objects."""
    picked = draw(st.lists(st.integers(0, count - 1), unique=True, max_size=count))
    found = []
    for index in picked:
        kind = draw(st.sampled_from(["changed", "changed", "deleted"]))
        attributes = {"Active": draw(booleans), "Big": draw(longs), "Count": draw(ints)}
        found.append((index, kind, attributes))
    return found


@asynccontextmanager
async def _database(kind: str, work: Path) -> AsyncIterator[ServerDatabase]:
    """A new server database of the app: a SQLite file or a PostgreSQL schema."""
    async with server_url(kind, work, uuid.uuid4().hex) as url:
        db = await ServerDatabase.open(_app(), resolve(url, work))
        try:
            yield db
        finally:
            await db.close()


class World:
    """The database, the uploading user and the users who download."""

    def __init__(self, db: ServerDatabase) -> None:
        self.db = db
        app = _app()
        rules = AccessRules(app.names)
        self.uploads = Uploads(Program.of(app), db, rules)
        self.downloads = Downloads(db, rules, app.names)
        self.sequence = 0
        self.ids = [str(uuid.uuid4()) for _ in range(TAGS)]
        self.writer: User | None = None
        self.readers: list[User] = []

    async def users(self) -> None:
        users = Users(self.db)
        self.writer = await users.add("writer", "writer-pw", ["Rows.Full"])
        for n, roles in enumerate(ROLES):
            self.readers.append(await users.add(f"reader{n}", "reader-pw", roles))

    async def upload(self, objects: list[dict[str, Any]]) -> None:
        """Upload as the writer; every object must be applied."""
        assert self.writer is not None
        self.sequence += 1
        body = UploadRequest.model_validate(
            {"device_id": str(uuid.uuid4()), "sequence": self.sequence, "objects": objects}
        )
        digest = payload_hash(body.model_dump_json().encode())
        answer = orjson.loads(await self.uploads.apply(self.writer, body, digest))
        assert all(o["status"] == "applied" for o in answer["outcomes"]), answer

    async def page(self, user: User, entity: str, cursor: str | None, limit: int) -> bytes:
        """A page both ways; they must be equal."""
        self.downloads.generated = True
        generated = await self.downloads.page(user, entity, cursor, limit)
        self.downloads.generated = False
        decoded = await self.downloads.page(user, entity, cursor, limit)
        assert generated == decoded
        return generated


def _cursor(page: bytes) -> tuple[str, bool]:
    found = orjson.loads(page)
    return found["cursor"], found["more"]


async def _check(kind: str, work: Path, made: list[dict[str, Any]], mid: list[Change],
                 later: list[Change], limit: int) -> None:  # fmt: skip
    async with _database(kind, work) as db:
        world = World(db)
        await world.users()
        tags = [{"id": i, "entity": "Rows.Tag", "kind": "new",
                 "attributes": {"Label": ["x", "y", None][n % 3]}}
                for n, i in enumerate(world.ids)]  # fmt: skip
        ids = [str(uuid.uuid4()) for _ in made]
        uploaded = []
        for object_id, o in zip(ids, made, strict=True):
            item = {"id": object_id, "entity": o["entity"], "kind": "new",
                    "attributes": o["attributes"]}  # fmt: skip
            if o["tag"] is not None:
                item["references"] = {"Rows.Base_Tag": world.ids[o["tag"]]}
            if o["tags"]:
                item["reference_sets"] = {
                    "Rows.Base_Tags": {"added": [world.ids[t] for t in sorted(o["tags"])]}
                }
            uploaded.append(item)
        await world.upload(tags + uploaded)

        deleted: set[int] = set()

        def changed(batch: list[Change]) -> list[dict[str, Any]]:
            out = []
            for index, kind_, attributes in batch:
                if index in deleted:
                    continue
                if kind_ == "deleted":
                    deleted.add(index)
                item: dict[str, Any] = {"id": ids[index], "entity": made[index]["entity"],
                                        "kind": kind_}  # fmt: skip
                if kind_ == "changed":
                    item["attributes"] = attributes
                out.append(item)
            return out

        cursors: dict[tuple[int, str], str] = {}
        for n, user in enumerate(world.readers):
            for entity in ENTITIES:
                cursor: str | None = None
                more, first = True, True
                while more:
                    cursor, more = _cursor(await world.page(user, entity, cursor, limit))
                    if first and n == 0 and entity == "Rows.Base" and mid:
                        await world.upload(changed(mid))  # rows change under a complete run
                    first = False
                assert cursor is not None
                cursors[(n, entity)] = cursor
        await world.upload(changed(later))
        for n, user in enumerate(world.readers):
            for entity in ENTITIES:
                cursor, more = cursors[(n, entity)], True  # incremental runs
                while more:
                    cursor, more = _cursor(await world.page(user, entity, cursor, limit))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_generated_pages_equal_decoded_ones(kind: str, tmp_path: Path, data: st.DataObject) -> None:
    if kind == "postgresql":
        pg_admin_url()
    made = data.draw(st.lists(objects(), min_size=1, max_size=8), label="objects")
    mid = data.draw(changes(len(made)), label="changes during the first run")
    later = data.draw(changes(len(made)), label="changes before the incremental runs")
    limit = data.draw(st.integers(1, 5), label="page size")
    asyncio.run(_check(kind, tmp_path, made, mid, later, limit))
