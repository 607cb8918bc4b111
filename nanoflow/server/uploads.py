"""Applying a device's upload (SYNC.md 1a, 3.1-3.2): once per (user, device id, sequence),
object by object, each through the same path as a commit on the server: access rules,
validation, event handlers. A change the server cannot apply is kept as a
`System.SynchronizationFailure` (never lost) and the rest goes on.

The whole upload is one transaction: its effects, its failure records and its entry in the
upload log commit together, so a repeat finds the first answer and applies nothing twice.
Each object runs in a savepoint, so a refused one leaves nothing behind. Only the members a
device changed are written, so devices that changed different members of an object both keep
their change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from nanoflow.gc_pause import gc_paused
from nanoflow.names import OWNER_ASSOCIATION
from nanoflow.protocol.errors import ErrorCode, ErrorItem
from nanoflow.protocol.sync import ObjectChange, ObjectOutcome, UploadRequest
from nanoflow.runtime import faults
from nanoflow.runtime.program import Program
from nanoflow.runtime.storage import WriteUnit
from nanoflow.runtime.store.codec import reference_set_ids
from nanoflow.runtime.values import MendixError, MxObject
from nanoflow.runtime.wire import WireError, member_kinds
from nanoflow.server.access import AccessRules, UserAccess
from nanoflow.server.execution import Caller, ServerSession, handlers_of, open_session
from nanoflow.server.http_errors import ApiError
from nanoflow.server.limits import NUL
from nanoflow.server.new_rows import NewRows, new_rows
from nanoflow.server.states import (
    covering_rules,
    object_state,
    rows_with_rules,
    state_dicts,
    state_plan,
)
from nanoflow.server.store import ServerStore, codecs_of
from nanoflow.server.users import now_ms
from nanoflow.server.wire_decoding import AttributeDecoder, attribute_decoder

if TYPE_CHECKING:
    from nanoflow.server.access import Rule
    from nanoflow.server.database import ServerDatabase
    from nanoflow.server.users import User

FAILURE_ENTITY = "System.SynchronizationFailure"
DANGLING = (
    "Synchronizing an object of type {entity} with GUID {id} has failed due to a modelling "
    "error. The object has a reference to other objects ({associations}) that have not been "
    "synchronized to the runtime yet. This breaks referential integrity of the object because "
    "it references a non-existing object in the runtime database. Please make sure that you "
    "synchronize the referenced object together with the {short} or before synchronizing the "
    "{short}."
)
GONE = (
    "The object is no longer available on the server: it was deleted, or it is no longer "
    "accessible due to access rules."
)


_NOTHING: frozenset[str] = frozenset()


class Refused(Exception):
    """A change the server does not apply; the reason is kept with it."""


@dataclass(slots=True)
class Decoded:
    """An uploaded change in runtime values."""

    change: ObjectChange
    values: dict[str, Any]
    added: dict[str, tuple[str, ...]]
    removed: dict[str, tuple[str, ...]]
    problem: str | None = None
    """Why the change cannot be applied whatever the rules say (a value no store keeps)."""
    targets: dict[str, list[str]] = field(default_factory=dict)
    """The ids the change points to, by association (its owner not among them)."""
    n: int = 0
    """Its place in the upload."""
    row: tuple[Any, ...] | None = None
    """The row of a new object made straight from the wire (`new_rows`): its values are
    decoded only if it is applied on its own (`pending`)."""
    pending: bool = False

    @property
    def members(self) -> set[str]:
        return {*self.values, *self.added, *self.removed}


@dataclass(slots=True)
class _Upload:
    """One upload being applied: its session, store and user, and whether the answer's states
    are read once the whole upload is applied (`final`; the runs then make none)."""

    session: ServerSession
    store: ServerStore
    access: UserAccess
    user: User
    final: bool


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Uploads:
    """Applies uploads to one server database."""

    def __init__(self, program: Program, db: ServerDatabase, rules: AccessRules) -> None:
        self.program = program
        self.db = db
        self.rules = rules
        self.names = program.names
        self._handled = frozenset(
            qname for qname in self.names.entities if self._has_commit_handlers(qname)
        )
        """Entities whose commits run event handlers (their own or a generalization's)."""
        self._decoding: dict[str, tuple[AttributeDecoder, frozenset[str], frozenset[str]]] = {}
        self._makers: dict[str, NewRows | None] = {}

    def _has_commit_handlers(self, entity: str) -> bool:
        return any(handlers_of(self.names, entity, m, "commit") for m in ("before", "after"))

    async def apply(self, user: User, request: UploadRequest, digest: str) -> bytes:
        """Apply an upload once and answer with the `UploadAnswer` as JSON; a repeat with the
        same payload gets the first answer, another payload under a used key is refused
        (409).

        Python's cyclic collector is paused meanwhile: an upload makes several acyclic objects
        per change, all alive until it ends, and the collector would walk them again and again
        (half the time of a large upload). Requests served meanwhile lose nothing: reference
        counting still frees their garbage, and a cycle waits for the next collection."""
        with gc_paused():
            return await self._apply(user, request, digest)

    async def _apply(self, user: User, request: UploadRequest, digest: str) -> bytes:
        uploads = self.db.tables.uploads
        async with self.db.write() as conn:
            key = (
                (uploads.c.user_id == user.id)
                & (uploads.c.device_id == request.device_id)
                & (uploads.c.sequence == request.sequence)
            )
            found = (await conn.execute(select(uploads).where(key))).first()
            if found is not None:
                if found.payload_hash != digest:
                    raise ApiError(
                        409,
                        ErrorCode.CONFLICT,
                        f"upload {request.sequence} of device {request.device_id} was already "
                        "applied with other contents: a device never reuses a sequence number",
                    )
                return str(found.answer).encode()
            store = ServerStore(self.db, conn)
            seq = await store.sequence()  # before any savepoint: a rolled-back one keeps it
            session = await open_session(self.db, store, Caller.of(user, self.db.app))
            access = UserAccess(self.rules, user.id, user.roles)
            # every change is decoded before any is applied: a value that does not fit is
            # answered 422 with nothing applied (the transaction rolls back)
            makers = _NewRowMakers(self, store, session, access, seq)
            decoded = [
                makers.decode(n, c) or self._decode(n, c) for n, c in enumerate(request.objects)
            ]
            final = any(self._may_touch_others(item) for item in decoded)
            upload = _Upload(session, store, access, user, final)
            outcomes: list[dict[str, Any]] = []
            run: list[Decoded] = []
            run_kind: str | None = None
            rights: dict[str, tuple[bool, frozenset[str] | None]] = {}
            for item in decoded:
                kind = self._batchable(access, item, rights) or None
                if kind is not None and kind == run_kind:
                    run.append(item)
                    continue
                outcomes += await self._run(run_kind, upload, run)
                run, run_kind = [], kind
                if kind is not None:
                    run.append(item)
                    continue
                outcomes.append(await self._one_dumped(upload, item))
            outcomes += await self._run(run_kind, upload, run)
            if final:
                await self._final_states(store, access, decoded, outcomes)
            # the answer is `UploadAnswer` as JSON, encoded without building its models
            encoded = orjson.dumps(
                {"device_id": request.device_id, "sequence": request.sequence,
                 "outcomes": outcomes}
            )  # fmt: skip
            await conn.execute(
                uploads.insert().values(
                    user_id=user.id, device_id=request.device_id, sequence=request.sequence,
                    payload_hash=digest, answer=encoded.decode(), created_at=now_ms(),
                )
            )  # fmt: skip
            if faults.ACTIVE:
                faults.fault("server.upload.before_commit")
        if faults.ACTIVE:
            faults.fault("server.upload.after_commit")
        return encoded

    def _may_touch_others(self, item: Decoded) -> bool:
        """Whether applying the change may change what other objects of the upload look like
        to the user: a change or a delete (a cleared reference, a rule that follows an
        association), or an object whose commit runs event handlers."""
        if item.change.kind != "new":
            return True
        info = self.names.entities.get(item.change.entity)
        return info is not None and info.qname in self._handled

    async def _final_states(
        self,
        store: ServerStore,
        access: UserAccess,
        decoded: list[Decoded],
        outcomes: list[dict[str, Any]],
    ) -> None:
        """Give each outcome the object's state as the whole upload leaves it (a later change
        may have moved an earlier object out of the user's reach, or a handler changed it);
        a refused new object keeps no state (its id may be another object's)."""
        by_entity: dict[str, list[str]] = {}
        for item, outcome in zip(decoded, outcomes, strict=True):
            info = self.names.entities.get(item.change.entity)
            if info is None or info.qname not in store.schema.entities:
                continue
            if item.change.kind == "new" and outcome["status"] != "applied":
                continue
            by_entity.setdefault(info.qname, []).append(item.change.id)
        states: dict[str, dict[str, Any]] = {}
        for entity, ids in by_entity.items():
            states.update(await state_dicts(store, access, entity, ids))
        for item, outcome in zip(decoded, outcomes, strict=True):
            if item.change.kind != "new" or outcome["status"] == "applied":
                outcome["state"] = states.get(item.change.id)

    # ---- decoding ----------------------------------------------------------------------------

    def _decode(self, n: int, change: ObjectChange) -> Decoded:
        """The change in runtime values; a value that does not fit its member is bad input
        (422: nothing is applied). Members this server's model does not know are ignored (a
        device with a compatible, newer model)."""
        info = self.names.entities.get(change.entity)
        if info is None:
            return Decoded(change, {}, {}, {}, n=n)
        decode, references, refsets = self._readers(info.qname)
        added: dict[str, tuple[str, ...]] = {}
        removed: dict[str, tuple[str, ...]] = {}
        targets: dict[str, list[str]] = {}
        try:
            values, nul = decode(change.attributes)
        except WireError as error:
            raise ApiError(
                422,
                ErrorCode.INVALID_REQUEST,
                f"object {change.id} ({change.entity}): {error}",
                [ErrorItem(loc=["objects", n], message=str(error), type="value")],
            ) from None
        for member, target in change.references.items():
            if member in references:
                values[member] = target
                if target is not None and member != OWNER_ASSOCIATION:
                    targets[member] = [target]
        for member, delta in change.reference_sets.items():
            if member in refsets:
                added[member] = ids = tuple(delta.added)
                removed[member] = tuple(delta.removed)
                if ids:
                    targets.setdefault(member, []).extend(ids)
        problem = f"{', '.join(sorted(nul))} of {change.entity}: {NUL}" if nul else None
        return Decoded(change, values, added, removed, problem, targets, n)

    # ---- many new objects at once -------------------------------------------------------------

    def _batchable(
        self,
        access: UserAccess,
        item: Decoded,
        rights: dict[str, tuple[bool, frozenset[str] | None]],
    ) -> str | None:
        """Whether a change may be applied together with its neighbours of the same kind
        (`"new"`, `"changed"`; None: on its own): a new object of an entity without commit
        event handlers, which the user may create with these members; a change of such an
        entity's object that leaves its reference sets alone. Whatever else the one-by-one path
        would check is checked per run (`_batch`, `_change_run`), and a run the database
        refuses is applied again one by one."""
        if item.row is not None:
            return "new"  # checked when it was made
        change = item.change
        if change.kind == "deleted" or item.problem is not None:
            return None
        info = self.names.entities.get(change.entity)
        if info is None or info.qname not in self.db.schema.entities:
            return None
        entity = info.qname
        if entity in self._handled:
            return None
        if change.kind == "changed":
            return None if item.added or item.removed else "changed"
        found = rights.get(entity)
        if found is None:  # (may create, writable members) of the user, once per upload
            found = rights[entity] = (
                access.may_create(entity),
                access.writable(access.of(entity)),
            )
        may_create, writable = found
        if (
            not may_create
            or OWNER_ASSOCIATION in item.values
            or OWNER_ASSOCIATION in item.added
            or OWNER_ASSOCIATION in item.removed
        ):
            return None
        return "new" if writable is None or item.members <= writable else None

    async def _run(
        self, kind: str | None, upload: _Upload, items: list[Decoded]
    ) -> list[dict[str, Any]]:
        """Apply a run of changes of one kind (`_batchable`)."""
        if not items:
            return []
        if kind == "changed":
            return await self._change_run(upload, items)
        return await self._batch(upload, items)

    async def _change_run(self, upload: _Upload, items: list[Decoded]) -> list[dict[str, Any]]:
        """Apply consecutive changes of existing objects with the effect of applying them one
        by one: the objects are read with the rules that cover them in one query per entity; a
        change of an object that is gone, not covered, of another entity than sent, changed
        twice in the run, or that writes a member its covering rules do not let it write or
        points to an object the server does not have goes through `_one` in its place (which
        refuses it with its reason), between the writes of the changes around it."""
        store, access = upload.store, upload.access
        outcomes: list[dict[str, Any]] = []
        current, others, present = await self._current(store, access, items)
        seen: set[str] = set()
        accepted: list[tuple[Decoded, Sequence[Any]]] = []
        for k, item in enumerate(items):
            object_id = item.change.id
            found = current.get(object_id)
            if (
                found is None
                or object_id in seen
                or not found[1]  # no rule covers it
                or (found[2] is not None and not item.members <= found[2])
                or (item.targets and any(t not in present for t in _targets(item)))
            ):
                outcomes += await self._update_many(upload, accepted)
                accepted = []
                outcomes.append(await self._one_dumped(upload, item))
                seen.add(object_id)
                if object_id in others:  # its own entity's handlers may have changed others
                    current, others, present = await self._current(store, access, items[k + 1 :])
                continue
            accepted.append((item, found[0]))
            seen.add(object_id)
        outcomes += await self._update_many(upload, accepted)
        return outcomes

    async def _current(
        self, store: ServerStore, access: UserAccess, items: list[Decoded]
    ) -> tuple[
        dict[str, tuple[Sequence[Any], list[Rule], frozenset[str] | None]], set[str], set[str]
    ]:
        """For changes of existing objects: each object's row, the rules covering it and the
        members they let the user write (of the objects stored as the entity sent), the ids
        stored as another entity, and the targets the changes point to that exist."""
        entities = self.names.entities
        by_entity: dict[str, list[str]] = {}
        for item in items:
            by_entity.setdefault(entities[item.change.entity].qname, []).append(item.change.id)
        current: dict[str, tuple[Sequence[Any], list[Rule], frozenset[str] | None]] = {}
        others: set[str] = set()
        for entity, ids in by_entity.items():
            rows, flag_range = await rows_with_rules(store, access, entity, ids)
            width = len(store.schema.layout(entity).table.columns) + 3
            low, high = flag_range[entity]
            rules = access.of(entity)
            shapes: dict[tuple[Any, ...], tuple[list[Rule], frozenset[str] | None]] = {}
            for row in rows:
                if (row[1] or entity) != entity:
                    others.add(row[0])  # sent as another entity: one by one decides
                    continue
                flags = tuple(row[width + low : width + high])
                shape = shapes.get(flags)
                if shape is None:
                    hits = [r for r, hit in zip(rules, flags, strict=True) if hit]
                    shape = shapes[flags] = (hits, access.writable(hits))
                current[row[0]] = (row, *shape)
        wanted = sorted({t for i in items if i.targets for t in _targets(i)})
        present = set(await store.exists(wanted)) if wanted else set()
        return current, others, present

    async def _update_many(
        self, upload: _Upload, items: list[tuple[Decoded, Sequence[Any]]]
    ) -> list[dict[str, Any]]:
        """Write checked changes of existing objects (with their current rows): what a commit
        of each would write (only the members whose value changes, the whole row validated),
        in one statement per entity and set of changed members. If the database or a validation
        refuses it, apply them one by one."""
        if len(items) < 2:
            return [await self._one_dumped(upload, i) for i, _r in items]
        store = upload.store
        codecs = store.codecs
        seq = await store.sequence()
        paramstyle = store.conn.dialect.paramstyle
        updates: dict[tuple[str, frozenset[str]], tuple[str, list[int], list[tuple[Any, ...]]]]
        updates = {}
        written: dict[str, list[tuple[Any, ...]]] = {}
        try:
            for item, row in items:
                entity = row[1] or self.names.entities[item.change.entity].qname
                layout = store.schema.layout(entity)
                values = codecs.decoder(entity)(row)
                sent = item.values
                changed = frozenset(m for m, v in sent.items() if values.get(m) != v)
                values.update(sent)
                built = codecs.builder(layout)(item.change.id, values, None)
                found = updates.get((entity, changed))
                if found is None:
                    sql, indexes = codecs.update_driver_sql(layout, changed, paramstyle)
                    found = updates[(entity, changed)] = (sql, indexes, [])
                found[2].append((seq, *[built[i] for i in found[1]], row[0]))
                written.setdefault(entity, []).append((row[0], row[1], *built[1:-1], seq))
            async with store.conn.begin_nested():
                for sql, _indexes, params in updates.values():
                    await store.conn.exec_driver_sql(sql, params)
        except (MendixError, IntegrityError):
            return [await self._one_dumped(upload, i) for i, _r in items]
        return await self._applied(upload, written, [i for i, _r in items])

    async def _batch(self, upload: _Upload, items: list[Decoded]) -> list[dict[str, Any]]:
        """Apply consecutive batchable changes with the effect of applying them one by one: a
        change whose id is used or whose references do not exist (on the server or among the
        changes before it) goes through `_one` in its place, between the writes of the changes
        around it. The server is asked once per run which ids are used and which targets
        exist: nothing but the run itself changes either meanwhile."""
        store = upload.store
        outcomes: list[dict[str, Any]] = []
        used = await store.used([i.change.id for i in items])
        wanted = sorted({t for i in items if i.targets for t in _targets(i)})
        present = set(await store.exists(wanted)) if wanted else set()
        created: set[str] = set()
        """Ids this run created or is about to (`accepted`)."""
        accepted: list[Decoded] = []
        for item in items:
            object_id = item.change.id
            if (
                object_id in used
                or object_id in created
                or (
                    item.targets
                    and any(t not in present and t not in created for t in _targets(item))
                )
            ):
                written = await self._create_many(upload, accepted)
                created.difference_update(o["id"] for o in written if o["status"] != "applied")
                outcomes += written
                accepted = []
                outcome = await self._one_dumped(upload, item)
                if outcome["status"] == "applied":
                    created.add(object_id)
                outcomes.append(outcome)
                continue
            accepted.append(item)
            created.add(object_id)
        outcomes += await self._create_many(upload, accepted)
        return outcomes

    async def _create_many(self, upload: _Upload, items: list[Decoded]) -> list[dict[str, Any]]:
        """Create checked new objects in one write; if the database or a validation refuses
        it, apply them one by one (each refusal then kept with its own reason). Outcomes come
        as the JSON-ready dicts `ObjectOutcome` dumps to.

        The objects are written as `_new_object` and a session commit would write them (the
        same initial values, the same builders and statements), without making session
        objects: nothing else in the upload reads them."""
        if len(items) < 2:
            return [await self._one_dumped(upload, i) for i in items]
        store = upload.store
        made: dict[str, list[tuple[Any, ...]]] = {}  # rows made straight from the wire
        for item in items:
            if item.row is not None:
                made.setdefault(item.row[1], []).append(item.row)
        written: dict[str, list[tuple[Any, ...]]] = {}
        unit = WriteUnit()
        try:
            async with store.conn.begin_nested():
                self._queue_new(upload.session, store, unit, [i for i in items if i.row is None])
                await store.write(unit, set(), written)
                for entity, rows in made.items():
                    await store.insert_new(entity, rows)
                    written.setdefault(entity, []).extend(rows)
        except (MendixError, IntegrityError):
            return [await self._one_dumped(upload, i) for i in items]
        return await self._applied(upload, written, items)

    async def _applied(
        self, upload: _Upload, written: dict[str, list[tuple[Any, ...]]], items: list[Decoded]
    ) -> list[dict[str, Any]]:
        """The outcomes of changes a run wrote (`written`: their rows by entity, as
        `ServerStore.write` reports them): applied, with the states made from the rows where
        `StatePlan` can, read back otherwise, or none yet when the upload reads them at its end
        (`final`)."""
        store, access = upload.store, upload.access
        states: dict[str, dict[str, Any]] = {}
        for entity, rows in written.items() if not upload.final else ():
            plan = state_plan(store, access, entity)
            if plan is None:
                states.update(await state_dicts(store, access, entity, [r[0] for r in rows]))
            else:
                states.update(plan.make(rows))
        return [
            {"id": i.change.id, "entity": i.change.entity, "status": "applied",
             "reason": None, "failure_id": None, "state": states.get(i.change.id)}
            for i in items
        ]  # fmt: skip

    def _queue_new(
        self, session: ServerSession, store: ServerStore, unit: WriteUnit, items: list[Decoded]
    ) -> None:
        """Queue new objects in `unit` with the values `_new_object` gives them."""
        initial: dict[str, dict[str, Any]] = {}
        refsets: dict[str, tuple[str, ...]] = {}
        entities = self.names.entities
        for item in items:
            change = item.change
            entity = entities[change.entity].qname
            template = initial.get(entity)
            if template is None:
                template = initial[entity] = session.initial_values(entity)
                refsets[entity] = tuple(store.schema.layout(entity).refsets)
            values = {**template, **item.values}
            writes = unit.of(entity)
            if item.added:
                for member, ids in item.added.items():
                    values[member] = tuple(ids)
            for name in refsets[entity]:
                ids = reference_set_ids(entity, name, values.get(name))
                if ids:
                    writes.links.append((name, change.id, ids))
            writes.objects.append((change.id, values, _NOTHING))  # a new object is written whole

    async def _one_dumped(self, upload: _Upload, item: Decoded) -> dict[str, Any]:
        outcome = await self._one(upload.session, upload.store, upload.access, upload.user, item)
        return outcome.model_dump(mode="json")

    def _row_maker(self, entity: str) -> NewRows | None:
        """The entity's row maker of new objects, if it has one (`new_rows`)."""
        if entity not in self._makers:
            codecs = codecs_of(self.db)
            self._makers[entity] = new_rows(
                self.db.schema.layout(entity), codecs.enums, codecs.native
            )
        return self._makers[entity]

    def _readers(self, entity: str) -> tuple[AttributeDecoder, frozenset[str], frozenset[str]]:
        """An entity's attribute decoder, and its references (with the owner) and reference
        sets."""
        found = self._decoding.get(entity)
        if found is None:
            kinds = member_kinds(self.db.schema.layout(entity))
            references = frozenset(
                [*(m for m, (k, _e) in kinds.items() if k == "Ref"), OWNER_ASSOCIATION]
            )
            refsets = frozenset(m for m, (k, _e) in kinds.items() if k == "RefSet")
            decode = attribute_decoder(entity, kinds)
            found = self._decoding[entity] = (decode, references, refsets)
        return found

    # ---- one object --------------------------------------------------------------------------

    async def _one(
        self,
        session: ServerSession,
        store: ServerStore,
        access: UserAccess,
        user: User,
        item: Decoded,
    ) -> ObjectOutcome:
        if item.pending:
            item = self._decode(item.n, item.change)
        change = item.change
        conn = store.conn
        try:
            async with conn.begin_nested():
                obj = await self._apply_change(session, store, access, item)
        except (Refused, MendixError) as error:
            reason = error.message if isinstance(error, MendixError) else str(error)
            return await self._refused(session, store, user, item, reason)
        except IntegrityError as error:
            reason = f"the change breaks a rule of the database: {_short(error)}"
            return await self._refused(session, store, user, item, reason)
        state = None
        if obj is not None and not obj.removed:
            state = await object_state(store, access, obj.entity, obj.id)
        return ObjectOutcome(id=change.id, entity=change.entity, status="applied", state=state)

    async def _apply_change(
        self, session: ServerSession, store: ServerStore, access: UserAccess, item: Decoded
    ) -> MxObject | None:
        change = item.change
        info = self.names.entities.get(change.entity)
        if info is None or info.qname not in store.schema.entities:
            raise Refused(f"the server has no entity {change.entity}")
        if item.problem is not None:
            raise Refused(item.problem)
        entity = info.qname
        if change.kind == "new":
            return await self._create(session, store, access, entity, item)
        obj = await session.load(change.id, entity)
        covering = await covering_rules(store, access, entity, change.id) if obj else []
        if change.kind == "deleted":
            if obj is None:
                return None  # already gone: what the device wanted
            if not any(r.delete for r in covering):
                raise Refused(f"the user may not delete this {entity}: {_no_right(covering)}")
            if await session.delete_with_events(obj, "the object"):
                raise Refused("a before-delete event handler returned false")
            return None
        if obj is None or not covering:
            raise Refused(GONE)
        writable = access.writable(covering)
        self._check_writable(entity, item.members, writable)
        await self._check_references(store, item, entity)
        for member, value in item.values.items():
            obj[member] = value
        for member in {*item.added, *item.removed}:
            current = list(obj[member] or ())
            gone = set(item.removed.get(member, ()))
            current = [i for i in current if i not in gone]
            current += [i for i in item.added.get(member, ()) if i not in current]
            obj[member] = tuple(current)
        await self._commit(session, entity, obj)
        return obj

    async def _create(
        self,
        session: ServerSession,
        store: ServerStore,
        access: UserAccess,
        entity: str,
        item: Decoded,
    ) -> MxObject:
        change = item.change
        if not access.may_create(entity):
            raise Refused(f"the user may not create objects of {entity}")
        if OWNER_ASSOCIATION in item.members:
            raise Refused("the owner of an object is set by the server, not by a device")
        writable = access.writable(access.of(entity))
        self._check_writable(entity, item.members, writable)
        if await store.used([change.id]):
            raise Refused(f"an object with id {change.id} exists or existed on the server")
        await self._check_references(store, item, entity)
        obj = self._new_object(session, entity, item)
        await self._commit(session, entity, obj)
        return obj

    @staticmethod
    def _new_object(session: ServerSession, entity: str, item: Decoded) -> MxObject:
        """The session's new object for an uploaded one: defaults and owner set by the server,
        then the members the device set."""
        values: dict[str, Any] = dict(item.values)
        for member, ids in item.added.items():
            values[member] = tuple(ids)
        obj = session.create_object(entity, {}, object_id=item.change.id)
        for member, value in values.items():
            obj[member] = value
        return obj

    async def _commit(self, session: ServerSession, entity: str, obj: MxObject) -> None:
        if await session.commit_with_events(obj, "the object"):
            raise Refused("a before-commit event handler returned false")

    @staticmethod
    def _check_writable(entity: str, members: set[str], writable: frozenset[str] | None) -> None:
        if writable is None:
            return
        denied = sorted(members - writable)
        if denied:
            raise Refused(
                f"the user may not write {', '.join(denied)} of {entity}: a member of the object "
                "is not writable due to access rules"
            )

    async def _check_references(self, store: ServerStore, item: Decoded, entity: str) -> None:
        """Every object the change points to must exist on the server (SYNC.md 3.2)."""
        targets = item.targets
        wanted = sorted({i for ids in targets.values() for i in ids})
        if not wanted:
            return
        present = await store.exists(wanted)
        dangling = sorted(
            m.split(".", 1)[1] for m, ids in targets.items() if set(ids) - set(present)
        )
        if dangling:
            raise Refused(
                DANGLING.format(
                    entity=entity,
                    id=item.change.id,
                    associations=", ".join(dangling),
                    short=entity.split(".", 1)[1],
                )
            )

    # ---- failures ----------------------------------------------------------------------------

    async def _refused(
        self, session: ServerSession, store: ServerStore, user: User, item: Decoded, reason: str
    ) -> ObjectOutcome:
        """Keep the refused change as a `System.SynchronizationFailure` of its user."""
        change = item.change
        session.objects.clear()  # the savepoint rolled back: reload whatever is needed
        content = change.model_dump(mode="json", exclude_defaults=True)
        info = self.names.entities.get(change.entity)
        if info is not None:
            hashed = {n for n, a in info.attributes.items() if a.type_name == "HashedString"}
            for name in hashed:
                content.get("attributes", {}).pop(name, None)
        failure = session.create_object(FAILURE_ENTITY, {})
        failure["Reason"] = reason
        failure["ObjectId"] = change.id
        failure["ObjectType"] = change.entity[:1000]
        failure["ObjectContent"] = json.dumps(content, sort_keys=True)
        failure["createdDate"] = datetime.now(UTC).replace(
            microsecond=datetime.now(UTC).microsecond // 1000 * 1000
        )
        failure[OWNER_ASSOCIATION] = user.id
        await session.commit(failure, "the failure")
        return ObjectOutcome(
            id=change.id,
            entity=change.entity,
            status="failed",
            reason=reason,
            failure_id=failure.id,
            state=await self._state_after_refusal(store, session, change),
        )

    async def _state_after_refusal(
        self, store: ServerStore, session: ServerSession, change: ObjectChange
    ) -> Any:
        """What the device should hold after a refusal: the object as the server has it for
        the user, or nothing."""
        info = self.names.entities.get(change.entity)
        if info is None or change.kind == "new":
            return None
        access = UserAccess(self.rules, session.user_id, session.roles)
        return await object_state(store, access, info.qname, change.id)


class _NewRowMakers:
    """Rows of an upload's new objects made straight from the wire (`new_rows`), for the
    changes that the batch path would take: a new object of an entity without commit handlers,
    AutoNumbers, reference sets or files, which the user may create with these members and
    whose state the rows give (`state_plan`). Anything else, or any value the row maker does
    not take as is, is decoded as usual."""

    def __init__(
        self,
        uploads: Uploads,
        store: ServerStore,
        session: ServerSession,
        access: UserAccess,
        seq: int,
    ) -> None:
        self.uploads = uploads
        self.store = store
        self.session = session
        self.access = access
        self.seq = seq
        self._found: dict[str, tuple[NewRows, tuple[Any, ...], frozenset[str] | None] | None] = {}

    def _maker(self, name: str) -> tuple[NewRows, tuple[Any, ...], frozenset[str] | None] | None:
        """The entity's row maker, its initial values and the user's writable members."""
        if name in self._found:
            return self._found[name]
        found = None
        uploads = self.uploads
        info = uploads.names.entities.get(name)
        if info is not None and info.qname == name and name not in uploads._handled:
            maker = uploads._row_maker(name)
            access = self.access
            if (
                maker is not None
                and access.may_create(name)
                and state_plan(self.store, access, name) is not None
            ):
                initial = maker.initial(self.session.initial_values(name))
                found = (maker, initial, access.writable(access.of(name)))
        self._found[name] = found
        return found

    def decode(self, n: int, change: ObjectChange) -> Decoded | None:
        """The change with its row, or None when it takes the usual way."""
        if change.kind != "new":
            return None
        found = self._maker(change.entity)
        if found is None:
            return None
        maker, initial, writable = found
        references = change.references
        if (
            writable is not None
            and not (
                maker.attributes.intersection(change.attributes)
                | maker.references.intersection(references)
            )
            <= writable
        ):
            return None
        try:
            row = maker.make(change.id, change.attributes, references, initial, self.seq)
        except Exception:  # whatever it does not take, the usual way decides
            return None
        targets = {}
        if references:
            targets = {
                m: [t] for m, t in references.items() if t is not None and m in maker.references
            }
        return Decoded(change, {}, {}, {}, None, targets, n, row, True)


def _targets(item: Decoded) -> list[str]:
    return [i for ids in item.targets.values() for i in ids]


def _no_right(covering: Sequence[Rule]) -> str:
    if not covering:
        return "no access rule covers it"
    return "no access rule that covers it grants delete"


def _short(error: IntegrityError) -> str:
    text_ = str(error.orig) if error.orig is not None else str(error)
    return text_.splitlines()[0][:300]


__all__ = ["Uploads", "payload_hash", "text"]
