"""Composition root of payments-service: wires its tables, routers, handlers and workers.

The consumer handlers need the charge defaults (the default Pix account, the
boleto bank), built from the settings: :func:`charge_defaults`, injected by type.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from payments_service.adapters.db.tables import SCHEMA, messaging, metadata
from payments_service.api.routers import charges, payments, settings, webhooks
from payments_service.consumers.handlers import HANDLERS
from payments_service.domain.charges import BoletoAccount, PixAccount
from payments_service.service_layer.charges import ChargeDefaults
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.app import Role, ServiceDefinition, create_app
from regua_platform.clock import Clock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def charge_defaults(config: Settings) -> ChargeDefaults:
    return ChargeDefaults(
        pix=PixAccount(config.default_pix_key, config.default_merchant_name, config.default_merchant_city),
        boleto=BoletoAccount(config.boleto_bank_code, config.boleto_free_field_prefix),
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
    routers=[settings.router, charges.router, payments.router, webhooks.router],
    handlers=HANDLERS,
    dependencies=lambda config: [charge_defaults(config)],
)


def create_payments_app(config: Settings, *, role: Role = "all", clock: Clock | None = None) -> FastAPI:
    return create_app(DEFINITION, config, role=role, clock=clock)


def app() -> FastAPI:
    """``uvicorn --factory payments_service.main:app``: the API and worker in one process."""
    return create_payments_app(Settings())
