"""Kafka handlers: ``on_<event>_<effect>(event, meta, uow, *dependencies)``, run
inside the transaction the consumer opened after the inbox claim; they never
commit and never call a gateway (the gateway worker does, outside it)."""

from __future__ import annotations

from payments_service.service_layer.charges import (
    ChargePolicy,
    close_charges,
    create_charges_for_invoice,
    remember_debtor,
    revise_charges,
)
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceBalanceChangedV1, InvoiceIssuedV1, InvoiceStatusChangedV1
from regua_platform.handlers import EventMeta


async def on_invoice_issued_create_charges(
    event: InvoiceIssuedV1, meta: EventMeta, uow: PaymentsUnitOfWork, policy: ChargePolicy
) -> None:
    await create_charges_for_invoice(uow, tenant_id=meta.tenant_id, invoice=event, policy=policy)


async def on_invoice_status_changed_remove_charges(
    event: InvoiceStatusChangedV1, meta: EventMeta, uow: PaymentsUnitOfWork, policy: ChargePolicy
) -> None:
    await close_charges(uow, tenant_id=meta.tenant_id, event=event, policy=policy)


async def on_invoice_balance_changed_revise_charges(
    event: InvoiceBalanceChangedV1, meta: EventMeta, uow: PaymentsUnitOfWork
) -> None:
    await revise_charges(uow, tenant_id=meta.tenant_id, event=event)


async def on_debtor_updated_keep_payer(
    event: DebtorUpdatedV1, meta: EventMeta, uow: PaymentsUnitOfWork
) -> None:
    await remember_debtor(uow, tenant_id=meta.tenant_id, event=event)


HANDLERS = (
    on_invoice_issued_create_charges,
    on_invoice_status_changed_remove_charges,
    on_invoice_balance_changed_revise_charges,
    on_debtor_updated_keep_payer,
)
