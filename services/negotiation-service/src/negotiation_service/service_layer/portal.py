"""Use cases of the debtor portal: what each page reads (every amount
computed for the day the page is seen), the channel preferences it writes,
and the tenant's portal settings (who is collecting). Every page's use case
is scoped to one tenant's debtor (the session's)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from negotiation_service.domain.agreements import RENEGOTIABLE, Agreement, Payoff, PayoffRefused, payoff
from negotiation_service.domain.invoices import AmountDue, DebtorInvoice, Invoice
from negotiation_service.domain.portal import (
    Debtor,
    PaymentCodes,
    PortalSettings,
    challenge_answer,
    link_id,
    payable_codes,
    revoked,
)
from negotiation_service.service_layer.keys import PortalKeys
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_br.tokens import LinkClaims
from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_contracts.dunning.v1 import Channel
from regua_platform.errors import NotFound

log = logging.getLogger("negotiation.portal")
#: The channels a debtor can turn off in the portal.
PORTAL_CHANNELS: tuple[Channel, ...] = ("email", "sms", "whatsapp")


@dataclass(frozen=True, slots=True)
class Overview:
    """The home page: who the debtor is, what they owe, their agreements."""

    debtor: Debtor | None
    #: Open, overdue or partially paid, by due date.
    invoices: list[DebtorInvoice]
    #: Not broken, newest first.
    agreements: list[Agreement]


@dataclass(frozen=True, slots=True)
class InvoiceToPay:
    invoice: Invoice
    #: What it is worth on the day the page is seen.
    due: AmountDue
    #: Codes that pay exactly ``due.due_cents`` (see :func:`payable_codes`).
    codes: PaymentCodes


@dataclass(frozen=True, slots=True)
class InstallmentDue:
    """An installment as the agreement page shows it today."""

    id: UUID
    number: int
    due_date: date
    #: As agreed.
    amount_cents: int
    #: What paying it takes today (its invoice's amount due; as agreed until issued).
    due_today_cents: int
    status: str
    codes: PaymentCodes
    #: Its invoice reached the debtor: the pay page can show it.
    payable: bool
    #: The installment that pays the rest early.
    payoff: bool


@dataclass(frozen=True, slots=True)
class AgreementToPay:
    agreement: Agreement
    installments: list[InstallmentDue]
    #: Paying the rest today (None when that is not possible; ``no_payoff`` says why: a
    #: :class:`PayoffRefused` reason).
    payoff: Payoff | None
    no_payoff: str | None


async def overview(uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> Overview:
    return Overview(
        debtor=await uow.portal.debtor(tenant_id, debtor_id),
        invoices=await uow.portal.open_invoices(tenant_id, debtor_id, sorted(RENEGOTIABLE)),
        agreements=await uow.portal.agreements_of(tenant_id, debtor_id),
    )


async def creditor_of(uow: NegotiationUnitOfWork, tenant_id: UUID) -> PortalSettings | None:
    """Who is collecting for this tenant; None until it set its portal settings."""
    return await uow.portal_settings.get(tenant_id)


async def set_creditor(
    uow: NegotiationUnitOfWork, tenant_id: UUID, settings: PortalSettings, now: datetime
) -> PortalSettings:
    await uow.portal_settings.put(tenant_id, settings, now)
    log.info("portal.settings.changed", extra={"tenant_id": str(tenant_id)})
    return settings


async def negotiable_invoices(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID
) -> list[DebtorInvoice]:
    """The debtor's invoices that can go into a new agreement, by due date."""
    listed = await uow.portal.open_invoices(tenant_id, debtor_id, sorted(RENEGOTIABLE))
    return [i for i in listed if i.negotiable]


async def invoice_of(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, invoice_id: UUID
) -> Invoice | None:
    """The debtor's invoice; None for anyone else's."""
    return await uow.portal.invoice(tenant_id, debtor_id, invoice_id)


async def invoice_to_pay(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, invoice_id: UUID, today: date
) -> InvoiceToPay | None:
    """The debtor's invoice, what it is worth ``today``, and the codes of its
    charges that pay exactly that."""
    invoice = await uow.portal.invoice(tenant_id, debtor_id, invoice_id)
    if invoice is None:
        return None
    due = invoice.due_on(today)
    charges = await uow.portal.charges_of(tenant_id, [invoice.id])
    return InvoiceToPay(invoice, due, payable_codes(charges, due.due_cents))


async def agreement_to_pay(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, agreement_id: UUID, today: date
) -> AgreementToPay | None:
    """The debtor's agreement with each installment's status today and how to
    pay it (two queries, whatever the number of installments)."""
    agreement = await uow.agreements.get(tenant_id, agreement_id)
    if agreement is None or agreement.debtor_id != debtor_id:
        return None
    parts = await uow.portal.installments_to_pay(tenant_id, debtor_id, agreement.id)
    shown = []
    for p in parts:
        due = p.invoice.due_on(today).due_cents if p.invoice else p.installment.amount_cents
        owed = p.installment.owed
        shown.append(
            InstallmentDue(
                id=p.installment.id,
                number=p.installment.number,
                due_date=p.installment.due_date,
                amount_cents=p.installment.amount_cents,
                due_today_cents=due if owed else 0,
                status=p.installment.status(today),
                codes=payable_codes(p.charges, due) if owed else PaymentCodes(None, None),
                payable=p.invoice is not None and owed,
                payoff=p.installment.payoff,
            )
        )
    try:
        early: Payoff | None = payoff(agreement, [p.installment for p in parts], today)
        refused = None
    except PayoffRefused as exc:
        early, refused = None, exc.reason
    return AgreementToPay(agreement, shown, early, refused)


async def consents_of(uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> dict[str, bool]:
    """Every portal channel's consent; absent means no recorded objection (allowed)."""
    debtor = await uow.portal.debtor(tenant_id, debtor_id)
    stored = dict(debtor.consents) if debtor else {}
    return {c: stored.get(c, True) is not False for c in PORTAL_CHANNELS}


async def change_consents(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, wanted: dict[str, bool], now: datetime
) -> dict[str, bool]:
    """Store and announce (debtor.consent-changed) each channel whose consent
    changed; every portal channel's consent from now on."""
    current = await consents_of(uow, tenant_id, debtor_id)
    changed = [c for c in PORTAL_CHANNELS if c in wanted and wanted[c] != current[c]]
    for channel in changed:
        await uow.portal.set_consent(tenant_id, debtor_id, channel, wanted[channel], now)
        uow.publish(
            DebtorConsentChangedV1(
                debtor_id=debtor_id, channel=channel, consent=wanted[channel], changed_at=now
            ),
            tenant_id=tenant_id,
            subject=str(debtor_id),
        )
        log.info(
            "portal.consent.changed",
            extra={"debtor_id": str(debtor_id), "channel": channel, "consent": wanted[channel]},
        )
    return {c: wanted.get(c, current[c]) for c in PORTAL_CHANNELS}


# Access: revocation, the first-device challenge.


def _link_id(link: LinkClaims) -> str:
    return link_id(link.tenant_id, link.debtor_id, link.invoice_id, link.expires_at)


async def link_refusal(uow: NegotiationUnitOfWork, link: LinkClaims) -> Literal["revoked", "locked"] | None:
    """Why a well-signed, unexpired link opens nothing: revoked, or locked
    after too many wrong answers; None when it may be used."""
    if revoked(link.issued_at, await uow.portal.revoked_before(link.tenant_id, link.debtor_id)):
        return "revoked"
    if await uow.portal.link_locked(_link_id(link)):
        return "locked"
    return None


async def is_revoked(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, issued_at: datetime | None
) -> bool:
    """Whether a session or device of the debtor issued at ``issued_at`` is void."""
    return revoked(issued_at, await uow.portal.revoked_before(tenant_id, debtor_id))


async def revoke_links(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, now: datetime
) -> datetime:
    """Void every link, session and remembered device of the debtor issued up
    to ``now``; the instant they are void up to. :class:`NotFound` for a
    debtor this tenant does not have (here: no ``debtor.updated`` seen yet)."""
    if await uow.portal.debtor(tenant_id, debtor_id) is None:
        raise NotFound("No such debtor.")
    until = await uow.portal.revoke(tenant_id, debtor_id, now)
    log.info("portal.links.revoked", extra={"tenant_id": str(tenant_id), "debtor_id": str(debtor_id)})
    return until


@dataclass(frozen=True, slots=True)
class Challenged:
    """The outcome of an answer to the first-device challenge."""

    #: passed; wrong (counted); malformed (not 3 characters, not counted);
    #: locked (the link is now locked); unavailable (the debtor's document is not known yet).
    outcome: Literal["passed", "wrong", "malformed", "locked", "unavailable"]
    #: Wrong answers left before the link locks.
    remaining: int = 0


async def answer_challenge(
    uow: NegotiationUnitOfWork,
    keys: PortalKeys,
    link: LinkClaims,
    typed: str,
    *,
    max_attempts: int,
    now: datetime,
) -> Challenged:
    """Check the first 3 characters of the debtor's CPF/CNPJ against the keyed
    hash kept of them; a wrong answer is counted against the link, which locks
    after ``max_attempts``."""
    debtor = await uow.portal.debtor(link.tenant_id, link.debtor_id)
    if debtor is None or debtor.challenge_digest is None:
        return Challenged("unavailable")
    answer = challenge_answer(typed)
    if answer is None:
        return Challenged("malformed")
    if keys.challenge_matches(link.tenant_id, link.debtor_id, answer, debtor.challenge_digest):
        log.info("portal.challenge.passed", extra={"debtor_id": str(link.debtor_id)})
        return Challenged("passed")
    failures = await uow.portal.count_wrong_answer(
        _link_id(link), link.tenant_id, link.debtor_id, lock_at=max_attempts, now=now
    )
    log.info("portal.challenge.failed", extra={"debtor_id": str(link.debtor_id), "failures": failures})
    if failures >= max_attempts:
        return Challenged("locked")
    return Challenged("wrong", max_attempts - failures)
