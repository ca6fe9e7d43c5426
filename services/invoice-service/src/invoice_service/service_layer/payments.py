"""Applying payment events to invoices. Run inside the consumer's transaction.

A payment whose invoice is unknown to its tenant (or belongs to another
tenant) cannot be applied, and retrying will not change that: it is recorded
in ``unmatched_payment_events`` for reconciliation and logged by ids only,
instead of being retried into the dead-letter topic.
"""

from __future__ import annotations

import logging
from uuid import UUID

from invoice_service.domain.invoices import REASON_PAYMENT_RECEIVED, REASON_PAYMENT_REVERSED
from invoice_service.service_layer.invoices import reconcile_payments
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1
from regua_platform.handlers import EventMeta

log = logging.getLogger("invoice.payments")


async def apply_payment_received(uow: InvoiceUnitOfWork, meta: EventMeta, payment: PaymentReceivedV1) -> None:
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    invoice = await uow.invoices.get(tenant_id, payment.invoice_id, for_update=True)
    if invoice is None:
        await _unmatched(uow, meta, payment.invoice_id, payment.payment_id, payment.amount_cents)
        return
    settings = await uow.tenant_settings.get(tenant_id)
    inserted = await uow.payments.add_if_absent(
        {
            "payment_id": payment.payment_id,
            "tenant_id": tenant_id,
            "invoice_id": invoice.id,
            "method": payment.method,
            "amount_cents": payment.amount_cents,
            "gateway_reference": payment.gateway_reference,
            "paid_at": payment.paid_at,
            # CC art. 354 imputes a payment on the day it was made, in the tenant's zone.
            "paid_on": settings.local_date(payment.paid_at),
            "recorded_at": now,
        }
    )
    if not inserted:
        log.info("invoice.payment.duplicate", extra={"payment_id": str(payment.payment_id)})
        return
    updated = await reconcile_payments(
        uow, invoice, settings=settings, reason=REASON_PAYMENT_RECEIVED, now=now
    )
    log.info(
        "invoice.payment.applied",
        extra={
            "invoice_id": str(invoice.id),
            "payment_id": str(payment.payment_id),
            "status": updated.status,
        },
    )


async def apply_payment_reversed(
    uow: InvoiceUnitOfWork, meta: EventMeta, reversal: PaymentReversedV1
) -> None:
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    invoice = await uow.invoices.get(tenant_id, reversal.invoice_id, for_update=True)
    payment = await uow.payments.get_for_update(tenant_id, reversal.payment_id)
    if invoice is None or payment is None or payment.invoice_id != invoice.id:
        await _unmatched(uow, meta, reversal.invoice_id, reversal.payment_id, reversal.amount_cents)
        return
    # Never subtract more than is left of the payment (a refund after a chargeback, say).
    applied = min(reversal.amount_cents, payment.reversible_cents)
    inserted = await uow.payments.add_reversal_if_absent(
        {
            "reversal_id": reversal.reversal_id,
            "payment_id": reversal.payment_id,
            "kind": reversal.kind,
            "amount_cents": reversal.amount_cents,
            "applied_cents": applied,
            "reversed_at": reversal.reversed_at,
            "recorded_at": now,
        }
    )
    if not inserted or applied == 0:
        return
    await uow.payments.add_reversed(tenant_id, reversal.payment_id, applied)
    settings = await uow.tenant_settings.get(tenant_id)
    await reconcile_payments(uow, invoice, settings=settings, reason=REASON_PAYMENT_REVERSED, now=now)
    log.info(
        "invoice.payment.reversed",
        extra={"invoice_id": str(invoice.id), "payment_id": str(reversal.payment_id)},
    )


async def _unmatched(
    uow: InvoiceUnitOfWork, meta: EventMeta, invoice_id: UUID, payment_id: UUID, amount_cents: int
) -> None:
    await uow.payments.record_unmatched(
        {
            "event_id": meta.id,
            "event_type": meta.type,
            "tenant_id": meta.tenant_id,
            "invoice_id": invoice_id,
            "payment_id": payment_id,
            "amount_cents": amount_cents,
            "reason": "no such invoice or payment for this tenant",
            "recorded_at": uow.clock.now(),
        }
    )
    log.warning(
        "invoice.payment.unmatched",
        extra={"event_id": meta.id, "invoice_id": str(invoice_id), "payment_id": str(payment_id)},
    )
