"""Unknown query parameters are refused (as unknown body fields are), not silently ignored."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from nanoflow.protocol.errors import ErrorCode, ErrorItem
from nanoflow.server.http_errors import ApiError

_KNOWN: dict[int, frozenset[str]] = {}


def _known(route: APIRoute) -> frozenset[str]:
    names = _KNOWN.get(id(route))
    if names is None:
        names = frozenset(_query_names(route.dependant))
        _KNOWN[id(route)] = names
    return names


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query_only(request: Request) -> None:
    """Answer 422 naming the query parameters the route does not declare."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params.keys()) - _known(route))
    if unknown:
        raise ApiError(
            422,
            ErrorCode.INVALID_REQUEST,
            f"unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            [
                ErrorItem(loc=["query", name], message="not a parameter of this endpoint")
                for name in unknown
            ],
        )
