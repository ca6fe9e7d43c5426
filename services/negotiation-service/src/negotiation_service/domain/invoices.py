"""The debtor's invoices as negotiation-service knows them, and what each one
is worth on a given day (pure).

The amount due is never a copy: it is computed for the day it is seen with
``regua_br.amount_due.breakdown`` from what invoice events carry (principal,
due date, effective due date, the rates frozen on the invoice and the applied
payments of ``invoice.balance-changed``). Invoices issued by an older
invoice-service carry no rates: for those (and only those) the last amount
due invoice-service reported is used as is, split into the principal still
open and charges that cannot be told apart (shown as interest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from regua_br.amount_due import Payment, breakdown

#: Statuses of an invoice the debtor still owes (and may renegotiate).
COLLECTABLE = frozenset({"open", "overdue", "partially_paid"})


@dataclass(frozen=True, slots=True)
class AmountDue:
    """What an invoice is made of on a day, each part still open."""

    principal_cents: int
    fine_cents: int
    interest_cents: int
    paid_cents: int
    days_late: int
    #: False for invoices without rates: the figure is the last one reported.
    computed: bool

    @property
    def due_cents(self) -> int:
        return self.principal_cents + self.fine_cents + self.interest_cents


@dataclass(frozen=True, slots=True)
class Invoice:
    """The last known state of one of invoice-service's invoices (the projection)."""

    id: UUID
    tenant_id: UUID
    debtor_id: UUID
    amount_cents: int
    due_date: date
    status: str
    #: Set when the invoice is an installment of this agreement.
    agreement_id: UUID | None
    updated_at: datetime
    #: Business-day due date frozen at issue (None: older producers; computed then).
    effective_due_date: date | None = None
    #: Rates frozen on the invoice (None: issued by an older producer).
    fine_bps: int | None = None
    monthly_interest_bps: int | None = None
    #: Applied payments, net of reversals (the latest invoice.balance-changed).
    payments: tuple[Payment, ...] = ()
    #: The last amount due reported by invoice-service: only for invoices without rates.
    reported_due_cents: int = 0

    @property
    def is_installment(self) -> bool:
        return self.agreement_id is not None

    @property
    def priced(self) -> bool:
        """Its issued event carried the rates: it can be priced for any day."""
        return self.fine_bps is not None and self.monthly_interest_bps is not None

    def due_on(self, day: date) -> AmountDue:
        """What the invoice is worth on ``day`` (nothing once it is no longer collectable)."""
        if self.status not in COLLECTABLE:
            return AmountDue(0, 0, 0, sum(p.cents for p in self.payments), 0, self.priced)
        if self.fine_bps is None or self.monthly_interest_bps is None:
            due = max(self.reported_due_cents, 0)
            principal = min(due, self.amount_cents)
            return AmountDue(principal, 0, due - principal, 0, max((day - self.due_date).days, 0), False)
        b = breakdown(
            principal_cents=self.amount_cents,
            due_date=self.due_date,
            fine_bps=self.fine_bps,
            monthly_interest_bps=self.monthly_interest_bps,
            payments=self.payments,
            as_of=day,
            effective_due_date=self.effective_due_date,
        )
        return AmountDue(
            b.open_principal_cents,
            b.open_fine_cents,
            b.open_interest_cents,
            b.paid_cents,
            b.days_late,
            True,
        )


@dataclass(frozen=True, slots=True)
class DebtorInvoice:
    """An invoice on the debtor's list, with whether an active agreement holds it."""

    invoice: Invoice
    in_agreement: bool

    @property
    def negotiable(self) -> bool:
        """Neither an agreement's installment nor held by an active agreement."""
        return not self.invoice.is_installment and not self.in_agreement
