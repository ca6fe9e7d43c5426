"""The five services' definitions, and settings to build them with offline
(no environment, no infrastructure): for tests that read what a service
declares (its handlers, its route table) without running it."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet

from regua_platform.app import RouteAccess, ServiceDefinition, route_table
from regua_platform.settings import AuthSettings, ServiceSettings


def definitions() -> tuple[ServiceDefinition[Any, Any], ...]:
    from invoice_service.main import DEFINITION as invoice
    from negotiation_service.main import DEFINITION as negotiation
    from notifier_service.main import DEFINITION as notifier
    from payments_service.main import DEFINITION as payments
    from scheduler_service.main import DEFINITION as scheduler

    return (invoice, scheduler, notifier, negotiation, payments)


def offline_settings(definition: ServiceDefinition[Any, Any]) -> ServiceSettings:
    """Throw-away keys for the settings a service refuses to start without."""
    secrets: dict[str, object] = {
        "portal_keys": ["k" * 44],
        "encryption_keys": [Fernet.generate_key().decode()],
    }
    fields = definition.settings_class.model_fields
    keys = {name: value for name, value in secrets.items() if name in fields}
    settings: ServiceSettings = definition.settings_class(auth=AuthSettings(jwt_secret="x" * 40), **keys)
    return settings


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
