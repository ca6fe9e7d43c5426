"""Composition root of payments-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from payments_service.adapters.db.tables import SCHEMA, messaging, metadata
from payments_service.settings import Settings
from regua_platform.app import ServiceDefinition, create_app

DEFINITION = ServiceDefinition(
    name="payments-service",
    schema=SCHEMA,
    title="Régua Payments service",
    description="Pix and boleto charges, gateway webhooks, payment matching and reversals.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
)


def app() -> FastAPI:
    """``uvicorn --factory payments_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
