"""The Synchronize activities on the device (SYNC.md 3-5): `synchronize all`,
`unsynchronized` and selected objects, `clear from device`, `cancel synchronization`, and the
objects a microflow sends with `synchronize to device`.

One synchronization runs at a time per store; a second one fails with Mendix's message and
leaves the first alone. Every step changes the store in one transaction, and an upload is
recorded in the store before it is sent, so a synchronization cut off anywhere is finished by
the next one without applying anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nanoflow.runtime import faults
from nanoflow.runtime.store import sync
from nanoflow.runtime.store.columnar import server_objects
from nanoflow.runtime.store.sync import Outgoing, ServerObject, Settled
from nanoflow.runtime.sync.errors import SyncError
from nanoflow.runtime.sync.microflows import decode_result, encode_arguments
from nanoflow.runtime.sync.transport import DownloadedPage, Outcome, SyncTransport
from nanoflow.runtime.values import MendixError, MxObject
from nanoflow.runtime.wire import WireError

if TYPE_CHECKING:
    from nanoflow.runtime.session import Session
    from nanoflow.runtime.store.store import DeviceStore

SIMULTANEOUS = (
    "Performing simultaneous synchronizations is not supported. Please try again after the "
    "current synchronization is completed."
)
CANCELLED = "The synchronization was cancelled."
PAGE_SIZE = 5000
UPLOAD_CHUNK = 2000
"""Objects per upload request. A device with more changes sends several uploads in order,
each recorded, sent and settled on its own, so no number of changes is too many for one
request (the server takes at most 100,000 objects and 32 MB a request) and a cut-off
synchronization keeps the chunks already settled."""
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
"""An upload body larger than this is split further (while it holds more than one object)."""
REFUSED_AS_SENT = frozenset({400, 409, 413, 415, 422})
"""Statuses with which the server refuses an upload without applying any of it: the recorded
request is dropped (its changes stay pending) so the next synchronization builds a new one
from the objects as they are then, instead of sending the refused one forever."""
DOWNLOADED_MODES = ("all", "by_xpath")
KEPT_FAILURES = 1000
FILES_PER_BATCH = 20
"""Downloaded file contents stored per transaction."""
"""How many refused changes the device remembers (newest first) for `rt.failures()`."""


@dataclass(slots=True)
class Progress:
    """Where a synchronization is: `phase` (`start`, `upload`, `files`, `download`,
    `refresh`, then `done` or `failed`), the entity being downloaded, objects done and
    expected (None: not known yet), bytes moved so far by this synchronization."""

    phase: str
    entity: str | None = None
    done: int = 0
    total: int | None = None
    bytes: int = 0


@dataclass(slots=True)
class SyncReport:
    """What the last synchronization did."""

    mode: str
    started: float
    seconds: float = 0.0
    uploaded: int = 0
    failed: int = 0
    downloaded: int = 0
    removed: int = 0
    bytes: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def stamp(self) -> dict[str, Any]:
        """The report as the store's meta keeps it (`last_sync`)."""
        return {
            "mode": self.mode,
            "at": self.started,
            "seconds": round(self.seconds, 3),
            "uploaded": self.uploaded,
            "failed": self.failed,
            "downloaded": self.downloaded,
            "removed": self.removed,
            "bytes": self.bytes,
        }


ProgressCallback = Callable[[Progress], Awaitable[None] | None]


class DeviceSync:
    """The device's synchronization for one store (a `Synchronizer`)."""

    def __init__(
        self,
        transport: SyncTransport,
        store: DeviceStore,
        device_id: str,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.transport = transport
        self.store = store
        self.device_id = device_id
        self.page_size = page_size
        self.upload_chunk = UPLOAD_CHUNK
        self.on_progress: ProgressCallback | None = None
        self.last: SyncReport | None = None
        self._running = False
        self._cancelled = False
        self._bytes_base = 0

    @property
    def running(self) -> bool:
        return self._running

    # ---- the activities --------------------------------------------------------------------

    async def synchronize(self, session: Session, mode: str, items: list[Any]) -> None:
        """`synchronize all` (`all`), `unsynchronized`, or `selected` objects (`items`)."""
        if self._running:
            raise MendixError(SIMULTANEOUS)
        self._running = True
        self._cancelled = False
        report = SyncReport(mode, time.time())
        self._bytes_base = self._bytes()
        try:
            await self._progress(Progress("start"))
            await self._resume(session, report)
            await self._fetch_files()
            if mode == "selected":
                await self._selected(session, items, report)
            else:
                await self._upload(session, await self._outgoing(session), report)
                if mode == "all":
                    await self._download(session, report)
            report.seconds = time.time() - report.started
            report.bytes = self._bytes() - self._bytes_base
            self.last = report
            await self._record(report)
            await self._progress(Progress("done", done=report.downloaded))
        except BaseException:
            await self._progress(Progress("failed"))
            raise
        finally:
            self._running = False

    def _bytes(self) -> int:
        """Bytes moved by the transport so far (when it counts them)."""
        sent = getattr(self.transport, "bytes_sent", 0)
        received = getattr(self.transport, "bytes_received", 0)
        return int(sent) + int(received)

    async def _record(self, report: SyncReport) -> None:
        """Keep the report (`last_sync`; `full_sync` for `all`) in the store's meta."""
        values: dict[str, Any] = {"last_sync": report.stamp()}
        if report.mode == "all":
            values["full_sync"] = report.stamp()
        await self.store.set_meta_many(values)

    async def failures(self) -> list[dict[str, Any]]:
        """The refused changes the device knows of (`stored_failures`)."""
        return await stored_failures(self.store)

    async def server_failures(self) -> list[dict[str, Any]]:
        """The user's failure records on the server, newest first (the last
        `KEPT_FAILURES`); a `SyncError` when the server cannot answer."""
        return await self.transport.failures(KEPT_FAILURES)

    async def cancel(self, session: Session) -> None:
        """`cancel synchronization`: the running one stops at its next safe point."""
        if not self._running:
            raise MendixError("no synchronization is running")
        self._cancelled = True

    async def clear_from_device(self, session: Session, entity: str) -> None:
        """Remove every object of `entity` from the device (objects with pending changes
        stay, and are logged); variables holding the removed ones become empty."""
        removed, kept = await sync.clear_entity(self.store, entity)
        session.refresh((), removed)
        if kept:
            await session.host.log(
                "warning",
                "Synchronization",
                f"clear from device kept {kept} object(s) of {entity} with changes not yet "
                "synchronized",
            )

    async def to_device(self, session: Session, value: Any) -> None:
        raise MendixError("`synchronize to device` runs in microflows on the sync server")

    async def call_microflow(self, session: Session, name: str, arguments: dict[str, Any]) -> Any:
        """Run a microflow on the server (a `MicroflowCaller`): primitive arguments and result;
        what it sent with `synchronize to device` is applied to the store and refreshed in
        memory."""
        info = session.app.find_flow(name)
        if info is None:
            raise MendixError(f"unknown microflow `{name}`")
        answer = await self.transport.call_microflow(
            info.qname, encode_arguments(info, arguments)
        )
        if answer.to_device or answer.removed:
            applied = await sync.apply_page(self.store, answer.to_device, answer.removed)
            session.refresh(self._stored(applied.written), applied.removed)
        return decode_result(info, answer.result)

    # ---- steps -----------------------------------------------------------------------------

    def _check_cancelled(self) -> None:
        if self._cancelled:
            self._cancelled = False
            raise MendixError(CANCELLED)

    async def _progress(self, progress: Progress) -> None:
        progress.bytes = self._bytes() - self._bytes_base
        callback = self.on_progress
        if callback is not None:
            result = callback(progress)
            if result is not None:
                await result

    async def _outgoing(self, session: Session) -> list[Outgoing]:
        never = {e for e, entry in session.names.offline.items() if entry.mode == "never"}
        uploaded = [e for e in self.store.schema.entities if not (never & self._family(e))]
        return await sync.outgoing(self.store, uploaded)

    def _family(self, entity: str) -> set[str]:
        info = self.store.schema.names.entities[entity]
        return {entity, *info.ancestors}

    async def _resume(self, session: Session, report: SyncReport) -> None:
        """Finish an upload that was sent but never settled (the answer was lost, or the
        process died): the same request again gets the server's first answer."""
        pending = await self.store.get_meta("upload")
        if not pending:
            return
        changes = [Outgoing(i, entity, kind, tick) for i, entity, kind, tick in pending["changes"]]
        outcomes = await self._send(pending["body"])
        await self._settle(session, changes, outcomes, report)

    async def _send(self, body: str) -> list[Outcome]:
        """Send the recorded upload; if the server refuses it as sent (`REFUSED_AS_SENT`), drop
        the record and let the error reach the flow: the changes stay pending."""
        try:
            return await self.transport.upload(body)
        except SyncError as error:
            if error.status in REFUSED_AS_SENT:
                await self.store.set_meta("upload", None)
            raise

    async def _upload(self, session: Session, changes: list[Outgoing], report: SyncReport) -> None:
        """Upload changes in chunks of `upload_chunk` objects, in their order (referenced
        objects first), each settled before the next is sent."""
        if not changes:
            return
        self._check_cancelled()
        await self._files(changes)  # every file before any object (SYNC.md 7)
        await self._progress(Progress("upload", done=0, total=len(changes)))
        size = max(1, self.upload_chunk)
        for start in range(0, len(changes), size):
            self._check_cancelled()
            await self._upload_chunk(session, changes[start : start + size], report)
            await self._progress(
                Progress("upload", done=min(start + size, len(changes)), total=len(changes))
            )

    async def _upload_chunk(
        self, session: Session, changes: Sequence[Outgoing], report: SyncReport
    ) -> None:
        sequence = int(await self.store.get_meta("upload_sequence") or 0) + 1
        body = self.transport.encode_upload(self.device_id, sequence, changes)
        if len(body) > MAX_UPLOAD_BYTES and len(changes) > 1:
            half = len(changes) // 2
            await self._upload_chunk(session, changes[:half], report)
            await self._upload_chunk(session, changes[half:], report)
            return
        record = {
            "sequence": sequence,
            "body": body,
            "changes": [(c.id, c.entity, c.kind, c.tick) for c in changes],
        }
        await self.store.set_meta_many({"upload_sequence": sequence, "upload": record})
        if faults.ACTIVE:
            faults.fault("device.upload.before_send")
        outcomes = await self._send(body)
        if faults.ACTIVE:
            faults.fault("device.upload.after_send")
        await self._settle(session, changes, outcomes, report)

    async def _files(self, changes: Sequence[Outgoing]) -> None:
        """Send changed file contents first (one retry each); a file that still fails stops
        the synchronization before any object is applied (SYNC.md 7)."""
        for change in changes:
            if not change.contents:
                continue
            data = await self.store.read_file(change.id)
            if data is None:
                continue
            try:
                if faults.ACTIVE:
                    faults.fault("device.files.upload")
                await self.transport.put_file(change.id, data)
            except MendixError:
                await self.transport.put_file(change.id, data)
            await self._progress(Progress("files", done=1))

    async def _settle(
        self,
        session: Session,
        changes: Sequence[Outgoing],
        outcomes: Sequence[Outcome],
        report: SyncReport,
    ) -> None:
        by_id = {o.id: o for o in outcomes}
        settled = []
        failures_before = len(report.failures)
        for change in changes:
            outcome = by_id.get(change.id)
            if outcome is None:
                raise SyncError(
                    f"the sync server's answer does not mention uploaded object {change.id}"
                )
            if outcome.status == "failed":
                report.failed += 1
                report.failures.append(
                    {
                        "id": change.id,
                        "entity": change.entity,
                        "kind": change.kind,
                        "reason": outcome.reason or "",
                        "at": time.time(),
                    }
                )
            else:
                report.uploaded += 1
            settled.append(Settled(change, outcome.state))
        removed = await sync.settle(self.store, settled, clear_meta="upload")
        written = [s.state for s in settled if s.state is not None]
        session.refresh(self._stored(written), removed)
        refused = report.failures[failures_before:]
        if refused:
            kept = [*reversed(refused), *await self.failures()]
            await self.store.set_meta("failures", kept[:KEPT_FAILURES])

    def _stored(self, objects: Iterable[ServerObject]) -> list[tuple[str, dict[str, Any]]]:
        """Each object's member values as now stored (members not sent are empty)."""
        result = []
        for obj in objects:
            layout = self.store.schema.layout(obj.entity)
            values: dict[str, Any] = {m: None for m, _ in layout.slots()}
            values.update((name, ()) for name in layout.refsets)
            values.update(obj.values)
            result.append((obj.id, values))
        return result

    async def _download(self, session: Session, report: SyncReport) -> None:
        """Download every offline entity per its mode (SYNC.md 3.3)."""
        for entity, entry in sorted(session.names.offline.items()):
            self._check_cancelled()
            if entry.mode in DOWNLOADED_MODES:
                await self._download_entity(session, entity, report)
            elif entry.mode == "nothing_clear":
                removed, _kept = await sync.clear_entity(self.store, entity)
                session.refresh((), removed)
                report.removed += len(removed)

    async def _download_entity(self, session: Session, entity: str, report: SyncReport) -> None:
        """The pages of one entity, each applied in one transaction with its cursor. The next
        page is requested before the current one is applied, so the server prepares it while
        the device writes; a page that changes nothing (no rows, no removals, not complete,
        the same cursor) writes nothing."""
        cursor = await sync.cursor_of(self.store, entity)
        done = 0
        fetching: asyncio.Task[DownloadedPage] | None = self._fetch(entity, cursor)
        try:
            while fetching is not None:
                page = await fetching
                fetching = self._fetch(entity, page.cursor) if page.more else None
                self._check_cancelled()
                if page.rows.entity != entity:
                    raise SyncError(
                        f"the sync server's answer does not parse: a page of {entity} "
                        f"holds {page.rows.entity}"
                    )
                if page.rows.rows or page.removed or page.complete or page.cursor != cursor:
                    await self._apply(session, entity, page, report)
                await self._fetch_files()
                done += len(page.rows.rows)
                await self._progress(Progress("download", entity, done))
                cursor = page.cursor
        finally:
            if fetching is not None:
                fetching.cancel()
                with contextlib.suppress(BaseException):
                    await fetching

    def _fetch(self, entity: str, cursor: str | None) -> asyncio.Task[DownloadedPage]:
        return asyncio.ensure_future(self.transport.download(entity, cursor, self.page_size))

    async def _apply(
        self, session: Session, entity: str, page: DownloadedPage, report: SyncReport
    ) -> None:
        """Write a downloaded page (with the span of a complete download's page: the objects
        of the span it does not list go); refresh what it wrote that flows hold in memory."""
        span = None
        try:
            if page.complete:
                listed = set(page.rows.ids())
                listed.update(page.kept)
                span = sync.PageSpan(entity, page.after, page.through, listed)
            applied = await sync.apply_rows(
                self.store, page.rows, page.removed, (entity, page.cursor), span, page.files
            )
            in_memory = session.objects.refs.keys() & set(applied.written)
            held = {i for i in in_memory if session.objects.get(i) is not None}
            objects = server_objects(self.store, page.rows, held) if held else []
        except WireError as error:
            raise SyncError(f"the sync server's answer does not parse: {error}") from None
        session.refresh(self._stored(objects), applied.removed)
        if faults.ACTIVE:
            faults.fault("device.apply.after_page")
        report.downloaded += len(applied.written)
        report.removed += len(applied.removed)
        if page.kept:
            await self._fetch_kept(session, entity, page.kept, report)

    async def _fetch_kept(
        self, session: Session, entity: str, kept: list[str], report: SyncReport
    ) -> None:
        """Objects a complete download lists as unchanged that the device does not hold:
        they became visible through a change elsewhere (a rule that follows an association),
        so they are fetched whole. (Cut off before this, the next download, complete again,
        lists them again.)"""
        missing = await sync.missing_ids(self.store, entity, kept)
        if missing:
            refreshed = await self.transport.refresh(missing)
            applied = await sync.apply_page(self.store, refreshed.objects, refreshed.gone)
            session.refresh(self._stored(applied.written), applied.removed)
            report.downloaded += len(applied.written)
            report.removed += len(applied.removed)

    async def _fetch_files(self) -> None:
        """Fetch the contents of the downloaded file objects whose contents changed (recorded
        as due with their page, so a synchronization cut off before they arrive fetches them
        the next time)."""
        due = await sync.files_due(self.store)
        for start in range(0, len(due), FILES_PER_BATCH):
            contents: dict[str, bytes | None] = {}
            for object_id in due[start : start + FILES_PER_BATCH]:
                try:
                    contents[object_id] = await self.transport.get_file(object_id)
                except SyncError as error:
                    if error.status != 404:
                        raise
                    contents[object_id] = None  # gone for this user: its removal follows
            await sync.files_fetched(self.store, contents)

    async def _selected(self, session: Session, items: list[Any], report: SyncReport) -> None:
        """Selected objects (SYNC.md 4): uncommitted ones skipped, changed ones uploaded and
        refreshed, unchanged ones refreshed, gone ones removed; no deletes are sent and the
        per-entity modes do not apply."""
        objects: dict[str, MxObject] = {}
        for item in items:
            for obj in item if isinstance(item, list) else [item]:
                if isinstance(obj, MxObject) and not obj.removed and obj.committed is not None:
                    objects.setdefault(obj.id, obj)
        if not objects:
            return
        changes = await sync.outgoing(self.store, ids=list(objects), deletes=False)
        await self._upload(session, changes, report)
        unchanged = [i for i in objects if i not in {c.id for c in changes}]
        if unchanged:
            self._check_cancelled()
            await self._progress(Progress("refresh", total=len(unchanged)))
            refreshed = await self.transport.refresh(unchanged)
            applied = await sync.apply_page(self.store, refreshed.objects, refreshed.gone)
            session.refresh(self._stored(applied.written), applied.removed)
            report.downloaded += len(applied.written)
            report.removed += len(applied.removed)


async def stored_failures(store: DeviceStore) -> list[dict[str, Any]]:
    """The refused changes that the store's uploads reported, newest first: `id`, `entity`,
    `kind` (`new`, `changed`, `deleted`), `reason`, `at` (seconds since the epoch)."""
    kept = await store.get_meta("failures")
    return [f for f in kept if isinstance(f, dict)] if isinstance(kept, list) else []
