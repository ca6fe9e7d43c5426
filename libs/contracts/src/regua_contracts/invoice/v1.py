"""invoice-service events, version 1 (topic ``regua.invoice.events``)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from regua_contracts.base import CalendarDate, Cents, Currency, Instant, Payload, SignedCents

#: Basis points (1 % = 100): the rates frozen on an invoice.
BasisPoints = Annotated[int, Field(ge=0, le=10_000)]

InvoiceStatus = Literal["open", "overdue", "partially_paid", "paid", "cancelled", "renegotiated"]


class InvoiceIssuedV1(Payload):
    invoice_id: UUID
    external_id: str = Field(min_length=1, max_length=128)
    amount_cents: Cents
    currency: Currency = "BRL"
    due_date: CalendarDate
    issued_at: Instant
    description: str | None = Field(default=None, max_length=500)
    #: Set when the invoice is an installment of a renegotiation agreement.
    agreement_id: UUID | None = None
    #: The due date moved to the next business day (weekends, national and the
    #: tenant's own holidays), frozen at issue: paying on it costs no charges.
    #: With the rates below and the payments of ``invoice.balance-changed`` it
    #: is everything ``regua_br.amount_due.breakdown`` needs to price any day.
    #: Absent in events of older producers: read it as ``due_date``.
    effective_due_date: CalendarDate | None = None
    #: Late fine (CDC art. 52 §1: at most 200) and monthly default interest,
    #: frozen on the invoice. Absent in events of older producers.
    fine_bps: BasisPoints | None = None
    monthly_interest_bps: BasisPoints | None = None


class InvoiceOverdueV1(Payload):
    invoice_id: UUID
    due_date: CalendarDate
    #: The tenant-local calendar date on which the invoice became overdue.
    overdue_since: CalendarDate
    amount_due_cents: Cents
    currency: Currency = "BRL"


class InvoiceStatusChangedV1(Payload):
    invoice_id: UUID
    previous_status: InvoiceStatus
    status: InvoiceStatus
    reason: str = Field(min_length=1, max_length=200)
    amount_paid_cents: Cents
    amount_due_cents: SignedCents
    currency: Currency = "BRL"
    changed_at: Instant


class AppliedPaymentV1(BaseModel):
    """One payment as invoice-service applied it: net of its reversals."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    payment_id: UUID
    #: The tenant-local calendar day it was paid (what CC art. 354 imputation needs).
    paid_on: CalendarDate
    amount_cents: Cents


class InvoiceBalanceChangedV1(Payload):
    """The payments applied to an invoice changed (one applied, or reversed).

    Carries the full list, never a delta, so a consumer replaces what it kept
    and can price any day with ``regua_br.amount_due.breakdown``; payments
    fully reversed are left out."""

    invoice_id: UUID
    payments: list[AppliedPaymentV1] = Field(max_length=1000)
    amount_paid_cents: Cents
    status: InvoiceStatus
    currency: Currency = "BRL"
    changed_at: Instant
