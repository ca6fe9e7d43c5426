"""Use cases: offer rules, simulation, acceptance, early payment, completion
and breaking of agreements. They never commit: the edge (request or message
handler, worker) does."""

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
    Payoff,
    PayoffRefused,
    beyond_tolerance,
    payoff,
)
from negotiation_service.domain.offers import DEFAULT_RULES, Offer, OfferRules, OpenInvoice, simulate
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    AgreementPrepaidV1,
    InstallmentV1,
)
from regua_platform.errors import Conflict, NotFound, RuleViolated

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
        raise NotFound(f"Not invoices of this debtor: {', '.join(missing)}.")
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
    opened = []
    for r in sorted(rows, key=lambda r: str(r.id)):
        due = r.due_on(today)
        opened.append(
            OpenInvoice(
                r.id,
                due.principal_cents,
                due.fine_cents,
                due.interest_cents,
                due.days_late,
                r.fine_bps,
                r.monthly_interest_bps,
            )
        )
    return opened


async def _segment(uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> str | None:
    """The debtor's segment as debtor events last said (None when unknown)."""
    debtor = await uow.portal.debtor(tenant_id, debtor_id)
    return debtor.segment if debtor else None


async def simulate_offers(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, invoice_ids: list[UUID], today: date
) -> list[Offer]:
    """The offers for these invoices priced for ``today``, under the tenant's
    rules and the debtor's segment."""
    rules, _ = await get_rules(uow, tenant_id)
    invoices = await _open_invoices(uow, tenant_id, debtor_id, invoice_ids, today, lock=False)
    segment = await _segment(uow, tenant_id, debtor_id)
    return simulate(rules, invoices, today=today, scope=f"{tenant_id}:{debtor_id}", segment=segment)


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
    segment = await _segment(uow, tenant_id, debtor_id)
    offers = simulate(rules, invoices, today=today, scope=f"{tenant_id}:{debtor_id}", segment=segment)
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
            "start_date": chosen.start,
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
    """Mark the installment paid; the last one owed (a payoff, say) completes the agreement."""
    agreement_id = await uow.agreements.mark_installment_paid(installment_id, tenant_id, now)
    if agreement_id is None:
        return
    agreement = await uow.agreements.get(tenant_id, agreement_id, lock=True)
    if agreement is None or agreement.status != "active":
        return
    parts = await uow.agreements.installments_of(agreement_id)
    if any(p.owed for p in parts):
        return
    await uow.agreements.close(agreement_id, status="completed", reason=None, now=now)
    uow.publish(
        AgreementCompletedV1(
            debtor_id=agreement.debtor_id,
            agreement_id=agreement_id,
            invoice_ids=list(agreement.invoice_ids),
            paid_cents=sum(p.amount_cents for p in parts if p.paid),
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
        late = [p for p in parts if p.owed and beyond_tolerance(p.due_date, agreement.tolerance_days, today)]
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


async def _active_agreement(
    uow: NegotiationUnitOfWork, tenant_id: UUID, agreement_id: UUID, *, debtor_id: UUID | None, lock: bool
) -> Agreement:
    agreement = await uow.agreements.get(tenant_id, agreement_id, lock=lock)
    if agreement is None or (debtor_id is not None and agreement.debtor_id != debtor_id):
        raise NotFound("No such agreement.")
    if agreement.status != "active":
        raise Conflict(f"The agreement is {agreement.status}: nothing can be paid early.")
    return agreement


async def quote_payoff(
    uow: NegotiationUnitOfWork,
    tenant_id: UUID,
    agreement_id: UUID,
    on: date,
    *,
    debtor_id: UUID | None = None,
) -> Payoff:
    """What paying the rest of the agreement on ``on`` costs (nothing is stored)."""
    agreement = await _active_agreement(uow, tenant_id, agreement_id, debtor_id=debtor_id, lock=False)
    try:
        return payoff(agreement, await uow.agreements.installments_of(agreement.id), on)
    except PayoffRefused as exc:
        raise RuleViolated(f"Nothing to pay early: {exc}.") from None


async def prepay(
    uow: NegotiationUnitOfWork,
    tenant_id: UUID,
    agreement_id: UUID,
    *,
    today: date,
    now: datetime,
    debtor_id: UUID | None = None,
) -> Payoff:
    """Replace the installments still owed by one payoff installment priced for
    ``today`` (CDC art. 52 §2) and publish agreement.prepaid: invoice-service
    cancels the replaced installments and issues the payoff as an invoice. The
    payoff is tracked like any installment: paid, it completes the agreement;
    unpaid beyond the tolerance, it breaks it."""
    agreement = await _active_agreement(uow, tenant_id, agreement_id, debtor_id=debtor_id, lock=True)
    parts = await uow.agreements.installments_of(agreement.id)
    try:
        quoted = payoff(agreement, parts, today)
    except PayoffRefused as exc:
        raise RuleViolated(f"Nothing to pay early: {exc}.") from None
    payoff_id = uuid4()
    number = max(p.number for p in parts) + 1
    row = {
        "id": payoff_id,
        "agreement_id": agreement.id,
        "tenant_id": tenant_id,
        "number": number,
        "due_date": quoted.due_date,
        "amount_cents": quoted.amount_cents,
    }
    if not await uow.agreements.add_payoff(tenant_id, row, [p.id for p in quoted.replaced], now):
        raise Conflict("An installment was paid meanwhile: ask for the payoff again.")
    uow.publish(
        AgreementPrepaidV1(
            debtor_id=agreement.debtor_id,
            agreement_id=agreement.id,
            replaced_installment_ids=[p.id for p in quoted.replaced],
            payoff=InstallmentV1(
                installment_id=payoff_id,
                number=number,
                due_date=quoted.due_date,
                amount_cents=quoted.amount_cents,
            ),
            interest_waived_cents=quoted.interest_waived_cents,
            prepaid_at=now,
        ),
        tenant_id=tenant_id,
        subject=str(agreement.id),
    )
    log.info(
        "agreement.prepaid",
        extra={"agreement_id": str(agreement.id), "replaced": len(quoted.replaced)},
    )
    return quoted


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
        "start_date": agreement.start,
        "interest_waived_cents": sum(p.amount_cents for p in parts if p.replaced)
        - sum(p.amount_cents for p in parts if p.payoff),
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
                "payoff": p.payoff,
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
