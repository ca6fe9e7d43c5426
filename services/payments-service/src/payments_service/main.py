"""Composition root of payments-service: wires its tables, routers, handlers and workers.

The consumer handlers need the settings (the default Pix account, the boleto
bank), so the definition is built from them: :func:`build_definition`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from payments_service.adapters.db.tables import SCHEMA, messaging, metadata
from payments_service.api.routers import charges, payments, settings, webhooks
from payments_service.consumers.handlers import build_handlers
from payments_service.domain.charges import BoletoAccount, PixAccount
from payments_service.service_layer.charges import ChargeDefaults
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_contracts.topics import INVOICE_EVENTS
from regua_platform.app import Role, ServiceDefinition, create_app
from regua_platform.clock import Clock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def charge_defaults(config: Settings) -> ChargeDefaults:
    return ChargeDefaults(
        pix=PixAccount(config.default_pix_key, config.default_merchant_name, config.default_merchant_city),
        boleto=BoletoAccount(config.boleto_bank_code, config.boleto_free_field_prefix),
    )


def build_definition(config: Settings) -> ServiceDefinition:
    return ServiceDefinition(
        name="payments-service",
        schema=SCHEMA,
        title="Régua Payments service",
        description="Pix and boleto charges, gateway webhooks, payment matching and reversals.",
        metadata=metadata,
        messaging=messaging,
        migrations_dir=MIGRATIONS_DIR,
        uow_class=PaymentsUnitOfWork,
        routers=[settings.router, charges.router, payments.router, webhooks.router],
        subscriptions=[INVOICE_EVENTS],
        handlers=build_handlers(charge_defaults(config)),
    )


def create_payments_app(config: Settings, *, role: Role = "all", clock: Clock | None = None) -> FastAPI:
    return create_app(build_definition(config), config, role=role, clock=clock)


def app() -> FastAPI:
    """``uvicorn --factory payments_service.main:app``: the API and worker in one process."""
    return create_payments_app(Settings())
