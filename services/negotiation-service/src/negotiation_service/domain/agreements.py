"""Agreement lifecycle rules (pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
