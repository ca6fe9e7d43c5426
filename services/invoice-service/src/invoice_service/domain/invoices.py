"""Invoice statuses and how payments move them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

InvoiceStatus = Literal["open", "overdue", "partially_paid", "paid", "cancelled"]
STATUSES: tuple[InvoiceStatus, ...] = ("open", "overdue", "partially_paid", "paid", "cancelled")
#: Statuses in which money is still being collected.
COLLECTABLE: frozenset[InvoiceStatus] = frozenset({"open", "overdue", "partially_paid"})

REASON_PAYMENT_RECEIVED = "payment_received"
REASON_PAYMENT_REVERSED = "payment_reversed"
REASON_CANCELLED = "cancelled"


def is_overdue(due_date: date, today: date) -> bool:
    """Overdue once the due date has passed in the tenant's time zone."""
    return today > due_date


def overdue_since(due_date: date) -> date:
    """The tenant-local date on which an invoice becomes overdue."""
    return due_date + timedelta(days=1)


def status_after_payments(
    *, current: InvoiceStatus, settled: bool, paid_cents: int, flagged_overdue: bool
) -> InvoiceStatus:
    """The status once the payments on record are taken into account.

    A cancelled invoice stays cancelled (money received for it is recorded as
    paid and shows as overpaid); otherwise settled → paid, some money →
    partially paid, none → overdue or open.
    """
    if current == "cancelled":
        return "cancelled"
    if settled:
        return "paid"
    if paid_cents > 0:
        return "partially_paid"
    return "overdue" if flagged_overdue else "open"
