"""Composition root of notifier-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from notifier_service.adapters.db.tables import SCHEMA, messaging, metadata
from notifier_service.api.routers import creditor, messages, templates
from notifier_service.consumers.handlers import HANDLERS
from notifier_service.entrypoints.sender import send_deliveries
from notifier_service.service_layer.sender import DELIVERIES_READY
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_contracts.topics import DUNNING_STEP_DUE, INVOICE_EVENTS, PAYMENT_EVENTS
from regua_platform.app import ServiceDefinition, create_app
from regua_platform.handlers import Lane

DEFINITION = ServiceDefinition(
    name="notifier-service",
    schema=SCHEMA,
    title="Régua Notifier service",
    description="pt-BR templates, channel providers (e-mail, SMS, WhatsApp, voice), consent and delivery.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class=Settings,
    uow_class=NotifierUnitOfWork,
    routers=[templates.router, messages.router, creditor.router],
    handlers=HANDLERS,
    lanes=(
        # Knowledge of a payment never waits behind the step-due burst (docs/stop-on-pay.md).
        Lane("priority", (INVOICE_EVENTS, PAYMENT_EVENTS), urgent=True),
        Lane("bulk", (DUNNING_STEP_DUE,)),
    ),
    workers=[send_deliveries],
    wakeups=(DELIVERIES_READY,),
)


def app() -> FastAPI:
    """``uvicorn --factory notifier_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
