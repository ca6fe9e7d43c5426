"""Composition root of negotiation-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from negotiation_service.adapters.db.tables import SCHEMA, messaging, metadata
from negotiation_service.api.portal import endpoints as portal
from negotiation_service.api.routers import agreements, offers, portal_links, portal_settings
from negotiation_service.consumers import HANDLERS
from negotiation_service.entrypoints.workers import agreement_breaker
from negotiation_service.service_layer.keys import PortalKeys
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from negotiation_service.settings import Settings
from regua_platform.app import ServiceDefinition, create_app

DEFINITION = ServiceDefinition(
    name="negotiation-service",
    schema=SCHEMA,
    title="Régua Negotiation service",
    description="Renegotiation offers, agreements and the debtor self-service portal.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class=Settings,
    uow_class=NegotiationUnitOfWork,
    routers=[offers.router, agreements.router, portal_settings.router, portal_links.router, portal.router],
    handlers=HANDLERS,
    dependencies=lambda settings: [PortalKeys.of(settings)],
    workers=[agreement_breaker],
)


def app() -> FastAPI:
    """``uvicorn --factory negotiation_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
