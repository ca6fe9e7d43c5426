"""The records invoice-service keeps, as plain typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.domain.money import Rates, settlement_day
from regua_br.amount_due import Breakdown, Payment, breakdown
from regua_br.calendar import DEFAULT_TIMEZONE, next_business_day

Channel = Literal["email", "sms", "whatsapp", "voice"]


@dataclass(frozen=True, slots=True)
class TenantSettings:
    timezone: str = DEFAULT_TIMEZONE
    rates: Rates = field(default_factory=Rates)
    #: The tenant's own holidays (state, municipal), besides the national ones.
    holidays: tuple[date, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        """The calendar date of ``instant`` in the tenant's time zone."""
        return instant.astimezone(self.zone).date()

    def effective_due_date(self, due_date: date) -> date:
        """``due_date`` moved to the next business day (weekends, national and
        this tenant's holidays): frozen on the invoice when it is issued."""
        return next_business_day(due_date, self.holidays)


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
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    id: UUID
    tenant_id: UUID
    debtor_id: UUID
    external_id: str
    amount_cents: int
    currency: str
    due_date: date
    #: ``due_date`` moved to the next business day, frozen at issue.
    effective_due_date: date
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
    #: Payments applied to it, net of reversals (loaded with the invoice).
    payments: tuple[AppliedPayment, ...] = ()

    @property
    def rates(self) -> Rates:
        return Rates(late_fine_bps=self.late_fine_bps, monthly_interest_bps=self.monthly_interest_bps)

    def paid(self) -> list[Payment]:
        """The payments as the amount rule reads them: day and net amount, fully reversed ones left out."""
        return [Payment(p.paid_on, p.net_cents) for p in self.payments if p.net_cents > 0]

    def amount_on(self, day: date) -> Breakdown:
        """What the invoice amounts to on the tenant-local ``day``, by the one rule."""
        return breakdown(
            principal_cents=self.amount_cents,
            due_date=self.due_date,
            effective_due_date=self.effective_due_date,
            fine_bps=self.late_fine_bps,
            monthly_interest_bps=self.monthly_interest_bps,
            payments=self.paid(),
            as_of=day,
        )

    def settlement_day(self) -> date | None:
        """The day the payments settled it (see ``domain.money``), if they do."""
        return settlement_day(self.paid(), self.amount_on)


@dataclass(frozen=True, slots=True)
class AppliedPayment:
    """A payment applied to an invoice, and how much of it was reversed since."""

    payment_id: UUID
    invoice_id: UUID
    #: The tenant-local day it was paid.
    paid_on: date
    amount_cents: int
    reversed_cents: int

    @property
    def net_cents(self) -> int:
        """What is left of it after its reversals."""
        return self.amount_cents - self.reversed_cents

    @property
    def reversible_cents(self) -> int:
        return self.net_cents
