"""Composition root of scheduler-service: wires its tables, routers, handlers and workers."""

from pathlib import Path

from fastapi import FastAPI

from regua_contracts.topics import AGREEMENT_EVENTS, INVOICE_EVENTS, NOTIFICATION_EVENTS, PAYMENT_EVENTS
from regua_platform.app import ServiceDefinition, create_app
from regua_platform.handlers import Lane
from scheduler_service.adapters.db.tables import SCHEMA, messaging, metadata
from scheduler_service.api.routers import policies, timeline
from scheduler_service.consumers.handlers import HANDLERS
from scheduler_service.service_layer.timer import run_timer
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork
from scheduler_service.settings import Settings

DEFINITION = ServiceDefinition(
    name="scheduler-service",
    schema=SCHEMA,
    title="Régua Scheduler service",
    description="Dunning policies (the régua), per-invoice plans of steps and the durable timer.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=Path(__file__).parent / "migrations",
    settings_class=Settings,
    uow_class=SchedulerUnitOfWork,
    routers=[policies.router, timeline.router],
    handlers=HANDLERS,
    lanes=(
        # Stopping steps on payment never waits behind the outcomes of a burst
        # of sends (docs/stop-on-pay.md).
        Lane("priority", (INVOICE_EVENTS, PAYMENT_EVENTS, AGREEMENT_EVENTS)),
        Lane("bulk", (NOTIFICATION_EVENTS,)),
    ),
    workers=[run_timer],
)


def app() -> FastAPI:
    """``uvicorn --factory scheduler_service.main:app``: the API and worker in one process."""
    return create_app(DEFINITION, Settings())
