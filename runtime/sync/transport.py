"""What the device's synchronization needs from the server, in runtime terms.

The HTTP client (`runtime/sync/http.py`) implements it over the wire protocol
(`nanoflow/protocol`), for a `nanoflow serve` process or the embedded server in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from nanoflow.runtime.store.columnar import WireRows
from nanoflow.runtime.store.sync import Outgoing, ServerObject


@dataclass(slots=True)
class Outcome:
    """What the server did with one uploaded change: `applied`, or `failed` with the reason
    (the change is kept in `System.SynchronizationFailure`); `state` is the object as the
    user may now read it (None: deleted, refused as new, or no longer readable)."""

    id: str
    status: Literal["applied", "failed"]
    reason: str | None = None
    state: ServerObject | None = None


@dataclass(slots=True)
class DownloadedPage:
    """One page of one entity's download: its objects as the server sent them (converted when
    they are applied, `sync.apply_rows`)."""

    rows: WireRows
    removed: list[str]
    cursor: str
    more: bool
    complete: bool = False
    """The pages of this download list every object the user may see: after the last page,
    the device removes the other objects of the entity (except its pending changes)."""
    files: dict[str, str] = field(default_factory=dict)
    """Object id → content hash of files whose contents changed on the server."""
    kept: list[str] = field(default_factory=list)
    """In a complete download: ids of objects the user still sees, unchanged."""
    after: str | None = None
    through: str | None = None
    """In a complete download: the ids this page speaks for (above `after`, up to
    `through`; None: unbounded)."""


@dataclass(slots=True)
class Refreshed:
    """The server's state of selected objects, and the ids it no longer has for this user."""

    objects: list[ServerObject]
    gone: list[str]


@dataclass(slots=True)
class MicroflowAnswer:
    """A microflow's result as a wire value, and what its `synchronize to device` sent: objects
    to put on the device and ids to take off it."""

    result: Any
    to_device: list[ServerObject] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class SyncTransport(Protocol):
    """The sync endpoints, seen from the device."""

    def encode_upload(self, device_id: str, sequence: int, changes: Sequence[Outgoing]) -> str:
        """The body of an upload (the device records it before sending it)."""

    async def upload(self, body: str) -> list[Outcome]:
        """Send an upload: a repeat of the same body (same device id and sequence) gets the
        first answer and applies nothing twice."""

    async def download(self, entity: str, cursor: str | None, limit: int) -> DownloadedPage:
        """The next page of an offline entity's objects changed since `cursor`."""

    async def refresh(self, ids: Sequence[str]) -> Refreshed:
        """The server's state of these objects."""

    async def put_file(self, object_id: str, data: bytes) -> None:
        """Send the contents of a file object."""

    async def get_file(self, object_id: str) -> bytes | None:
        """The contents of a file object (None when it has none)."""

    async def call_microflow(self, name: str, arguments: dict[str, Any]) -> MicroflowAnswer:
        """Run a microflow for this user with wire-encoded arguments."""

    async def failures(self, limit: int) -> list[dict[str, Any]]:
        """This user's failure records on the server, newest first (at most `limit`), each
        as `stored_failures` lists them plus `failure_id`."""
