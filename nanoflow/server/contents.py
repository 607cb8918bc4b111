"""File contents on the server (SYNC.md 7), deduplicated within one user's objects only.

`nf_files` maps a file object to its contents: their SHA-256, size and the user who sent them.
The bytes live in `nf_file_chunks` (in parts) under a *content key*, `<user id>:<hash>`: the
same bytes sent twice by one user are stored once, and the same bytes sent by two users are
stored twice. So a hash is never a way to reach another user's bytes, nor to learn that another
user holds them (no existence oracle): `link` only finds contents the caller sent. Contents no
object refers to any more are deleted with their last reference.

Reading is authorised elsewhere, by the owning object's read rule (`routes_sync`); here an
object's contents are whatever its `nf_files` row points to, whoever sent them. Callers take
the transaction's change sequence before writing, which serialises writers on PostgreSQL, so
"is this content stored yet" cannot race.

Databases written before the content key keep their chunks under the object's id; reading falls
back to that, and the next write of the object moves it to the new form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nanoflow.server.tables import ServerTables

CHUNK = 256 * 1024
SERVER_SENDER = "-"
"""The sender of contents a microflow wrote (no device sent them)."""


def content_key(user_id: str | None, digest: str) -> str:
    """Where one user's contents with this hash are stored."""
    return f"{user_id or SERVER_SENDER}:{digest}"


@dataclass(frozen=True, slots=True)
class Stored:
    """An object's contents: their hash, size and sender."""

    hash: str
    size: int
    user_id: str | None


class Contents:
    """File contents within one transaction."""

    def __init__(self, tables: ServerTables, conn: AsyncConnection) -> None:
        self.files = tables.files
        self.chunks = tables.file_chunks
        self.conn = conn

    async def of(self, obj_id: str) -> Stored | None:
        files = self.files
        row = (
            await self.conn.execute(
                select(files.c.hash, files.c.size, files.c.user_id).where(files.c.id == obj_id)
            )
        ).first()
        return None if row is None else Stored(row.hash, int(row.size), row.user_id)

    async def write(self, obj_id: str, data: bytes, user_id: str | None, seq: int) -> Stored:
        """Give an object these contents, sent by `user_id`; the bytes are stored unless that
        user already sent the same ones."""
        digest = hashlib.sha256(data).hexdigest()
        key = content_key(user_id, digest)
        if not await self._held(key) and data:
            parts = [
                {"id": key, "part": n, "data": data[i : i + CHUNK]}
                for n, i in enumerate(range(0, len(data), CHUNK))
            ]
            await self.conn.execute(self.chunks.insert(), parts)
        stored = Stored(digest, len(data), user_id)
        await self._point(obj_id, stored, seq)
        return stored

    async def link(
        self, obj_id: str, digest: str, size: int, user_id: str, seq: int
    ) -> Stored | None:
        """Give an object contents that this user sent before (for any of the objects they
        sent them for); None when the user holds no such contents (send the bytes)."""
        files = self.files
        row = (
            await self.conn.execute(
                select(files.c.size)
                .where((files.c.user_id == user_id) & (files.c.hash == digest))
                .limit(1)
            )
        ).first()
        if row is None or int(row.size) != size:
            return None
        if size and not await self._held(content_key(user_id, digest)):
            return None  # contents of the old form, kept under an object id: send them again
        stored = Stored(digest, size, user_id)
        await self._point(obj_id, stored, seq)
        return stored

    async def read(self, obj_id: str) -> bytes | None:
        """An object's contents (None: it has none)."""
        stored = await self.of(obj_id)
        if stored is None:
            return None
        chunks = self.chunks
        for key in (content_key(stored.user_id, stored.hash), obj_id):
            result = await self.conn.execute(
                select(chunks.c.data).where(chunks.c.id == key).order_by(chunks.c.part)
            )
            parts = [bytes(r.data) for r in result.all()]
            if parts:
                return b"".join(parts)
        return b""

    async def drop(self, obj_ids: Sequence[str]) -> None:
        """Forget the contents of these (deleted) objects."""
        files = self.files
        result = await self.conn.execute(
            select(files.c.id, files.c.user_id, files.c.hash).where(files.c.id.in_(obj_ids))
        )
        found = list(result.all())
        if not found:
            return
        await self.conn.execute(files.delete().where(files.c.id.in_([r.id for r in found])))
        await self.conn.execute(self.chunks.delete().where(self.chunks.c.id.in_(obj_ids)))
        for row in {(r.user_id, r.hash) for r in found}:
            await self._release(*row)

    async def _point(self, obj_id: str, stored: Stored, seq: int) -> None:
        before = await self.of(obj_id)
        files = self.files
        await self.conn.execute(files.delete().where(files.c.id == obj_id))
        await self.conn.execute(
            files.insert().values(
                id=obj_id, hash=stored.hash, size=stored.size, user_id=stored.user_id, _seq=seq
            )
        )
        await self.conn.execute(self.chunks.delete().where(self.chunks.c.id == obj_id))
        if before is not None:
            await self._release(before.user_id, before.hash)

    async def _held(self, key: str) -> bool:
        chunks = self.chunks
        found = await self.conn.execute(select(chunks.c.part).where(chunks.c.id == key).limit(1))
        return found.first() is not None

    async def _release(self, user_id: str | None, digest: str) -> None:
        """Delete a user's contents with this hash when no object refers to them any more."""
        files = self.files
        sender = files.c.user_id.is_(None) if user_id is None else files.c.user_id == user_id
        count = await self.conn.execute(
            select(func.count()).select_from(files).where(sender & (files.c.hash == digest))
        )
        if int(count.scalar_one()) == 0:
            key = content_key(user_id, digest)
            await self.conn.execute(self.chunks.delete().where(self.chunks.c.id == key))
