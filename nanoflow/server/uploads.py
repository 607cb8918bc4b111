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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from nanoflow.names import OWNER_ASSOCIATION
from nanoflow.protocol.errors import ErrorCode, ErrorItem
from nanoflow.protocol.sync import ObjectChange, ObjectOutcome, UploadAnswer, UploadRequest
from nanoflow.runtime import faults
from nanoflow.runtime.program import Program
from nanoflow.runtime.values import MendixError, MxObject
from nanoflow.runtime.wire import WireError, from_wire, member_kinds
from nanoflow.server.access import AccessRules, UserAccess
from nanoflow.server.execution import Caller, ServerSession, open_session
from nanoflow.server.http_errors import ApiError
from nanoflow.server.limits import NUL
from nanoflow.server.states import covering_rules, object_state
from nanoflow.server.store import ServerStore
from nanoflow.server.users import now_ms

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

    @property
    def members(self) -> set[str]:
        return {*self.values, *self.added, *self.removed}


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Uploads:
    """Applies uploads to one server database."""

    def __init__(self, program: Program, db: ServerDatabase, rules: AccessRules) -> None:
        self.program = program
        self.db = db
        self.rules = rules
        self.names = program.names

    async def apply(self, user: User, request: UploadRequest, digest: str) -> UploadAnswer:
        """Apply an upload once; a repeat with the same payload gets the first answer, another
        payload under a used key is refused (409)."""
        decoded = [self._decode(n, c) for n, c in enumerate(request.objects)]
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
                return UploadAnswer.model_validate_json(found.answer)
            store = ServerStore(self.db, conn)
            await store.sequence()  # before any savepoint: a rolled-back one must not keep it
            session = await open_session(self.db, store, Caller.of(user, self.db.app))
            access = UserAccess(self.rules, user.id, user.roles)
            outcomes = []
            for item in decoded:
                outcomes.append(await self._one(session, store, access, user, item))
            answer = UploadAnswer(
                device_id=request.device_id, sequence=request.sequence, outcomes=outcomes
            )
            await conn.execute(
                uploads.insert().values(
                    user_id=user.id, device_id=request.device_id, sequence=request.sequence,
                    payload_hash=digest, answer=answer.model_dump_json(), created_at=now_ms(),
                )
            )  # fmt: skip
            if faults.ACTIVE:
                faults.fault("server.upload.before_commit")
        if faults.ACTIVE:
            faults.fault("server.upload.after_commit")
        return answer

    # ---- decoding ----------------------------------------------------------------------------

    def _decode(self, n: int, change: ObjectChange) -> Decoded:
        """The change in runtime values; a value that does not fit its member is bad input
        (422: nothing is applied). Members this server's model does not know are ignored (a
        device with a compatible, newer model)."""
        info = self.names.entities.get(change.entity)
        if info is None:
            return Decoded(change, {}, {}, {})
        kinds = member_kinds(self.db.schema.layout(info.qname))
        values: dict[str, Any] = {}
        added: dict[str, tuple[str, ...]] = {}
        removed: dict[str, tuple[str, ...]] = {}
        try:
            for member, value in change.attributes.items():
                found = kinds.get(member)
                if found is not None and found[0] not in ("Ref", "RefSet"):
                    values[member] = from_wire(found[0], value, found[1])
            for member, target in change.references.items():
                if kinds.get(member, ("",))[0] == "Ref" or member == OWNER_ASSOCIATION:
                    values[member] = target
            for member, delta in change.reference_sets.items():
                if kinds.get(member, ("",))[0] == "RefSet":
                    added[member] = tuple(delta.added)
                    removed[member] = tuple(delta.removed)
        except WireError as error:
            raise ApiError(
                422,
                ErrorCode.INVALID_REQUEST,
                f"object {change.id} ({change.entity}): {error}",
                [ErrorItem(loc=["objects", n], message=str(error), type="value")],
            ) from None
        nul = sorted(m for m, v in values.items() if isinstance(v, str) and "\x00" in v)
        problem = f"{', '.join(nul)} of {change.entity}: {NUL}" if nul else None
        return Decoded(change, values, added, removed, problem)

    # ---- one object --------------------------------------------------------------------------

    async def _one(
        self,
        session: ServerSession,
        store: ServerStore,
        access: UserAccess,
        user: User,
        item: Decoded,
    ) -> ObjectOutcome:
        change = item.change
        conn = store.conn
        try:
            async with conn.begin_nested():
                obj = await self._apply(session, store, access, item)
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

    async def _apply(
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
        if await self._used(store, change.id):
            raise Refused(f"an object with id {change.id} exists or existed on the server")
        await self._check_references(store, item, entity)
        values: dict[str, Any] = dict(item.values)
        for member, ids in item.added.items():
            values[member] = tuple(ids)
        obj = session.create_object(entity, {})
        session.objects.pop(obj.id)
        obj.id = change.id
        session.objects[obj.id] = obj
        for member, value in values.items():
            obj[member] = value
        await self._commit(session, entity, obj)
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

    async def _used(self, store: ServerStore, object_id: str) -> bool:
        if await store.exists([object_id]):
            return True
        tombstones = self.db.tables.tombstones
        found = await store.conn.execute(
            select(tombstones.c.id).where(tombstones.c.id == object_id)
        )
        return found.first() is not None

    async def _check_references(self, store: ServerStore, item: Decoded, entity: str) -> None:
        """Every object the change points to must exist on the server (SYNC.md 3.2)."""
        targets: dict[str, list[str]] = {}
        for member, value in item.values.items():
            if "." in member and member != OWNER_ASSOCIATION and isinstance(value, str):
                targets.setdefault(member, []).append(value)
        for member, ids in item.added.items():
            targets.setdefault(member, []).extend(ids)
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


def _no_right(covering: Sequence[Rule]) -> str:
    if not covering:
        return "no access rule covers it"
    return "no access rule that covers it grants delete"


def _short(error: IntegrityError) -> str:
    text_ = str(error.orig) if error.orig is not None else str(error)
    return text_.splitlines()[0][:300]


__all__ = ["Uploads", "payload_hash", "text"]
