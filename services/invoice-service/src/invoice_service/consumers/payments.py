"""Payment events: money in (``payment.received``) and money back (``payment.reversed``)."""

from __future__ import annotations

from invoice_service.service_layer.payments import apply_payment_received, apply_payment_reversed
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1
from regua_platform.handlers import EventMeta


async def on_payment_received_apply_to_invoice(
    event: PaymentReceivedV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_payment_received(uow, meta, event)


async def on_payment_reversed_reopen_invoice(
    event: PaymentReversedV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_payment_reversed(uow, meta, event)
