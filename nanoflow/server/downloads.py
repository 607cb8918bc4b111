"""Downloads (SYNC.md 3.3, 3a, 4): paged, incremental, per offline entity, only what the
user may read; and the refresh of selected objects.

**Cursors.** A download run fixes the watermark `upto` (every change numbered up to it has
committed, none above will ever appear below it: `ServerDatabase.watermark`) and pages through
the entity's rows changed after the previous run's watermark `since`, by id. Its last page hands
out the cursor of the next run (`since` = `upto`). A row changed while a run pages is numbered
above `upto` and comes in the next run, so no change is ever skipped.

**Removals without shipping every id.** An incremental run sends, for the rows changed since
the cursor, either the object (the user may see it) or its id in `removed` (the user may no
longer see it: owner reassigned, an attribute the rules test changed), plus the tombstones of
deletes since the cursor. Whatever else can change what a user sees — the rules or the offline
profile (the model's fingerprint), the user's roles, the server's epoch, an XPath that follows
associations into other entities or reads the clock — makes the run *complete*: it lists every
object the user may see (changed ones whole, the others by id in `kept`) and the device removes
the rest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select, text

from nanoflow import ir
from nanoflow.gc_pause import gc_paused
from nanoflow.protocol.errors import ErrorCode
from nanoflow.protocol.sync import ObjectState, RefreshAnswer
from nanoflow.runtime import faults
from nanoflow.runtime.query import condition, value_nodes
from nanoflow.runtime.store.fingerprint import describe, fingerprint
from nanoflow.runtime.wire import to_wire
from nanoflow.server.access import AccessRules, Rule, UserAccess
from nanoflow.server.http_errors import ApiError
from nanoflow.server.page_rows import (
    PageRows,
    Readable,
    RefSets,
    RowMaker,
    page_rows,
    wire_select_list,
)
from nanoflow.server.states import object_state
from nanoflow.server.store import ServerStore

if TYPE_CHECKING:
    from nanoflow.names import NameTable
    from nanoflow.runtime.store.schema import EntityLayout
    from nanoflow.server.database import ServerDatabase
    from nanoflow.server.users import User

MAX_PAGE = 10_000
DOWNLOADED = ("all", "by_xpath")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a user's download of one entity stands."""

    key: str
    """What decides visibility besides the rows: model fingerprint, epoch, roles."""
    since: int
    upto: int | None = None
    after: str = ""
    complete: bool = False

    def encode(self) -> str:
        data = [self.key, self.since, self.upto, self.after, self.complete]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

    @classmethod
    def decode(cls, text_: str) -> Cursor:
        try:
            key, since, upto, after, complete = json.loads(base64.urlsafe_b64decode(text_))
            if not isinstance(key, str) or not isinstance(since, int):
                raise ValueError
            return cls(key, since, upto, str(after), bool(complete))
        except (ValueError, TypeError, binascii.Error):
            raise ApiError(
                400, ErrorCode.INVALID_REQUEST, "the download cursor is not one this server issued"
            ) from None


class Downloads:
    """Serves downloads and refreshes from one server database."""

    def __init__(self, db: ServerDatabase, rules: AccessRules, names: NameTable) -> None:
        self.db = db
        self.rules = rules
        self.names = names
        self.fingerprint = fingerprint(describe(names))
        self._columns: dict[str, tuple[list[str], list[tuple[str, str, str, Any]]]] = {}
        self._pages: dict[tuple[str, frozenset[str] | None], PageRows] = {}

    def _entry(self, entity: str) -> ir.OfflineEntry:
        info = self.names.entities.get(entity)
        entry = self.names.offline.get(info.qname) if info is not None else None
        if entry is None or entry.mode not in DOWNLOADED:
            mode = entry.mode.replace("_", " ") if entry is not None else "not offline"
            raise ApiError(
                404,
                ErrorCode.NOT_FOUND,
                f"{entity} is not downloaded by a synchronization (its offline mode is {mode})",
            )
        return entry

    def _key(self, user: User) -> str:
        basis = json.dumps([self.fingerprint, self.db.epoch, sorted(user.roles), user.id])
        return hashlib.sha256(basis.encode()).hexdigest()[:32]

    def _dynamic(self, access: UserAccess, entity: str, entry: ir.OfflineEntry) -> bool:
        """Whether visibility depends on more than the rows themselves (association paths,
        the clock): then every run is complete."""
        layout = self.db.schema.layout(entity)
        constraints = list(entry.constraints)
        for exact in layout.family:
            for rule in access.of(exact):
                constraints += rule.constraints
        for node in value_nodes(constraints):
            if isinstance(node, ir.TokenRef) and node.name != "CurrentUser":
                return True

        def paths(value: Any) -> bool:
            if isinstance(value, ir.XPathPath):
                return len(value.steps) > 1
            if isinstance(value, ir.Node):
                return any(paths(v) for v in ir.values(value))
            if isinstance(value, tuple):
                return any(paths(v) for v in value)
            return False

        return any(paths(c) for c in constraints)

    generated = True
    """Page rows from the generated functions of `page_rows` (False: each row decoded and its
    members converted with `to_wire`, the reference the tests compare them with)."""

    async def page(self, user: User, entity: str, cursor_text: str | None, limit: int) -> bytes:
        """One page of a download, as the JSON of a `DownloadPage`."""
        if faults.ACTIVE:
            faults.fault("server.download.page")
        entry = self._entry(entity)
        info = self.names.entities[entity]
        qname = info.qname
        limit = max(1, min(limit, MAX_PAGE))
        access = UserAccess(self.rules, user.id, user.roles)
        key = self._key(user)
        cursor = Cursor.decode(cursor_text) if cursor_text else Cursor(key, 0)
        if cursor.key != key:
            cursor = Cursor(key, 0, None, "", True)  # rules, roles or epoch changed
        generated = self.generated
        async with self.db.read() as conn:
            store = ServerStore(self.db, conn)
            upto = cursor.upto
            if upto is None:
                upto = await self.db.watermark(conn)
                dynamic = self._dynamic(access, qname, entry)
                complete = cursor.since == 0 or dynamic or cursor.complete
                cursor = Cursor(key, cursor.since, upto, "", complete)
            layout = store.schema.layout(qname)
            columns, readers = self._layout_columns(layout)
            visible, params = self._visible(store, access, layout, entry)
            flags = self._rule_flags(store, access, layout, params)
            params.update({"since": cursor.since, "upto": upto, "after": cursor.after,
                           "limit": limit + 1})  # fmt: skip
            # a complete run lists every row of its span as it stands now: a row changed
            # after `upto` is listed by id (it comes whole with the next run), so a device
            # that resumes an old run never removes what it got meanwhile
            bounds = "1 = 1" if cursor.complete else "t._seq > :since AND t._seq <= :upto"
            family = ""
            if layout.filtered:
                names = [f"f{i}" for i in range(len(layout.family))]
                family = f" AND t.entity IN ({', '.join(':' + n for n in names)})"
                params.update(zip(names, layout.family, strict=True))
            native = self.db.dialect == "postgresql"
            selected = (
                wire_select_list(layout.table, "t", native)
                if generated
                else layout.table.select_list("t")
            )
            sql = (
                f"SELECT {selected}, t._seq, "
                f"CASE WHEN {visible} THEN 1 ELSE 0 END AS nf_visible"
                f"{''.join(', ' + f for _e, _r, f in flags)} FROM {layout.table.sql} t "
                f"WHERE {bounds} AND t.id > :after{family} ORDER BY t.id LIMIT :limit"
            )
            rows = list((await conn.execute(text(sql), params)).all())
            more = len(rows) > limit
            if more:
                del rows[limit:]
            refsets = await store._refsets(layout.table, rows)
            width = len(layout.table.columns) + 2
            tombstones: list[str] = []
            if not more and not cursor.complete:
                tombstones = await self._tombstones(conn, layout, cursor.since, upto)
            files: dict[str, str] = {}
            if layout.is_file:
                changed = [r[0] for r in rows if r[width + 1] and not (
                    cursor.complete and (r[width] <= cursor.since or r[width] > upto))]  # fmt: skip
                files = await self._files(conn, layout, changed, cursor.since)
        if more:
            next_cursor = Cursor(key, cursor.since, upto, rows[-1][0], cursor.complete)
        else:
            next_cursor = Cursor(key, upto)
        span_end = rows[-1][0] if more else None
        with gc_paused():  # thousands of acyclic lists, freed before it ends
            if generated:
                build = self._page_rows(layout, readers, width, access, flags)
                out_rows, removed, kept = build(rows, cursor.since, upto, cursor.complete, refsets)
            else:
                out_rows, removed, kept = self._decoded_rows(
                    store, access, qname, readers, width, flags, rows, refsets, cursor, upto
                )
            removed += tombstones
            # `DownloadPage` as JSON (its fields in order), encoded without building the model
            body = orjson.dumps(
                {"entity": qname, "columns": columns, "rows": out_rows, "removed": removed,
                 "kept": kept, "complete": cursor.complete, "after": cursor.after or None,
                 "through": span_end, "files": files, "cursor": next_cursor.encode(),
                 "more": more}
            )  # fmt: skip
            del out_rows, removed, kept
        return body

    def _page_rows(
        self,
        layout: EntityLayout,
        readers: list[tuple[str, str, str, str]],
        width: int,
        access: UserAccess,
        flags: list[tuple[str, Rule, str]],
    ) -> PageRows:
        """The generated page builder of an entity family (per user roles when some of their
        rules read only some members)."""
        key = (layout.qname, access.roles if flags else None)
        found = self._pages.get(key)
        if found is not None:
            return found
        readable: Readable | None = None
        if flags:
            pairs = [(e, r) for e, r, _f in flags]

            def readable(exact: str, hits: tuple[Any, ...]) -> frozenset[str] | None:
                covering = [r for (e, r), hit in zip(pairs, hits, strict=True)
                            if hit and e == exact]  # fmt: skip
                return access.readable(exact, covering)

        native = self.db.dialect == "postgresql"
        maker = RowMaker(self.db.schema, self.names, layout, readers, native)
        found = self._pages[key] = page_rows(maker, width, len(flags), readable)
        return found

    def _decoded_rows(
        self,
        store: ServerStore,
        access: UserAccess,
        qname: str,
        readers: list[tuple[str, str, str, str]],
        width: int,
        flags: list[tuple[str, Rule, str]],
        rows: Sequence[Sequence[Any]],
        refsets: RefSets | None,
        cursor: Cursor,
        upto: int,
    ) -> tuple[list[list[Any]], list[str], list[str]]:
        """What `_page_rows` gives, by decoding each row (the general reference)."""
        out_rows: list[list[Any]] = []
        removed: list[str] = []
        kept: list[str] = []
        for row in rows:
            seq, shown = row[width], row[width + 1]
            if not shown:
                if not cursor.complete:
                    removed.append(row[0])
                continue
            if cursor.complete and (seq <= cursor.since or seq > upto):
                kept.append(row[0])
                continue
            exact = row[1] or qname
            values = store.decoder(exact)(row[:width])
            values.update((refsets or {}).get(row[0], {}))
            readable = None
            if flags:
                hits = row[width + 2 :]
                covering = [r for (e, r, _f), hit in zip(flags, hits, strict=True)
                            if hit and e == exact]  # fmt: skip
                readable = access.readable(exact, covering)
            out_rows.append(self._row(row[0], exact, seq, values, readers, readable))
        return out_rows, removed, kept

    def _layout_columns(
        self, layout: EntityLayout
    ) -> tuple[list[str], list[tuple[str, str, str, Any]]]:
        """The page's columns for an entity's family: (column, member, owning entity, kind)."""
        found = self._columns.get(layout.qname)
        if found is not None:
            return found
        columns: list[str] = []
        readers: list[tuple[str, str, str, Any]] = []
        seen: set[str] = set()
        for exact in layout.family:
            sub = self.db.schema.layout(exact)
            for member, column in sub.attributes.items():
                if column.name in seen or column.kind == "HashedString":
                    continue
                seen.add(column.name)
                columns.append(column.name)
                readers.append((column.name, member, exact, column.kind))
            for member in sub.references:
                if member not in seen:
                    seen.add(member)
                    columns.append(member)
                    readers.append((member, member, exact, "Ref"))
            for member in sub.refsets:
                if member not in seen:
                    seen.add(member)
                    columns.append(member)
                    readers.append((member, member, exact, "RefSet"))
        self._columns[layout.qname] = (columns, readers)
        return columns, readers

    def _row(
        self,
        object_id: str,
        exact: str,
        seq: int,
        values: dict[str, Any],
        readers: list[tuple[str, str, str, Any]],
        readable: frozenset[str] | None,
    ) -> list[Any]:
        """A page row; members outside `readable` (None: all) are null."""
        row: list[Any] = [object_id, exact, seq]
        for _column, member, owner, kind in readers:
            if not self.names.is_a(exact, owner) or (
                readable is not None and member not in readable
            ):
                row.append(None)
            else:
                row.append(to_wire(kind, values.get(member)))
        return row

    def _rule_flags(
        self, store: ServerStore, access: UserAccess, layout: EntityLayout, params: dict[str, Any]
    ) -> list[tuple[str, Any, str]]:
        """When some rule reads only some members: per rule, a column saying whether it covers
        the row (the readable members are those of the covering rules)."""
        if not any(_masked(access, e) for e in layout.family):
            return []
        flags = []
        for n, exact in enumerate(layout.family):
            for m, rule in enumerate(access.of(exact)):
                sql, found = access.rule_condition(
                    store.schema, store.dialect, rule, "t", f"m{n}_{m}_"
                )
                params.update(found)
                flags.append((exact, rule, f"CASE WHEN {sql} THEN 1 ELSE 0 END"))
        return flags

    def _visible(
        self, store: ServerStore, access: UserAccess, layout: EntityLayout, entry: ir.OfflineEntry
    ) -> tuple[str, dict[str, Any]]:
        """The SQL condition of the rows the user gets: readable, and matching the offline
        profile's XPath (`by xpath`)."""
        sql, params = access.read_condition(store.schema, store.dialect, layout)
        if entry.mode == "by_xpath" and entry.constraints:
            values = tuple(
                access.token(node.name)
                for node in value_nodes(entry.constraints)
                if isinstance(node, ir.TokenRef)
            )
            module = self.names.entities[layout.qname].module
            extra, found = condition(
                store.schema, store.dialect, layout.qname, entry.constraints, module, values,
                "t", "x",
            )  # fmt: skip
            sql = f"({sql}) AND ({extra})"
            params.update(found)
        return sql, params

    async def _tombstones(
        self, conn: Any, layout: EntityLayout, since: int, upto: int
    ) -> list[str]:
        tombstones = self.db.tables.tombstones
        result = await conn.execute(
            select(tombstones.c.id).where(
                (tombstones.c._seq > since)
                & (tombstones.c._seq <= upto)
                & tombstones.c.entity.in_(list(layout.family))
            )
        )
        return [r[0] for r in result.all()]

    async def _files(
        self, conn: Any, layout: EntityLayout, ids: list[str], since: int
    ) -> dict[str, str]:
        if not ids or not layout.is_file:
            return {}
        files = self.db.tables.files
        result = await conn.execute(
            select(files.c.id, files.c.hash).where(files.c.id.in_(ids) & (files.c._seq > since))
        )
        return {r[0]: r[1] for r in result.all()}

    async def refresh(self, user: User, ids: list[str]) -> RefreshAnswer:
        """The server's state of selected objects, as the user may see them."""
        access = UserAccess(self.rules, user.id, user.roles)
        objects: list[ObjectState] = []
        gone: list[str] = []
        async with self.db.read() as conn:
            store = ServerStore(self.db, conn)
            where = await store.exists(ids)
            for object_id in ids:
                entity = where.get(object_id)
                state = await object_state(store, access, entity, object_id) if entity else None
                if state is None:
                    gone.append(object_id)
                else:
                    objects.append(state)
        return RefreshAnswer(objects=objects, gone=gone)


def _masked(access: UserAccess, entity: str) -> bool:
    """Whether some of the user's rules of the entity read only some members."""
    return any(r.read is not None for r in access.of(entity))
