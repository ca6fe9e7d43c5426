"""Errors as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from regua_platform.errors import DomainError

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("regua.http")


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    instance: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_PARAM = re.compile(r"\{[^}]*\}")


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods ``path`` answers, for a 405's ``Allow``: of every route
    whose template matches it, those of the most specific template (most
    literal characters: ``/v1/x/{id}:cancel`` over ``/v1/x/{id}``). Starlette
    would name only the first route that matched the path."""
    from regua_platform.auth import api_routes  # auth raises our problems

    matched = [(r.path_format, r.methods) for r in api_routes(app) if r.path_regex.match(path)]
    if not matched:
        return []
    literal = max(len(_PARAM.sub("", template)) for template, _ in matched)
    return sorted({m for template, ms in matched if len(_PARAM.sub("", template)) == literal for m in ms})


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            type_=exc.type,
            headers=exc.headers,
            **exc.extensions,
        )

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(
            exc.status, exc.title, exc.detail, instance=request.url.path, **exc.extensions
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope["path"]))
        return problem_response(exc.status_code, detail=detail, instance=request.url.path, headers=headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        return problem_response(
            422,
            "Invalid request",
            "The request does not match the API's schema.",
            instance=request.url.path,
            errors=errors,
        )

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            # The database connection died (a restart, a failover): the pool
            # reconnects, and the caller may retry the request.
            return problem_response(
                503,
                "Service unavailable",
                "The database connection was lost; retry the request.",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        log.error("http.database_error", exc_info=exc, extra={"route": request.url.path})
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(500, detail="An unexpected error occurred.", instance=request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DBAPIError, on_database)
    app.add_exception_handler(Exception, on_unexpected)
