"""invoice-service events, version 1 (topic ``regua.invoice.events``)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from regua_contracts.base import CalendarDate, Cents, Currency, Instant, Payload, SignedCents

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
