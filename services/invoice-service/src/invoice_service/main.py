"""Composition root of invoice-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from invoice_service.adapters.db.tables import SCHEMA, messaging, metadata
from invoice_service.api.routers import debtors, invoices, settings
from invoice_service.api.routers.invoices import BATCH_PATH
from invoice_service.consumers import HANDLERS
from invoice_service.entrypoints.workers import overdue_scanner
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import BATCH_BODY_LIMIT, Settings
from regua_platform.app import ServiceDefinition, create_app

DEFINITION = ServiceDefinition(
    name="invoice-service",
    schema=SCHEMA,
    title="Régua Invoice service",
    description="Debtors, invoices, amounts due today (late fine and interest), portfolio reports.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class=Settings,
    uow_class=InvoiceUnitOfWork,
    routers=[settings.router, debtors.router, invoices.router],
    handlers=HANDLERS,
    workers=[overdue_scanner],
    body_limits={BATCH_PATH: BATCH_BODY_LIMIT},
)


def app() -> FastAPI:
    """``uvicorn --factory invoice_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
