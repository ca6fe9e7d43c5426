"""Invoice statuses and how payments move them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

InvoiceStatus = Literal["open", "overdue", "partially_paid", "paid", "cancelled", "renegotiated"]
STATUSES: tuple[InvoiceStatus, ...] = (
    "open",
    "overdue",
    "partially_paid",
    "paid",
    "cancelled",
    "renegotiated",
)
#: Statuses in which money is still being collected.
COLLECTABLE: frozenset[InvoiceStatus] = frozenset({"open", "overdue", "partially_paid"})

REASON_PAYMENT_RECEIVED = "payment_received"
REASON_PAYMENT_REVERSED = "payment_reversed"
REASON_CANCELLED = "cancelled"
REASON_AGREEMENT_CREATED = "agreement_created"
REASON_AGREEMENT_BROKEN = "agreement_broken"
REASON_AGREEMENT_COMPLETED = "agreement_completed"
REASON_AGREEMENT_PREPAID = "agreement_prepaid"


def is_overdue(effective_due_date: date, today: date) -> bool:
    """Overdue once the effective due date (the due date moved to a business
    day) has passed in the tenant's time zone: paying on it costs nothing more."""
    return today > effective_due_date


def overdue_since(effective_due_date: date) -> date:
    """The tenant-local date on which an invoice becomes overdue."""
    return effective_due_date + timedelta(days=1)


def status_after_payments(
    *, current: InvoiceStatus, settled: bool, paid_cents: int, flagged_overdue: bool
) -> InvoiceStatus:
    """The status once the payments on record are taken into account.

    A cancelled invoice stays cancelled (money received for it is recorded as
    paid and shows as overpaid); a renegotiated one stays renegotiated (the
    agreement decides its fate; money that still lands on it is kept and
    counts when the agreement breaks); otherwise settled → paid, some money →
    partially paid, none → overdue or open.
    """
    if current in ("cancelled", "renegotiated"):
        return current
    if settled:
        return "paid"
    if paid_cents > 0:
        return "partially_paid"
    return "overdue" if flagged_overdue else "open"


def allocate_credit(credit_cents: int, balances: list[int]) -> list[int]:
    """Split ``credit_cents`` over debts whose balances are given oldest due
    first: each takes what it still owes, in order; whatever is left over after
    every debt is covered goes to the last one (it shows as overpaid rather
    than vanishing)."""
    if credit_cents < 0:
        raise ValueError("credit_cents must not be negative")
    if not balances:
        return []
    shares: list[int] = []
    left = credit_cents
    for balance in balances:
        take = min(left, max(balance, 0))
        shares.append(take)
        left -= take
    shares[-1] += left
    return shares
