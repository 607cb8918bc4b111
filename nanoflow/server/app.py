"""The sync server's FastAPI app: `create_app(app, db)`.

Served: `POST /api/v1/login`, `GET /api/v1/session`, `POST /api/v1/microflows/{name}` and
`/openapi.json` (public). Every other
endpoint needs `Authorization: Bearer <token>` (the `authenticated` dependency). A path under
another API version answers 404 with the code `api_version`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Match

from nanoflow.compiler import App
from nanoflow.protocol import (
    API_PREFIX,
    API_VERSION,
    ErrorBody,
    ErrorCode,
    LoginAnswer,
    LoginRequest,
    SessionAnswer,
)
from nanoflow.protocol.sync import MicroflowCall, MicroflowResult, UploadRequest
from nanoflow.server import http_errors
from nanoflow.server.database import ServerDatabase
from nanoflow.server.execution import Caller
from nanoflow.server.http_errors import ApiError
from nanoflow.server.json_bodies import describe_bodies
from nanoflow.server.limits import DEFAULT_MAX_BODY, BodyLimit
from nanoflow.server.microflows import call_microflow
from nanoflow.server.routes_sync import sync_router
from nanoflow.server.sessions import (
    Authenticated,
    Clock,
    LoginFailed,
    Sessions,
    Unauthenticated,
    UserInactive,
    utc_now,
)
from nanoflow.server.strict_query import known_query_only

_bearer = HTTPBearer(auto_error=False, description="The token of `POST /api/v1/login`.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nanoflow"'}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 413, 422)
}


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def authenticated(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Authenticated:
    """The caller's session, from its bearer token; 401 with the reason otherwise."""
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError(
            401,
            ErrorCode.UNAUTHENTICATED,
            f"this endpoint needs `Authorization: Bearer <token>`; log in at {API_PREFIX}/login",
            headers=_CHALLENGE,
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            ErrorCode.INVALID_TOKEN,
            "the Authorization header must be `Bearer <token>`",
            headers=_CHALLENGE,
        )
    try:
        return await _sessions(request).authenticate(token.strip())
    except Unauthenticated as error:
        raise ApiError(401, ErrorCode(error.code), str(error), headers=_CHALLENGE) from None


def create_app(
    app: App,
    db: ServerDatabase,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    clock: Clock = utc_now,
) -> FastAPI:
    """The server for a compiled app on an open database (the caller closes it)."""
    api = FastAPI(
        title="Nanoflow sync server",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    api.state.app = app
    api.state.db = db
    api.state.sessions = Sessions(db, clock)
    http_errors.install(api)
    api.add_middleware(BodyLimit, limit=max_body_bytes)
    router = APIRouter(
        prefix=API_PREFIX, responses=_ERRORS, dependencies=[Depends(known_query_only)]
    )

    @router.post("/login", response_model=LoginAnswer, summary="Log in; get a token")
    async def login(body: LoginRequest, request: Request) -> LoginAnswer:
        try:
            return await _sessions(request).login(body)
        except LoginFailed:
            raise ApiError(
                401, ErrorCode.LOGIN_FAILED, "the user name or password is incorrect"
            ) from None
        except UserInactive:
            raise ApiError(
                403, ErrorCode.USER_INACTIVE, f"user `{body.user}` is not active"
            ) from None

    @router.get("/session", response_model=SessionAnswer, summary="Who the token's bearer is")
    async def session(
        request: Request, current: Annotated[Authenticated, Depends(authenticated)]
    ) -> SessionAnswer:
        return _sessions(request).answer(current)

    @router.post(
        "/microflows/{name}",
        response_model=MicroflowResult,
        summary="Call a microflow (one with `allow` roles) with primitive arguments",
        responses={404: {"model": ErrorBody}},
    )
    async def microflow(
        name: str,
        body: MicroflowCall,
        current: Annotated[Authenticated, Depends(authenticated)],
    ) -> MicroflowResult:
        return await call_microflow(db, Caller.of(current.user, app), name, body)

    api.include_router(router)
    api.include_router(
        sync_router(app, db, authenticated),
        prefix=API_PREFIX,
        responses=_ERRORS,
        dependencies=[Depends(known_query_only)],
    )

    describe_bodies(api, [UploadRequest])

    @api.api_route(
        "/api/{version}/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def unknown(request: Request, version: str, rest: str) -> None:
        if version != API_VERSION:
            raise ApiError(
                404,
                ErrorCode.API_VERSION,
                f"this server speaks API {API_VERSION} ({API_PREFIX}/...), not `{version}`",
            )
        allowed = sorted(
            method
            for route in router.routes
            if isinstance(route, APIRoute) and route.matches(request.scope)[0] == Match.PARTIAL
            for method in route.methods or ()
        )
        if allowed:
            raise ApiError(
                405,
                ErrorCode.METHOD_NOT_ALLOWED,
                f"{API_PREFIX}/{rest} takes {', '.join(allowed)}, not {request.method}",
                headers={"Allow": ", ".join(allowed)},
            )
        raise ApiError(404, ErrorCode.NOT_FOUND, f"no endpoint {API_PREFIX}/{rest}")

    return api
