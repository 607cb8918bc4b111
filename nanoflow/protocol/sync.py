"""The synchronization models (SYNC.md sections 2-4 and 7; LANGUAGE.md 6), all served:
upload, download, refresh, files (`link`), the caller's failures and microflow calls
(docs/sync.md, "protocol").

Member values on the wire (`Scalar`): JSON null for empty, booleans, integers (Integer, Long,
AutoNumber: all 64 bits), and strings for String, enumeration keys, Decimals (plain notation)
and date-times (ISO 8601 UTC with milliseconds); the entity's model says which. References are
ids; reference sets travel as changes (`added`/`removed`) upward and as whole sets downward.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation

from nanoflow.protocol.wire import ObjectId, UtcDateTime, WireModel

Scalar = bool | int | str | None
"""A member value; see the module docstring for how each attribute type travels."""

QualifiedName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")]
"""`Module.Name`: an entity, a microflow."""

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Sequence = Annotated[int, Field(ge=1, le=2**63 - 1)]
Cursor = Annotated[str, Field(min_length=1, max_length=4096)]
"""An opaque download cursor, issued by the server."""


# ---- upload (SYNC.md 3.1-3.2, 1a) -------------------------------------------------------------


class ReferenceSetChange(WireModel):
    """What a device did to a reference set since the last sync: concurrent adds from two
    devices both survive."""

    added: list[ObjectId] = Field(default_factory=list)
    removed: list[ObjectId] = Field(default_factory=list)


class ObjectChange(WireModel):
    """One committed device change. A `new` object carries the members a flow set (never its
    owner, `createdDate` or other system members); a `changed` one only its changed members;
    a `deleted` one no members."""

    id: ObjectId
    entity: QualifiedName
    kind: Literal["new", "changed", "deleted"]
    attributes: dict[str, SkipValidation[Scalar]] = Field(
        default_factory=dict,
        description="Each value `Scalar`; the server checks it against its member's type, a "
        "stricter check than `Scalar` (`nanoflow.server.wire_decoding`).",
    )
    references: dict[str, ObjectId | None] = Field(default_factory=dict)
    reference_sets: dict[str, ReferenceSetChange] = Field(default_factory=dict)
    contents: Sha256 | None = Field(
        default=None, description="Hash of new file contents already sent with PUT /files/{id}."
    )


class UploadRequest(WireModel):
    """One logical upload, identified by (user, device id, sequence) plus the hash the server
    computes over this body: a repeat gets the first answer; another body under a used key
    gets 409. Objects that others reference come first."""

    device_id: ObjectId
    sequence: Sequence
    objects: list[ObjectChange] = Field(max_length=100_000)


class ObjectOutcome(WireModel):
    """What became of one uploaded object. A refused one names the reason and the
    `System.SynchronizationFailure` that keeps its changes."""

    id: ObjectId
    entity: QualifiedName
    status: Literal["applied", "failed"]
    reason: str | None = None
    failure_id: ObjectId | None = None
    state: ObjectState | None = Field(
        default=None,
        description="The object as its uploader may now read it (after event handlers); "
        "null when the server has none for them (deleted, refused as new, not readable).",
    )


class UploadAnswer(WireModel):
    device_id: ObjectId
    sequence: Sequence
    outcomes: list[ObjectOutcome]


# ---- download (SYNC.md 3.3, 3a, 4) -----------------------------------------------------------


class FileInfo(WireModel):
    """File contents of a `System.FileDocument` object: fetched with GET /files/{id}."""

    hash: Sha256
    size: Annotated[int, Field(ge=0)]


class ObjectState(WireModel):
    """An object as the server has it, with only the members its reader may read."""

    id: ObjectId
    entity: QualifiedName
    version: Annotated[int, Field(ge=0)] = Field(description="The server's change sequence.")
    attributes: dict[str, Scalar] = Field(default_factory=dict)
    references: dict[str, ObjectId | None] = Field(default_factory=dict)
    reference_sets: dict[str, list[ObjectId]] = Field(default_factory=dict)
    file: FileInfo | None = None


Row = list[Any]
"""A download row: the object's id, its exact entity, its version, then one value per column
(`null` for members its reader may not read)."""


class DownloadPage(WireModel):
    """One page of an offline entity's download (`GET /download/{entity}?cursor=&limit=`):
    the objects changed since the cursor as rows under `columns` (attribute columns named
    `Module.DeclaringEntity.Attribute`, references and reference sets by their association,
    the union over the entity and its specializations), ids the device must remove, and the
    cursor of the next page.

    `complete` says the pages of this download list every object the user may see (a full
    download, or a re-evaluation after rules, roles, the epoch or a clock-dependent XPath
    changed): after the last page the device removes every object of the entity it holds that
    the pages did not list, except its pending changes. `files` maps the ids of file objects
    whose contents changed to their content hash (fetch them with `GET /files/{id}`).

    `after` and `through` bound the ids a page of a complete download speaks for (pages go by
    id): every object with an id above `after` (null: from the first) up to `through` (null: to
    the last) that the user may see is in `rows` or `kept`. The device removes the others of
    that span with the page, so a download cut off between pages and resumed later removes
    exactly what it must."""

    entity: QualifiedName
    columns: list[str]
    rows: list[Row]
    removed: list[ObjectId] = Field(default_factory=list)
    kept: list[ObjectId] = Field(
        default_factory=list,
        description="In a complete download: objects the user still sees, unchanged since the "
        "cursor (listed by id only).",
    )
    complete: bool = False
    after: ObjectId | None = None
    through: ObjectId | None = None
    files: dict[str, Sha256] = Field(default_factory=dict)
    cursor: Cursor
    more: bool


class RefreshRequest(WireModel):
    """Selected-object refresh (SYNC.md 4, 3a): the server's state of these objects."""

    ids: list[ObjectId] = Field(max_length=10_000)


class RefreshAnswer(WireModel):
    objects: list[ObjectState]
    gone: list[ObjectId] = Field(
        default_factory=list, description="Deleted on the server or no longer readable."
    )


# ---- files (SYNC.md 7) ------------------------------------------------------------------------


class FileLinkRequest(WireModel):
    """Ask the server to reuse contents it already holds for one of this user's objects
    instead of sending the bytes again (never across users)."""

    hash: Sha256
    size: Annotated[int, Field(ge=0)]


class FileStored(WireModel):
    id: ObjectId
    hash: Sha256
    size: Annotated[int, Field(ge=0)]


# ---- failures (SYNC.md 3.2) ----------------------------------------------------------------------


class FailureRecord(WireModel):
    """One of the caller's `System.SynchronizationFailure` records: a change the server
    refused, kept there with what was uploaded."""

    id: ObjectId = Field(description="The failure record's own id.")
    object_id: str = Field(description="`ObjectId`: the refused object's id.")
    entity: str = Field(description="`ObjectType`: the refused object's entity.")
    kind: Literal["new", "changed", "deleted"] | None = Field(
        default=None, description="What the device uploaded (null when the content says not)."
    )
    reason: str
    content: str = Field(description="`ObjectContent`: the uploaded members as JSON.")
    created: UtcDateTime


class FailureList(WireModel):
    """A page of the caller's failures, newest first (`GET /failures?limit=&before=`)."""

    failures: list[FailureRecord]
    more: bool = Field(description="Older failures follow: ask again with `before=cursor`.")
    cursor: Cursor | None = None


# ---- microflow calls (LANGUAGE.md 6, SYNC.md 4a) ------------------------------------------------


class MicroflowCall(WireModel):
    """Primitive arguments by parameter name (no `$`), encoded as member values are."""

    arguments: dict[str, Scalar] = Field(default_factory=dict)


class MicroflowResult(WireModel):
    """The primitive result, and what `synchronize to device` asked to put on the caller's
    device (objects the caller may read) or take off it (objects it may not)."""

    result: Scalar = None
    to_device: list[ObjectState] = Field(default_factory=list)
    removed_from_device: list[ObjectId] = Field(default_factory=list)


ObjectOutcome.model_rebuild()
