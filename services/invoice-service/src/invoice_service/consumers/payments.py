"""Payment events: money in (``payment.received``) and money back (``payment.reversed``)."""

from __future__ import annotations

from invoice_service.service_layer.payments import apply_payment_received, apply_payment_reversed
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts import Envelope
from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1


async def on_payment_received_apply_to_invoice(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, PaymentReceivedV1)
    await apply_payment_received(uow, envelope, payload)


async def on_payment_reversed_reopen_invoice(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, PaymentReversedV1)
    await apply_payment_reversed(uow, envelope, payload)
