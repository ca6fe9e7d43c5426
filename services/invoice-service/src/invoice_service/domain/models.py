"""The records invoice-service keeps, as plain typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.domain.money import AmountDue, Rates, amount_due
from regua_br.calendar import DEFAULT_TIMEZONE

Channel = Literal["email", "sms", "whatsapp", "voice"]
#: The time zone of a tenant that never set one.


@dataclass(frozen=True, slots=True)
class TenantSettings:
    timezone: str = DEFAULT_TIMEZONE
    rates: Rates = field(default_factory=Rates)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        """The calendar date of ``instant`` in the tenant's time zone."""
        return instant.astimezone(self.zone).date()


@dataclass(frozen=True, slots=True)
class Debtor:
    id: UUID
    tenant_id: UUID
    external_id: str
    name: str
    document: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    preferred_channels: list[Channel]
    consents: dict[Channel, bool]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Invoice:
    id: UUID
    tenant_id: UUID
    debtor_id: UUID
    external_id: str
    amount_cents: int
    currency: str
    due_date: date
    description: str | None
    status: InvoiceStatus
    late_fine_bps: int
    monthly_interest_bps: int
    amount_paid_cents: int
    overdue_since: date | None
    settled_on: date | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: The agreement this invoice is an installment of.
    agreement_id: UUID | None = None
    #: The agreement that renegotiated this (original) invoice, if any.
    renegotiated_in: UUID | None = None

    @property
    def rates(self) -> Rates:
        return Rates(late_fine_bps=self.late_fine_bps, monthly_interest_bps=self.monthly_interest_bps)

    def amount_on(self, day: date, *, paid_cents: int | None = None) -> AmountDue:
        """What the invoice amounts to on the tenant-local ``day``."""
        return amount_due(
            principal_cents=self.amount_cents,
            due_date=self.due_date,
            as_of=day,
            rates=self.rates,
            paid_cents=self.amount_paid_cents if paid_cents is None else paid_cents,
        )

    def amount_today(self, today: date) -> AmountDue:
        """The amount shown for ``today``: a settled invoice stays frozen on the day
        it was settled (interest stops once paid); a cancelled one owes nothing
        more than it owed when cancelled, which the API shows as zero due."""
        return self.amount_on(self.settled_on if self.settled_on is not None else today)


@dataclass(frozen=True, slots=True)
class AppliedPayment:
    """A payment applied to an invoice, and how much of it was reversed since."""

    payment_id: UUID
    invoice_id: UUID
    amount_cents: int
    reversed_cents: int

    @property
    def reversible_cents(self) -> int:
        return self.amount_cents - self.reversed_cents
