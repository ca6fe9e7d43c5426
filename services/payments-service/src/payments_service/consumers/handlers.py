"""Kafka handlers: ``on_<event>_<effect>(event, meta, uow, *dependencies)``, run
inside the transaction the consumer opened after the inbox claim; they never commit."""

from __future__ import annotations

from payments_service.service_layer.charges import ChargeDefaults, create_charges_for_invoice
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_platform.handlers import EventMeta


async def on_invoice_issued_create_charges(
    event: InvoiceIssuedV1, meta: EventMeta, uow: PaymentsUnitOfWork, defaults: ChargeDefaults
) -> None:
    await create_charges_for_invoice(uow, tenant_id=meta.tenant_id, invoice=event, defaults=defaults)


HANDLERS = (on_invoice_issued_create_charges,)
