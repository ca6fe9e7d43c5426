"""Kafka handlers: ``on_<event>_<effect>(envelope, uow)``, run inside the
transaction the consumer opened after the inbox claim; they never commit."""

from __future__ import annotations

from typing import Any

from payments_service.service_layer.charges import ChargeDefaults, create_charges_for_invoice
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts import Envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_platform.consumer import Handler, Handlers


def build_handlers(defaults: ChargeDefaults) -> Handlers:
    """The handler table, bound to the service's charge defaults."""

    async def on_invoice_issued_create_charges(envelope: Envelope, uow: Any, /) -> None:
        payload = envelope.payload
        assert isinstance(payload, InvoiceIssuedV1)
        assert isinstance(uow, PaymentsUnitOfWork)
        await create_charges_for_invoice(uow, tenant_id=envelope.tenantid, invoice=payload, defaults=defaults)

    handler: Handler = on_invoice_issued_create_charges
    return {"br.regua.invoice.issued.v1": [handler]}
