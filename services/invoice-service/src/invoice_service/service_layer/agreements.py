"""Applying agreement events (negotiation-service) to invoices. Run inside the
consumer's transaction; never commit.

- ``agreement.created``: the original invoices become ``renegotiated`` (their
  dunning pauses) and each installment becomes an invoice of its own whose id
  IS the installment id, so payments, reminders and notices follow it like any
  invoice. All or nothing: when an original is unknown to the tenant, belongs
  to another debtor or is no longer collectable (paid, cancelled, renegotiated
  by another agreement), nothing is applied; the event is recorded in
  ``rejected_agreement_events`` and logged by ids (retrying would not change
  the outcome, so it is not sent to the dead-letter topic).
- ``agreement.broken``: the unpaid installments are cancelled and the originals
  restored (open / overdue / partially paid per their due date and payments),
  what was paid on the installments credited to them oldest due first as a
  payment row with method ``agreement``.
- ``agreement.completed``: the originals are ``paid``: the agreement settled
  the debt. Their remaining balance is recorded as an ``agreement`` credit so
  they show nothing due (the cash itself is on the installment invoices).
- ``agreement.prepaid`` (CDC art. 52 §2): the replaced installments are
  cancelled and the payoff is issued as an invoice (its id is the payoff's
  installment id), in one transaction. Refused (recorded like a rejected
  ``agreement.created``) unless every replaced installment is an installment of
  that agreement and debtor still being collected (open, overdue or partially
  paid: money already on a partially paid one stays on it and shows as
  overpaid once it is cancelled, for the tenant to refund or credit).

Agreement credits are payments (method ``agreement``, dated the day of the
event in the tenant's zone): the amount rule imputes them like any other, and
``invoice.balance-changed`` is published for them.

Redelivery and replays are harmless: only originals renegotiated *by this
agreement* move, installments and credits have deterministic ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid5

from invoice_service.domain.invoices import (
    COLLECTABLE,
    REASON_AGREEMENT_BROKEN,
    REASON_AGREEMENT_COMPLETED,
    REASON_AGREEMENT_CREATED,
    REASON_AGREEMENT_PREPAID,
    InvoiceStatus,
    allocate_credit,
    is_overdue,
    overdue_since,
    status_after_payments,
)
from invoice_service.domain.models import Invoice, TenantSettings
from invoice_service.domain.money import signed_balance
from invoice_service.service_layer.invoices import (
    InvoiceFields,
    create_invoice,
    get_invoice,
    publish_balance_changed,
    publish_status_changed,
)
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    AgreementPrepaidV1,
)
from regua_contracts.invoice.v1 import InvoiceOverdueV1
from regua_platform.handlers import EventMeta

log = logging.getLogger("invoice.agreements")

#: Namespace of the deterministic ids of agreement credits (uuid5).
CREDIT_NAMESPACE = UUID("0915ad9d-645a-4932-b513-daf7009b064d")
#: ``payments.method`` of a credit that comes from an agreement, not from a gateway.
AGREEMENT_METHOD = "agreement"


def installment_external_id(agreement_id: UUID, number: int) -> str:
    return f"agreement-{agreement_id}-{number}"


def installment_description(number: int, count: int) -> str:
    # pt-BR: debtors read it on their reminders and the portal.
    return f"Parcela {number}/{count} do acordo"


def payoff_external_id(agreement_id: UUID, installment_id: UUID) -> str:
    return f"agreement-{agreement_id}-payoff-{installment_id}"


#: pt-BR, like the installments' descriptions.
PAYOFF_DESCRIPTION = "Quitação antecipada do acordo"


def credit_id(agreement_id: UUID, invoice_id: UUID, kind: str) -> UUID:
    return uuid5(CREDIT_NAMESPACE, f"{agreement_id}:{invoice_id}:{kind}")


async def apply_agreement_created(uow: InvoiceUnitOfWork, meta: EventMeta, event: AgreementCreatedV1) -> bool:
    """True when applied now; False when rejected or applied already."""
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    originals = await uow.invoices.lock_many(tenant_id, event.invoice_ids)
    if await uow.invoices.of_agreement(tenant_id, event.agreement_id):
        # Installments exist: this agreement was applied in one transaction
        # already (perhaps broken or completed since); a replay changes nothing.
        log.info("invoice.agreement.duplicate", extra={"agreement_id": str(event.agreement_id)})
        return False
    by_id = {i.id: i for i in originals}
    rejections: dict[UUID, str] = {}
    for invoice_id in dict.fromkeys(event.invoice_ids):
        invoice = by_id.get(invoice_id)
        if invoice is None:
            rejections[invoice_id] = "no such invoice for this tenant"
        elif invoice.debtor_id != event.debtor_id:
            rejections[invoice_id] = "invoice of another debtor"
        elif invoice.status not in COLLECTABLE:
            rejections[invoice_id] = f"invoice is {invoice.status}"
    if rejections:
        await _reject(uow, meta, event.agreement_id, rejections, now=now)
        return False

    settings = await uow.tenant_settings.get(tenant_id)
    for invoice in originals:
        await uow.invoices.update(
            invoice.tenant_id,
            invoice.id,
            {"status": "renegotiated", "renegotiated_in": event.agreement_id, "updated_at": now},
        )
        await _announce(uow, invoice, invoice.status, REASON_AGREEMENT_CREATED, now=now)
    installments = sorted(event.installments, key=lambda i: i.number)
    for installment in installments:
        await create_invoice(
            uow,
            tenant_id,
            InvoiceFields(
                external_id=installment_external_id(event.agreement_id, installment.number),
                debtor_id=event.debtor_id,
                amount_cents=installment.amount_cents,
                due_date=installment.due_date,
                description=installment_description(installment.number, len(installments)),
            ),
            now=now,
            known_debtors={event.debtor_id},
            settings=settings,
            invoice_id=installment.installment_id,
            agreement_id=event.agreement_id,
        )
    log.info(
        "invoice.agreement.applied",
        extra={
            "agreement_id": str(event.agreement_id),
            "originals": len(originals),
            "installments": len(installments),
        },
    )
    return True


async def apply_agreement_broken(uow: InvoiceUnitOfWork, meta: EventMeta, event: AgreementBrokenV1) -> None:
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    settings = await uow.tenant_settings.get(tenant_id)
    today = settings.local_date(now)
    for installment in await uow.invoices.of_agreement(tenant_id, event.agreement_id):
        if installment.status not in COLLECTABLE:
            continue
        await uow.invoices.update(
            installment.tenant_id,
            installment.id,
            {"status": "cancelled", "cancelled_at": now, "updated_at": now},
        )
        await _announce(uow, installment, installment.status, REASON_AGREEMENT_BROKEN, now=now)

    originals = await _renegotiated_by(uow, meta, event.agreement_id, event.invoice_ids, now=now)
    # The credit is imputed on the day the agreement broke: price the debts on that day.
    broken_on = settings.local_date(event.broken_at)
    shares = allocate_credit(event.paid_cents, [signed_balance(i.amount_on(broken_on)) for i in originals])
    for invoice, share in zip(originals, shares, strict=True):
        credited = share > 0 and await _credit(
            uow, invoice, event.agreement_id, "broken", share, event.broken_at, settings, now
        )
        flag_now = invoice.overdue_since is None and is_overdue(invoice.effective_due_date, today)
        since = overdue_since(invoice.effective_due_date) if flag_now else invoice.overdue_since
        current = await get_invoice(uow, tenant_id, invoice.id)
        paid = sum(p.cents for p in current.paid())
        settled_on = current.settlement_day()
        status = status_after_payments(
            current="open", settled=settled_on is not None, paid_cents=paid, flagged_overdue=since is not None
        )
        await uow.invoices.update(
            invoice.tenant_id,
            invoice.id,
            {
                "status": status,
                "amount_paid_cents": paid,
                "settled_on": settled_on,
                "overdue_since": since,
                "updated_at": now,
            },
        )
        restored = await _announce(uow, invoice, "renegotiated", REASON_AGREEMENT_BROKEN, now=now)
        if credited:
            publish_balance_changed(uow, restored, now=now)
        if flag_now and since is not None:
            # Its due date passed while it was renegotiated: flag it as the
            # overdue worker would have (which skips renegotiated invoices).
            uow.publish(
                InvoiceOverdueV1(
                    debtor_id=restored.debtor_id,
                    invoice_id=restored.id,
                    due_date=restored.due_date,
                    overdue_since=since,
                    amount_due_cents=restored.amount_on(today).due_cents,
                ),
                tenant_id=tenant_id,
                subject=str(restored.id),
            )
    log.info(
        "invoice.agreement.broken",
        extra={"agreement_id": str(event.agreement_id), "restored": len(originals)},
    )


async def apply_agreement_completed(
    uow: InvoiceUnitOfWork, meta: EventMeta, event: AgreementCompletedV1
) -> None:
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    settings = await uow.tenant_settings.get(tenant_id)
    completed_on = settings.local_date(event.completed_at)
    originals = await _renegotiated_by(uow, meta, event.agreement_id, event.invoice_ids, now=now)
    for invoice in originals:
        balance = signed_balance(invoice.amount_on(completed_on))
        credited = balance > 0 and await _credit(
            uow, invoice, event.agreement_id, "completed", balance, event.completed_at, settings, now
        )
        current = await get_invoice(uow, tenant_id, invoice.id)
        await uow.invoices.update(
            invoice.tenant_id,
            invoice.id,
            {
                "status": "paid",
                "amount_paid_cents": sum(p.cents for p in current.paid()),
                "settled_on": current.settlement_day() or completed_on,
                "updated_at": now,
            },
        )
        settled = await _announce(uow, invoice, "renegotiated", REASON_AGREEMENT_COMPLETED, now=now)
        if credited:
            publish_balance_changed(uow, settled, now=now)
    log.info(
        "invoice.agreement.completed",
        extra={"agreement_id": str(event.agreement_id), "settled": len(originals)},
    )


async def apply_agreement_prepaid(uow: InvoiceUnitOfWork, meta: EventMeta, event: AgreementPrepaidV1) -> bool:
    """True when applied now; False when rejected or applied already."""
    tenant_id = meta.tenant_id
    now = uow.clock.now()
    payoff = event.payoff
    installments = await uow.invoices.of_agreement(tenant_id, event.agreement_id)
    if any(i.id == payoff.installment_id for i in installments):
        # The payoff was issued in the same transaction that cancelled the
        # replaced installments: this is a replay.
        log.info("invoice.agreement.prepaid_duplicate", extra={"agreement_id": str(event.agreement_id)})
        return False
    by_id = {i.id: i for i in installments}
    rejections: dict[UUID, str] = {}
    for installment_id in dict.fromkeys(event.replaced_installment_ids):
        installment = by_id.get(installment_id)
        if installment is None:
            rejections[installment_id] = "not an installment of this agreement"
        elif installment.debtor_id != event.debtor_id:
            rejections[installment_id] = "installment of another debtor"
        elif installment.status not in COLLECTABLE:
            rejections[installment_id] = f"installment is {installment.status}"
    if rejections:
        await _reject(uow, meta, event.agreement_id, rejections, now=now)
        return False

    settings = await uow.tenant_settings.get(tenant_id)
    for installment_id in dict.fromkeys(event.replaced_installment_ids):
        installment = by_id[installment_id]
        await uow.invoices.update(
            installment.tenant_id,
            installment.id,
            {"status": "cancelled", "cancelled_at": now, "updated_at": now},
        )
        await _announce(uow, installment, installment.status, REASON_AGREEMENT_PREPAID, now=now)
    await create_invoice(
        uow,
        tenant_id,
        InvoiceFields(
            external_id=payoff_external_id(event.agreement_id, payoff.installment_id),
            debtor_id=event.debtor_id,
            amount_cents=payoff.amount_cents,
            due_date=payoff.due_date,
            description=PAYOFF_DESCRIPTION,
        ),
        now=now,
        known_debtors={event.debtor_id},
        settings=settings,
        invoice_id=payoff.installment_id,
        agreement_id=event.agreement_id,
    )
    log.info(
        "invoice.agreement.prepaid",
        extra={
            "agreement_id": str(event.agreement_id),
            "replaced": len(set(event.replaced_installment_ids)),
        },
    )
    return True


async def _renegotiated_by(
    uow: InvoiceUnitOfWork,
    meta: EventMeta,
    agreement_id: UUID,
    invoice_ids: Sequence[UUID],
    *,
    now: datetime,
) -> list[Invoice]:
    """The originals this agreement renegotiated and that are still renegotiated,
    locked, oldest due first. Unknown ids are recorded as rejected; the others
    (already restored or settled: a replay) are skipped."""
    found = await uow.invoices.lock_many(meta.tenant_id, invoice_ids)
    unknown = set(invoice_ids) - {i.id for i in found}
    if unknown:
        await _reject(
            uow, meta, agreement_id, dict.fromkeys(unknown, "no such invoice for this tenant"), now=now
        )
    mine = [i for i in found if i.status == "renegotiated" and i.renegotiated_in == agreement_id]
    if len(mine) < len(found):
        log.info(
            "invoice.agreement.originals_skipped",
            extra={"agreement_id": str(agreement_id), "skipped": len(found) - len(mine)},
        )
    return mine


async def _credit(
    uow: InvoiceUnitOfWork,
    invoice: Invoice,
    agreement_id: UUID,
    kind: str,
    amount_cents: int,
    at: datetime,
    settings: TenantSettings,
    now: datetime,
) -> bool:
    return await uow.payments.add_if_absent(
        {
            "payment_id": credit_id(agreement_id, invoice.id, kind),
            "tenant_id": invoice.tenant_id,
            "invoice_id": invoice.id,
            "method": AGREEMENT_METHOD,
            "amount_cents": amount_cents,
            "gateway_reference": f"agreement-{agreement_id}",
            "paid_at": at,
            "paid_on": settings.local_date(at),
            "recorded_at": now,
        }
    )


async def _announce(
    uow: InvoiceUnitOfWork, before: Invoice, previous: InvoiceStatus, reason: str, *, now: datetime
) -> Invoice:
    """Publish ``invoice.status-changed`` for an invoice just updated; returns it as it is now."""
    updated = await get_invoice(uow, before.tenant_id, before.id)
    settings = await uow.tenant_settings.get(before.tenant_id)
    publish_status_changed(uow, updated, previous, reason, settings=settings, now=now)
    return updated


async def _reject(
    uow: InvoiceUnitOfWork, meta: EventMeta, agreement_id: UUID, reasons: dict[UUID, str], *, now: datetime
) -> None:
    for invoice_id, reason in reasons.items():
        await uow.invoices.record_rejected_agreement(
            {
                "event_id": meta.id,
                "invoice_id": invoice_id,
                "event_type": meta.type,
                "tenant_id": meta.tenant_id,
                "agreement_id": agreement_id,
                "reason": reason,
                "recorded_at": now,
            }
        )
        log.warning(
            "invoice.agreement.rejected",
            extra={
                "event_id": meta.id,
                "agreement_id": str(agreement_id),
                "invoice_id": str(invoice_id),
                "reason": reason,
            },
        )
