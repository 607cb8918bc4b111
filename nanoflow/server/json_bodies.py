"""Request bodies an endpoint parses itself: large uploads are validated by pydantic straight
from the JSON bytes with the cyclic collector paused (tens of thousands of models, all acyclic),
instead of FastAPI's `json.loads` and validation of the Python objects. Errors are the ones
FastAPI raises (`RequestValidationError`, `loc` under `body`), so clients see the same answers,
and `/openapi.json` describes the body as FastAPI would (`body_openapi`, `describe_bodies`)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from nanoflow.gc_pause import gc_paused
from nanoflow.server.http_errors import is_json

ModelT = TypeVar("ModelT", bound=BaseModel)
_REF = "#/components/schemas/{model}"


def parse_body(model: type[ModelT], data: bytes) -> ModelT:
    """The body as `model`; what does not validate raises FastAPI's `RequestValidationError`."""
    if not data.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        with gc_paused():
            return model.model_validate_json(data)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


async def read_body(request: Request, model: type[ModelT]) -> tuple[ModelT, bytes]:
    """The request's body as `model`, and its bytes. A body not sent as JSON is refused as
    FastAPI refuses it (answered 415 by `http_errors`)."""
    data = await request.body()
    if not is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [{"type": "model_attributes_type", "loc": ("body",), "msg": "Input should be an "
              "object", "input": None}]
        )  # fmt: skip
    return parse_body(model, data), data


def body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` of a route that reads a JSON body of `model` itself."""
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"content": {"application/json": {"schema": schema}}, "required": True}}


def describe_bodies(api: FastAPI, models: list[type[BaseModel]]) -> None:
    """Put the schemas of these body models (and the models they use) among the OpenAPI
    document's components, as FastAPI does for the bodies it parses."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = generate()
            _key, found = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in found.get("$defs", {}).items():
                schemas.setdefault(name, schema)
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
