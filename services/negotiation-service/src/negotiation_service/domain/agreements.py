"""Agreement lifecycle rules (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from regua_br.calendar import DEFAULT_TIMEZONE

#: Statuses of an invoice that may still be renegotiated.
RENEGOTIABLE = frozenset({"open", "overdue", "partially_paid"})


def local_today(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The tenant's calendar date at ``now`` (all tenants are in São Paulo for now)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def installment_status(due_date: date, paid: bool, today: date) -> str:
    if paid:
        return "paid"
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

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    def status(self, today: date) -> str:
        return installment_status(self.due_date, self.paid, today)


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
