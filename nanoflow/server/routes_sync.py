"""The sync endpoints (SYNC.md 3-4, 7): upload, download, refresh, file contents, the
caller's failures."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at run time,
# and they name the `authenticated` dependency of the enclosing function.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import text

from nanoflow.compiler import App
from nanoflow.protocol.errors import ErrorBody, ErrorCode
from nanoflow.protocol.sync import (
    DownloadPage,
    FailureList,
    FileLinkRequest,
    FileStored,
    RefreshAnswer,
    RefreshRequest,
    UploadAnswer,
    UploadRequest,
)
from nanoflow.protocol.wire import API_PREFIX, ObjectId
from nanoflow.runtime import faults
from nanoflow.runtime.program import Program
from nanoflow.server.access import AccessRules, UserAccess
from nanoflow.server.contents import Contents
from nanoflow.server.database import ServerDatabase
from nanoflow.server.downloads import MAX_PAGE, Downloads
from nanoflow.server.failures import MAX_FAILURES, list_failures
from nanoflow.server.http_errors import ApiError
from nanoflow.server.json_bodies import body_openapi, read_body
from nanoflow.server.sessions import Authenticated
from nanoflow.server.states import object_state
from nanoflow.server.store import ServerStore
from nanoflow.server.uploads import Uploads, payload_hash


def sync_router(
    app: App, db: ServerDatabase, authenticated: Callable[..., Awaitable[Authenticated]]
) -> APIRouter:
    """The sync endpoints of one app's server (`authenticated`: the bearer-token dependency)."""
    program = Program.of(app)
    rules = AccessRules(app.names)
    uploads = Uploads(program, db, rules)
    downloads = Downloads(db, rules, app.names)
    router = APIRouter()

    @router.post(
        "/upload",
        response_model=UploadAnswer,
        summary="Upload committed changes",
        openapi_extra=body_openapi(UploadRequest),
    )
    async def upload(
        request: Request, caller: Annotated[Authenticated, Depends(authenticated)]
    ) -> Response:
        body, data = await read_body(request, UploadRequest)
        if body.device_id != caller.device_id:
            raise ApiError(
                403, ErrorCode.FORBIDDEN, "an upload must carry the device id of its token"
            )
        answer = await uploads.apply(caller.user, body, payload_hash(data))
        return Response(answer, media_type="application/json")

    @router.get("/download/{entity}", response_model=DownloadPage, summary="One page of an entity")
    async def download(
        entity: str,
        caller: Annotated[Authenticated, Depends(authenticated)],
        cursor: Annotated[str | None, Query(max_length=4096)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 5000,
    ) -> Response:
        page = await downloads.page(caller.user, entity, cursor, limit)
        return Response(page, media_type="application/json")

    @router.post("/refresh", response_model=RefreshAnswer, summary="Selected objects")
    async def refresh(
        body: RefreshRequest, caller: Annotated[Authenticated, Depends(authenticated)]
    ) -> RefreshAnswer:
        return await downloads.refresh(caller.user, list(body.ids))

    async def file_target(store: ServerStore, caller: Authenticated, object_id: str) -> None:
        """Whether the caller may give this object contents: a stored object must be a file
        object they may read (its row is stamped so other devices fetch the new contents); an
        object not uploaded yet may only get contents from the user who sent its first ones."""
        where = await store.exists([object_id])
        if object_id in where:
            access = UserAccess(rules, caller.user.id, caller.user.roles)
            layout = store.schema.layout(where[object_id])
            if (
                not layout.is_file
                or await object_state(store, access, where[object_id], object_id) is None
            ):
                raise ApiError(404, ErrorCode.NOT_FOUND, f"no file object {object_id}")
            seq = await store.sequence()
            await store.conn.execute(
                text(f"UPDATE {layout.table.sql} SET _seq = :seq WHERE id = :id"),
                {"seq": seq, "id": object_id},
            )
            return
        stored = await Contents(db.tables, store.conn).of(object_id)
        if stored is not None and stored.user_id != caller.user.id:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"no file object {object_id}")

    @router.put("/files/{object_id}", status_code=204, summary="Store file contents")
    async def put_file(
        object_id: ObjectId,
        request: Request,
        caller: Annotated[Authenticated, Depends(authenticated)],
    ) -> Response:
        data = await request.body()
        if faults.ACTIVE:
            faults.fault("server.files.put")
        async with db.write() as conn:
            store = ServerStore(db, conn)
            await file_target(store, caller, object_id)
            await store.write_file(object_id, data, caller.user.id)
        return Response(status_code=204)

    @router.post(
        "/files/{object_id}/link",
        response_model=FileStored,
        summary="Reuse contents this user sent before instead of sending the bytes again",
        responses={404: {"model": ErrorBody}},
    )
    async def link_file(
        object_id: ObjectId,
        body: FileLinkRequest,
        caller: Annotated[Authenticated, Depends(authenticated)],
    ) -> FileStored:
        async with db.write() as conn:
            store = ServerStore(db, conn)
            await file_target(store, caller, object_id)
            seq = await store.sequence()
            contents = Contents(db.tables, conn)
            stored = await contents.link(object_id, body.hash, body.size, caller.user.id, seq)
            if stored is None:
                raise ApiError(
                    404,
                    ErrorCode.NOT_FOUND,
                    "no contents with this hash among yours: send the bytes "
                    f"(PUT {API_PREFIX}/files/{object_id})",
                )
        return FileStored(id=object_id, hash=stored.hash, size=stored.size)

    @router.get("/files/{object_id}", summary="File contents")
    async def get_file(
        object_id: ObjectId, caller: Annotated[Authenticated, Depends(authenticated)]
    ) -> Response:
        async with db.read() as conn:
            store = ServerStore(db, conn)
            where = await store.exists([object_id])
            access = UserAccess(rules, caller.user.id, caller.user.roles)
            entity = where.get(object_id)
            if entity is None or await object_state(store, access, entity, object_id) is None:
                raise ApiError(404, ErrorCode.NOT_FOUND, f"no file object {object_id}")
            data = await store.read_file(object_id)
        if data is None:
            return Response(status_code=204)
        return Response(data, media_type="application/octet-stream")

    @router.get(
        "/failures",
        response_model=FailureList,
        summary="The caller's own synchronization failures, newest first",
    )
    async def failures(
        caller: Annotated[Authenticated, Depends(authenticated)],
        limit: Annotated[int, Query(ge=1, le=MAX_FAILURES)] = 100,
        before: Annotated[str | None, Query(max_length=80)] = None,
    ) -> FailureList:
        return await list_failures(db, caller.user.id, limit, before)

    return router
