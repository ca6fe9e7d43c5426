"""Composition root of payments-service: wires its tables, routers, handlers and workers.

The consumer handlers need the charge policy (fallback rates), built from the
settings: :func:`charge_policy`, injected by type. The workers talk to the
tenants' PSPs and banks through the HTTP adapters (:func:`charge_workers`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from payments_service.adapters.db.repositories import GATEWAY_CHANNEL
from payments_service.adapters.db.tables import SCHEMA, messaging, metadata
from payments_service.api.routers import accounts, charges, payments, settings, webhooks
from payments_service.consumers.handlers import HANDLERS
from payments_service.entrypoints.workers import charge_workers
from payments_service.service_layer.charges import ChargePolicy
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.app import Role, ServiceDefinition, create_app
from regua_platform.clock import Clock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def charge_policy(config: Settings) -> ChargePolicy:
    return ChargePolicy(
        fallback_fine_bps=config.fallback_fine_bps,
        fallback_monthly_interest_bps=config.fallback_monthly_interest_bps,
    )


DEFINITION = ServiceDefinition(
    name="payments-service",
    schema=SCHEMA,
    title="Régua Payments service",
    description="Pix and boleto charges, gateway webhooks, payment matching and reversals.",
    metadata=metadata,
    messaging=messaging,
    migrations_dir=MIGRATIONS_DIR,
    settings_class=Settings,
    uow_class=PaymentsUnitOfWork,
    routers=[settings.router, accounts.router, charges.router, payments.router, webhooks.router],
    handlers=HANDLERS,
    dependencies=lambda config: [charge_policy(config)],
    workers=charge_workers(),
    wakeups=(GATEWAY_CHANNEL,),
)


def create_payments_app(config: Settings, *, role: Role = "all", clock: Clock | None = None) -> FastAPI:
    return create_app(DEFINITION, config, role=role, clock=clock)


def app() -> FastAPI:
    """``uvicorn --factory payments_service.main:app``: the API and worker in one process."""
    return create_payments_app(Settings())
