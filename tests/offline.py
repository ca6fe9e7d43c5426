"""Route tables and OpenAPI documents of the five services, built offline
(see ``regua_devtools.offline``)."""

from __future__ import annotations

from typing import Any

from regua_devtools.offline import definitions, offline_settings
from regua_platform.app import RouteAccess, route_table

__all__ = ["definitions", "offline_settings", "openapi_documents", "route_tables"]


def route_tables() -> dict[str, list[RouteAccess]]:
    """Each service's routes, with the access each declares."""
    return {d.name: route_table(d, offline_settings(d)) for d in definitions()}


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, as ``/openapi.json`` serves it (built
    from the routers alone: no process, no database)."""
    from fastapi import FastAPI

    from regua_platform.openapi import install_openapi

    documents = {}
    for d in definitions():
        app = FastAPI(title=d.title, version=d.version)
        for router in d.routers:
            app.include_router(router)
        install_openapi(app)
        documents[d.name] = app.openapi()
    return documents
