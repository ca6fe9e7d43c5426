"""Agreement lifecycle rules (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from negotiation_service.domain.invoices import COLLECTABLE
from regua_br.calendar import DEFAULT_TIMEZONE, next_business_day
from regua_br.installments import Schedule, payoff_cents

#: Statuses of an invoice that may still be renegotiated.
RENEGOTIABLE = COLLECTABLE


def local_today(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The tenant's calendar date at ``now`` (all tenants are in São Paulo for now)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def installment_status(due_date: date, paid: bool, today: date, *, replaced: bool = False) -> str:
    if paid:
        return "paid"
    if replaced:
        return "replaced"
    return "overdue" if due_date < today else "open"


def beyond_tolerance(due_date: date, tolerance_days: int, today: date) -> bool:
    """Unpaid on ``due_date + tolerance`` is still fine; the day after breaks the agreement."""
    return due_date + timedelta(days=tolerance_days) < today


@dataclass(frozen=True, slots=True)
class AgreementInstallment:
    """One installment of an agreement; its id is also the id of the invoice
    invoice-service issues for it."""

    id: UUID
    agreement_id: UUID
    tenant_id: UUID
    number: int
    due_date: date
    amount_cents: int
    paid_at: datetime | None
    #: The installment that pays the rest of the agreement early.
    payoff: bool = False
    #: When a payoff replaced it (it is no longer owed).
    replaced_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    @property
    def replaced(self) -> bool:
        return self.replaced_at is not None

    @property
    def owed(self) -> bool:
        """Still to be paid: neither paid nor replaced by a payoff."""
        return not self.paid and not self.replaced

    def status(self, today: date) -> str:
        return installment_status(self.due_date, self.paid, today, replaced=self.replaced)


@dataclass(frozen=True, slots=True)
class Agreement:
    """A stored agreement: the accepted offer over the invoices it renegotiates."""

    id: UUID
    #: Creation order (the cursor of the listing).
    seq: int
    tenant_id: UUID
    debtor_id: UUID
    status: str
    kind: str
    invoice_ids: tuple[UUID, ...]
    original_cents: int
    discount_cents: int
    total_cents: int
    #: Effective monthly rate as a decimal string ("0.0199" = 1.99%/month).
    monthly_rate: str
    tolerance_days: int
    reason: str | None
    created_at: datetime
    closed_at: datetime | None
    #: The tenant-local day the offer was priced on (interest runs from it).
    start_date: date | None = None

    @property
    def start(self) -> date:
        """``start_date``; for agreements made before it was stored, the local day of creation."""
        return self.start_date or local_today(self.created_at)


@dataclass(frozen=True, slots=True)
class Payoff:
    """Paying the rest of an agreement at once on ``on`` (CDC art. 52 §2)."""

    on: date
    #: The payoff installment's due date: ``on``, or the next business day.
    due_date: date
    replaced: tuple[AgreementInstallment, ...]
    amount_cents: int

    @property
    def replaced_cents(self) -> int:
        return sum(i.amount_cents for i in self.replaced)

    @property
    def interest_waived_cents(self) -> int:
        return self.replaced_cents - self.amount_cents


class PayoffRefused(Exception):
    """Nothing can be paid early: ``reason`` says why (``inactive``,
    ``nothing_owed``, ``payoff_pending`` or ``overdue``), the message in words."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def payoff(agreement: Agreement, parts: Sequence[AgreementInstallment], on: date) -> Payoff:
    """The payoff of the installments still owed on ``on``: each discounted at
    the agreement's monthly rate from its due date back to ``on``
    (``regua_br.installments.payoff_cents``), whatever order the others were
    paid in. Refused when the agreement is not active, nothing is owed, a
    payoff is already pending, or an installment is overdue (its invoice
    carries late charges of its own: it is paid first)."""
    if agreement.status != "active":
        raise PayoffRefused("inactive", f"the agreement is {agreement.status}")
    owed = tuple(p for p in parts if p.owed)
    if not owed:
        raise PayoffRefused("nothing_owed", "no installment is left to pay")
    if any(p.payoff for p in owed):
        raise PayoffRefused("payoff_pending", "a payoff is already waiting to be paid")
    late = [p.number for p in owed if p.due_date < on]
    if late:
        raise PayoffRefused("overdue", f"installment {late[0]} is overdue: pay it first")
    schedule = Schedule(
        agreement.start,
        Decimal(agreement.monthly_rate),
        tuple(p.due_date for p in owed),
        tuple(p.amount_cents for p in owed),
        sum(p.amount_cents for p in owed),
    )
    return Payoff(on, next_business_day(on), owed, payoff_cents(schedule, on=on, paid=0))
