"""Use cases: offer rules, simulation, acceptance, completion and breaking of agreements.
They never commit: the edge (request or message handler, worker) does."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from negotiation_service.domain.agreements import (
    RENEGOTIABLE,
    Agreement,
    AgreementInstallment,
    beyond_tolerance,
)
from negotiation_service.domain.offers import DEFAULT_RULES, Offer, OfferRules, OpenInvoice, simulate
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    InstallmentV1,
)
from regua_platform.errors import Conflict, RuleViolated

log = logging.getLogger("negotiation.agreements")


async def get_rules(uow: NegotiationUnitOfWork, tenant_id: UUID) -> tuple[OfferRules, bool]:
    """The tenant's rules and whether they are the built-in defaults."""
    stored = await uow.rules.get(tenant_id)
    return (DEFAULT_RULES, True) if stored is None else (stored, False)


async def put_rules(uow: NegotiationUnitOfWork, tenant_id: UUID, rules: OfferRules, now: datetime) -> None:
    await uow.rules.put(tenant_id, rules, now)


async def _open_invoices(
    uow: NegotiationUnitOfWork,
    tenant_id: UUID,
    debtor_id: UUID,
    invoice_ids: list[UUID],
    today: date,
    *,
    lock: bool,
) -> list[OpenInvoice]:
    ids = sorted(set(invoice_ids), key=str)
    rows = await (uow.invoices.lock_many(tenant_id, ids) if lock else uow.invoices.get_many(tenant_id, ids))
    found = {r.id: r for r in rows}
    missing = [str(i) for i in ids if i not in found or found[i].debtor_id != debtor_id]
    if missing:
        raise RuleViolated(f"Not invoices of this debtor: {', '.join(missing)}.")
    closed = [f"{r.id} ({r.status})" for r in rows if r.status not in RENEGOTIABLE]
    # An installment of an agreement is not renegotiated on its own: a broken
    # agreement restores the original invoices, which can then be.
    closed += [
        f"{r.id} (installment)" for r in rows if r.agreement_id is not None and r.status in RENEGOTIABLE
    ]
    if closed:
        raise Conflict(f"Only open or overdue invoices: {', '.join(closed)}.")
    taken = await uow.agreements.invoices_in_active_agreements(tenant_id, ids)
    if taken:
        raise Conflict(f"In an active agreement: {', '.join(map(str, taken))}.")
    return [
        OpenInvoice(r.id, r.amount_due_cents, max(0, (today - r.due_date).days))
        for r in sorted(rows, key=lambda r: str(r.id))
    ]


async def simulate_offers(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, invoice_ids: list[UUID], today: date
) -> list[Offer]:
    rules, _ = await get_rules(uow, tenant_id)
    invoices = await _open_invoices(uow, tenant_id, debtor_id, invoice_ids, today, lock=False)
    return simulate(rules, invoices, today=today, scope=f"{tenant_id}:{debtor_id}")


@dataclass(frozen=True, slots=True)
class Accepted:
    agreement_id: UUID


async def accept_offer(
    uow: NegotiationUnitOfWork,
    tenant_id: UUID,
    debtor_id: UUID,
    invoice_ids: list[UUID],
    *,
    offer_id: str | None,
    kind: str | None,
    today: date,
    now: datetime,
) -> UUID:
    """Re-simulate under row locks and store the chosen offer as an agreement.
    The invoice rows are locked in a fixed order and the partial unique index on
    agreement_invoices backs it up: of two racing acceptances one wins, one gets 409."""
    rules, _ = await get_rules(uow, tenant_id)
    invoices = await _open_invoices(uow, tenant_id, debtor_id, invoice_ids, today, lock=True)
    offers = simulate(rules, invoices, today=today, scope=f"{tenant_id}:{debtor_id}")
    chosen = next(
        (
            o
            for o in offers
            if (offer_id is not None and o.offer_id == offer_id) or (offer_id is None and o.kind == kind)
        ),
        None,
    )
    if chosen is None:
        if offer_id is not None:
            raise Conflict("The debt or the rules changed: simulate again.")
        raise RuleViolated(f"No {kind!r} offer applies to these invoices.")
    agreement_id = uuid4()
    rows = [
        {
            "id": uuid4(),
            "agreement_id": agreement_id,
            "tenant_id": tenant_id,
            "number": i.number,
            "due_date": i.due_date,
            "amount_cents": i.amount_cents,
        }
        for i in chosen.installments
    ]
    ids = [str(i.invoice_id) for i in invoices]
    added = await uow.agreements.add(
        {
            "id": agreement_id,
            "tenant_id": tenant_id,
            "debtor_id": debtor_id,
            "status": "active",
            "kind": chosen.kind,
            "invoice_ids": ids,
            "original_cents": chosen.original_cents,
            "discount_cents": chosen.discount_cents,
            "total_cents": chosen.total_cents,
            "monthly_rate": chosen.monthly_rate,
            "tolerance_days": rules.tolerance_days,
            "created_at": now,
        },
        rows,
    )
    if not added:
        raise Conflict("Another agreement took them first.")
    uow.publish(
        AgreementCreatedV1(
            debtor_id=debtor_id,
            agreement_id=agreement_id,
            invoice_ids=[i.invoice_id for i in invoices],
            original_amount_cents=chosen.original_cents,
            discount_cents=chosen.discount_cents,
            total_cents=chosen.total_cents,
            installments=[
                InstallmentV1(
                    installment_id=r["id"],
                    number=r["number"],
                    due_date=r["due_date"],
                    amount_cents=r["amount_cents"],
                )
                for r in rows
            ],
            created_at=now,
        ),
        tenant_id=tenant_id,
        subject=str(agreement_id),
    )
    log.info("agreement.created", extra={"agreement_id": str(agreement_id), "kind": chosen.kind})
    return agreement_id


async def installment_paid(
    uow: NegotiationUnitOfWork, tenant_id: UUID, installment_id: UUID, now: datetime
) -> None:
    """Mark the installment paid; the last one completes the agreement."""
    agreement_id = await uow.agreements.mark_installment_paid(installment_id, tenant_id, now)
    if agreement_id is None:
        return
    agreement = await uow.agreements.get(tenant_id, agreement_id, lock=True)
    if agreement is None or agreement.status != "active":
        return
    parts = await uow.agreements.installments_of(agreement_id)
    if not all(p.paid for p in parts):
        return
    await uow.agreements.close(agreement_id, status="completed", reason=None, now=now)
    uow.publish(
        AgreementCompletedV1(
            debtor_id=agreement.debtor_id,
            agreement_id=agreement_id,
            invoice_ids=list(agreement.invoice_ids),
            paid_cents=sum(p.amount_cents for p in parts),
            completed_at=now,
        ),
        tenant_id=tenant_id,
        subject=str(agreement_id),
    )
    log.info("agreement.completed", extra={"agreement_id": str(agreement_id)})


async def break_overdue_agreements(
    uow: NegotiationUnitOfWork, *, today: date, now: datetime, limit: int
) -> int:
    """Break every active agreement with an installment unpaid beyond tolerance."""
    broken = 0
    breakable = await uow.agreements.lock_breakable(today, limit)
    installments = await uow.agreements.installments_of_many([a.id for a in breakable])
    for agreement in breakable:
        parts = installments.get(agreement.id, [])
        late = [
            p for p in parts if not p.paid and beyond_tolerance(p.due_date, agreement.tolerance_days, today)
        ]
        if not late:
            continue  # paid meanwhile
        reason = f"installment {late[0].number} overdue beyond tolerance"
        await uow.agreements.close(agreement.id, status="broken", reason=reason, now=now)
        uow.publish(
            AgreementBrokenV1(
                debtor_id=agreement.debtor_id,
                agreement_id=agreement.id,
                invoice_ids=list(agreement.invoice_ids),
                paid_cents=sum(p.amount_cents for p in parts if p.paid),
                reason=reason,
                broken_at=now,
            ),
            tenant_id=agreement.tenant_id,
            subject=str(agreement.id),
        )
        log.info("agreement.broken", extra={"agreement_id": str(agreement.id)})
        broken += 1
    return broken


def agreement_view(
    agreement: Agreement, parts: Sequence[AgreementInstallment], today: date
) -> dict[str, Any]:
    """The stored agreement with each installment's status as of ``today``."""
    return {
        "agreement_id": agreement.id,
        "debtor_id": agreement.debtor_id,
        "status": agreement.status,
        "kind": agreement.kind,
        "invoice_ids": list(agreement.invoice_ids),
        "original_cents": agreement.original_cents,
        "discount_cents": agreement.discount_cents,
        "total_cents": agreement.total_cents,
        "paid_cents": sum(p.amount_cents for p in parts if p.paid),
        "monthly_rate": agreement.monthly_rate,
        "reason": agreement.reason,
        "created_at": agreement.created_at,
        "closed_at": agreement.closed_at,
        "installments": [
            {
                "installment_id": p.id,
                "number": p.number,
                "due_date": p.due_date,
                "amount_cents": p.amount_cents,
                "status": p.status(today),
                "paid_at": p.paid_at,
            }
            for p in parts
        ],
    }


async def read_agreement(
    uow: NegotiationUnitOfWork, tenant_id: UUID, agreement_id: UUID, today: date
) -> dict[str, Any] | None:
    """The tenant's agreement as :func:`agreement_view` shows it; None when it has none by that id."""
    agreement = await uow.agreements.get(tenant_id, agreement_id)
    if agreement is None:
        return None
    return agreement_view(agreement, await uow.agreements.installments_of(agreement.id), today)


@dataclass(frozen=True, slots=True)
class AgreementsPage:
    items: list[dict[str, Any]]
    #: The ``seq`` to continue after; None on the last page.
    next_seq: int | None


async def list_agreements(
    uow: NegotiationUnitOfWork,
    tenant_id: UUID,
    debtor_id: UUID | None,
    *,
    after_seq: int | None,
    limit: int,
    today: date,
) -> AgreementsPage:
    """The tenant's (or one debtor's) agreements after ``after_seq``, oldest first, with their
    installments (two queries for the whole page)."""
    found = await uow.agreements.list_for_debtor(tenant_id, debtor_id, after_seq, limit + 1)
    shown = found[:limit]
    installments = await uow.agreements.installments_of_many([a.id for a in shown])
    return AgreementsPage(
        items=[agreement_view(a, installments.get(a.id, []), today) for a in shown],
        next_seq=shown[-1].seq if len(found) > limit else None,
    )
