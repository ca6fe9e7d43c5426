"""Use cases of money received and given back: record a payment once per gateway
reference, reverse it never beyond what was paid, keep what cannot be matched
for reconciliation."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal
from uuid import UUID, uuid4

from payments_service.domain.charges import Method
from payments_service.domain.payments import Reversal, ReversalKind
from payments_service.domain.webhooks import (
    PIX_REFUND_DONE,
    ChargeMatch,
    ItemResult,
    PixReceived,
    Provider,
    WebhookRejection,
)
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1
from regua_platform.errors import NotFound, RuleViolated

log = logging.getLogger("payments.webhooks")


class UnknownPaymentError(NotFound):
    """No payment of this tenant has that id."""

    def __init__(self) -> None:
        super().__init__("No such payment.")


class ReversalExceedsPaidError(RuleViolated):
    """A reversal above what is left of the payment; the problem document says
    how much may still be reversed (``refundable_cents``)."""

    title = "Refund exceeds payment"

    def __init__(self, refundable: int) -> None:
        super().__init__(
            f"only {refundable} centavos of this payment can still be reversed", refundable_cents=refundable
        )
        self.refundable = refundable


async def record_rejection(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    provider: Provider,
    reason: str,
    body_sha256: str,
    reference: str | None = None,
    detail: str | None = None,
    quiet: bool = False,
) -> None:
    """Keep a refused or unmatched webhook item for reconciliation: ids and
    reasons only. ``quiet``: the caller logs it (at a bounded rate)."""
    await uow.rejections.add(
        WebhookRejection(
            tenant_id=tenant_id,
            provider=provider,
            reason=reason,
            body_sha256=body_sha256,
            received_at=uow.clock.now(),
            reference=reference,
            detail=detail[:300] if detail else None,
        )
    )
    if quiet:
        return
    event = "payments.webhook.unmatched" if reason.startswith("unknown_") else "payments.webhook.rejected"
    log.warning(
        event,
        extra={"tenant_id": str(tenant_id), "provider": provider, "reason": reason, "reference": reference},
    )


async def record_payment(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    match: ChargeMatch,
    method: Method,
    reference: str,
    amount_cents: int,
    paid_at: datetime,
) -> ItemResult | None:
    """Record money received for the charge ``match`` names; a reference seen
    before changes nothing. None when no charge of the tenant matches.

    The charge lookup and the insert are one statement, and the event reaches
    the outbox in the commit's one statement: a webhook is two statements."""
    found = await uow.payments.add_for_charge(
        tenant_id,
        match,
        payment_id=uuid4(),
        method=method,
        reference=reference,
        amount_cents=amount_cents,
        paid_at=paid_at,
        created_at=uow.clock.now(),
    )
    if found is None:
        return None
    payment, recorded = found
    if not recorded:
        existing = await uow.payments.by_reference(tenant_id, method, reference)
        assert existing is not None
        return ItemResult(reference, "duplicate", payment_id=existing.id)
    uow.publish(
        PaymentReceivedV1(
            debtor_id=payment.debtor_id,
            payment_id=payment.id,
            invoice_id=payment.invoice_id,
            charge_id=payment.charge_id,
            method=method,
            amount_cents=amount_cents,
            gateway_reference=reference,
            paid_at=paid_at,
        ),
        tenant_id=tenant_id,
        subject=str(payment.invoice_id),
    )
    log.info(
        "payments.payment.received",
        extra={"payment_id": str(payment.id), "invoice_id": str(payment.invoice_id), "method": method},
    )
    return ItemResult(reference, "recorded", payment_id=payment.id, method=method, amount_cents=amount_cents)


async def reverse_payment(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    payment_id: UUID,
    kind: ReversalKind,
    reference: str,
    amount_cents: int,
    reason: str | None,
    reversed_at: datetime,
) -> ItemResult:
    """Give back part or all of a payment, once per ``reference``. The payment
    row is locked so concurrent reversals cannot together exceed what was paid."""
    payment = await uow.payments.get(tenant_id, payment_id, for_update=True)
    if payment is None:
        raise UnknownPaymentError
    existing = await uow.reversals.by_reference(tenant_id, reference)
    if existing is not None:
        return ItemResult(reference, "duplicate", "reversal", payment_id, existing.id)
    if amount_cents > payment.refundable_cents:
        raise ReversalExceedsPaidError(payment.refundable_cents)
    reversal = Reversal(
        id=uuid4(),
        tenant_id=tenant_id,
        payment_id=payment_id,
        kind=kind,
        gateway_reference=reference,
        amount_cents=amount_cents,
        reason=reason,
        reversed_at=reversed_at,
        created_at=uow.clock.now(),
    )
    await uow.reversals.add(reversal)
    await uow.payments.add_reversed(payment_id, amount_cents)
    uow.publish(
        PaymentReversedV1(
            debtor_id=payment.debtor_id,
            reversal_id=reversal.id,
            payment_id=payment_id,
            invoice_id=payment.invoice_id,
            kind=kind,
            amount_cents=amount_cents,
            reason=reason,
            reversed_at=reversed_at,
        ),
        tenant_id=tenant_id,
        subject=str(payment.invoice_id),
    )
    log.info(
        "payments.payment.reversed",
        extra={"payment_id": str(payment_id), "reversal_id": str(reversal.id), "kind": kind},
    )
    return ItemResult(reference, "recorded", "reversal", payment_id, reversal.id)


async def receive_pix(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    items: list[PixReceived],
    body_sha256: str,
    keep_unmatched: bool = True,
) -> list[ItemResult]:
    """Apply one API Pix callback (or one reconciliation sweep): each Pix
    matched by txid to a Pix charge of this tenant and recorded once (by
    endToEndId); each settled devolução reversed once. A txid that is not one
    of ours for this tenant is never applied; a sweep (``keep_unmatched``
    false) skips it quietly, since the PSP account may receive other Pix."""
    results: list[ItemResult] = []
    for item in items:
        result = (
            await record_payment(
                uow,
                tenant_id=tenant_id,
                match=("txid", item.txid, "pix"),
                method="pix",
                reference=item.end_to_end_id,
                amount_cents=item.amount_cents,
                paid_at=item.paid_at,
            )
            if item.txid
            else None
        )
        if result is None and not keep_unmatched:
            results.append(ItemResult(item.end_to_end_id, "ignored", detail="not a txid of ours"))
            continue
        if result is None:
            await record_rejection(
                uow,
                tenant_id=tenant_id,
                provider="pix",
                reason="unknown_txid",
                body_sha256=body_sha256,
                reference=item.end_to_end_id,
                detail=f"txid={item.txid}",
            )
            results.append(
                ItemResult(item.end_to_end_id, "unmatched", detail="no Pix charge of ours has this txid")
            )
            continue
        assert result.payment_id is not None
        for refund in item.refunds:
            reference = f"pix:{item.end_to_end_id}:{refund.id}"
            if refund.status != PIX_REFUND_DONE:
                result.children.append(ItemResult(reference, "ignored", "reversal", detail=refund.status))
                continue
            try:
                child = await reverse_payment(
                    uow,
                    tenant_id=tenant_id,
                    payment_id=result.payment_id,
                    kind="refund",
                    reference=reference,
                    amount_cents=refund.amount_cents,
                    reason="Pix devolução",
                    reversed_at=refund.at,
                )
            except ReversalExceedsPaidError as exc:
                await record_rejection(
                    uow,
                    tenant_id=tenant_id,
                    provider="pix",
                    reason="reversal_exceeds_paid",
                    body_sha256=body_sha256,
                    reference=reference,
                    detail=str(exc),
                )
                child = ItemResult(reference, "refused", "reversal", result.payment_id, detail=str(exc))
            result.children.append(child)
        results.append(result)
    return results


async def receive_boleto(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    event_id: str,
    barcode: str,
    amount_cents: int,
    paid_at: datetime,
    body_sha256: str,
) -> ItemResult:
    result = await record_payment(
        uow,
        tenant_id=tenant_id,
        match=("barcode", barcode, None),
        method="boleto",
        reference=event_id,
        amount_cents=amount_cents,
        paid_at=paid_at,
    )
    if result is None:
        await record_rejection(
            uow,
            tenant_id=tenant_id,
            provider="boleto",
            reason="unknown_barcode",
            body_sha256=body_sha256,
            reference=event_id,
        )
        return ItemResult(event_id, "unmatched", detail="no boleto of ours has this barcode")
    return result


async def receive_card(
    uow: PaymentsUnitOfWork,
    *,
    tenant_id: UUID,
    event_id: str,
    type_: Literal["capture", "refund", "chargeback"],
    charge_id: UUID | None,
    payment_id: UUID | None,
    amount_cents: int,
    occurred_at: datetime,
    body_sha256: str,
) -> ItemResult:
    if type_ == "capture":
        result = (
            await record_payment(
                uow,
                tenant_id=tenant_id,
                match=("id", charge_id, None),
                method="card",
                reference=event_id,
                amount_cents=amount_cents,
                paid_at=occurred_at,
            )
            if charge_id
            else None
        )
        if result is None:
            await record_rejection(
                uow,
                tenant_id=tenant_id,
                provider="card",
                reason="unknown_charge",
                body_sha256=body_sha256,
                reference=event_id,
            )
            return ItemResult(event_id, "unmatched", detail="no charge of ours has this charge_id")
        return result
    reference = f"card:{event_id}"
    try:
        if payment_id is None:
            raise UnknownPaymentError
        return await reverse_payment(
            uow,
            tenant_id=tenant_id,
            payment_id=payment_id,
            kind=type_,
            reference=reference,
            amount_cents=amount_cents,
            reason=f"card {type_}",
            reversed_at=occurred_at,
        )
    except UnknownPaymentError:
        await record_rejection(
            uow,
            tenant_id=tenant_id,
            provider="card",
            reason="unknown_payment",
            body_sha256=body_sha256,
            reference=event_id,
        )
        return ItemResult(event_id, "unmatched", "reversal", detail="no payment of ours has this payment_id")
    except ReversalExceedsPaidError as exc:
        await record_rejection(
            uow,
            tenant_id=tenant_id,
            provider="card",
            reason="reversal_exceeds_paid",
            body_sha256=body_sha256,
            reference=event_id,
            detail=str(exc),
        )
        return ItemResult(event_id, "refused", "reversal", payment_id, detail=str(exc))
