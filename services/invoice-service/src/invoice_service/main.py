"""Composition root of invoice-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from invoice_service.adapters.db.tables import SCHEMA, messaging, metadata
from invoice_service.settings import Settings
from regua_platform.app import ServiceDefinition, create_app

DEFINITION = ServiceDefinition(
    name="invoice-service",
    schema=SCHEMA,
    title="Régua Invoice service",
    description="Debtors, invoices, amounts due today (late fine and interest), portfolio reports.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
)


def app() -> FastAPI:
    """``uvicorn --factory invoice_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
