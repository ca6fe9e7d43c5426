"""The OpenAPI document, made to tell the truth about errors.

Every error is an RFC 9457 ``application/problem+json`` document (schema
``Problem``). Routes declare the errors of their own logic with
:func:`problems` (``responses=problems(404, 409)``); :func:`install_openapi`
adds the ones every route of a kind can give:

- 401 and 403 to routes that need a scope;
- 422 (as a problem, in place of FastAPI's ``HTTPValidationError``) to routes
  that take parameters or a body;
- 413 to routes that take a body (:mod:`regua_platform.limits`), and 431 to all.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from regua_platform.auth import api_routes, declared_access
from regua_platform.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the problem type."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "errors": {
            "type": "array",
            "description": "For 422: each invalid part of the request.",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_DEFAULT_TEXT = {
    400: "The request is malformed.",
    401: "No valid bearer token.",
    403: "The token lacks the scope this route needs.",
    404: "No such resource for this tenant.",
    409: "The request conflicts with the resource's state.",
    413: "The request body is larger than this route accepts.",
    415: "The request body's media type is not accepted.",
    422: "The request does not match the schema, or breaks a rule.",
    429: "Too many requests from this source; retry after `Retry-After` seconds.",
    431: "A request header, or the number of headers, is too large.",
    503: "A dependency is unavailable; retry after `Retry-After` seconds.",
}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    """One OpenAPI response object: a problem document with ``status``."""
    return {
        "description": description or _DEFAULT_TEXT.get(status) or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }


def problems(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose own logic answers ``statuses`` with a
    problem; ``described`` overrides a description (``_409="…"``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = problem_response(status, described.get(f"_{status}"))
    return out


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that adds the errors every route of a
    kind can give, all as problem documents."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        document_errors(app, schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(app: FastAPI, schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    paths = schema.get("paths", {})
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        access = declared_access(route)
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
            wanted: list[int] = [431]
            if access is not None and access.scope is not None:
                wanted += [401, 403]
            if takes_input:
                wanted.append(422)
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                wanted.append(413)
            for status in wanted:
                key = str(status)
                if key not in responses or "HTTPValidationError" in str(responses[key]):
                    responses[key] = problem_response(status)
            if "application/json" in body and "400" not in responses:
                responses["400"] = problem_response(400, "The body is not JSON.")
            for key, response in responses.items():
                if key.startswith(("4", "5")) and "content" not in response:
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                elif key.startswith(("4", "5")):
                    content = response["content"]
                    json_body = content.pop("application/json", None)
                    if PROBLEM_JSON not in content:
                        content[PROBLEM_JSON] = json_body or {"schema": PROBLEM_REF}
                    if content[PROBLEM_JSON].get("schema") in (None, {}):
                        content[PROBLEM_JSON]["schema"] = PROBLEM_REF
