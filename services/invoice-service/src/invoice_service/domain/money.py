"""Amount due on a date: principal + late fine + default interest - paid.

Rules (Brazilian defaults; the rates are the tenant's, snapshotted on the
invoice when it is issued so a later settings change never rewrites a debt):

- Nothing is added on or before the due date.
- The late fine (CDC art. 52 §1: at most 2 %) is charged once, on the
  principal, as soon as the invoice is overdue; it does not grow.
- Default interest is simple interest on the principal, pro rata die over a
  30-day commercial month, counted from the day after the due date: on
  due + 1 one day accrues. It is not charged on the fine (no compounding).
- Partial payments are subtracted from the total; interest keeps accruing on
  the whole principal (the simple rule the product documents; see report).
- All arithmetic is on integers; each component is rounded once, half-up to
  the centavo (the usual commercial rounding), so the total is the sum of the
  amounts shown to the debtor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from regua_br.amount_due import BPS, DAYS_PER_MONTH, round_half_up

#: CDC art. 52 §1: the late fine may not exceed 2 % of the instalment.
MAX_LATE_FINE_BPS = 200
#: Usury law (Decreto 22.626/1933 art. 1) caps conventional interest at twice
#: the legal 1 % a month; keep tenants within 2 % a month. Review with counsel.
MAX_MONTHLY_INTEREST_BPS = 200
DEFAULT_LATE_FINE_BPS = 200
DEFAULT_MONTHLY_INTEREST_BPS = 100


@dataclass(frozen=True, slots=True)
class Rates:
    late_fine_bps: int = DEFAULT_LATE_FINE_BPS
    monthly_interest_bps: int = DEFAULT_MONTHLY_INTEREST_BPS

    def __post_init__(self) -> None:
        if not 0 <= self.late_fine_bps <= MAX_LATE_FINE_BPS:
            raise ValueError(f"late_fine_bps must be between 0 and {MAX_LATE_FINE_BPS}")
        if not 0 <= self.monthly_interest_bps <= MAX_MONTHLY_INTEREST_BPS:
            raise ValueError(f"monthly_interest_bps must be between 0 and {MAX_MONTHLY_INTEREST_BPS}")


@dataclass(frozen=True, slots=True)
class AmountDue:
    """What an invoice amounts to on ``as_of`` (a tenant-local calendar date)."""

    as_of: date
    principal_cents: int
    days_overdue: int
    fine_cents: int
    interest_cents: int
    paid_cents: int

    @property
    def total_cents(self) -> int:
        """Principal plus fine plus interest, before payments."""
        return self.principal_cents + self.fine_cents + self.interest_cents

    @property
    def balance_cents(self) -> int:
        """Total minus paid; negative after an overpayment."""
        return self.total_cents - self.paid_cents

    @property
    def amount_due_cents(self) -> int:
        return max(self.balance_cents, 0)

    @property
    def overpaid_cents(self) -> int:
        return max(-self.balance_cents, 0)

    @property
    def settled(self) -> bool:
        return self.paid_cents > 0 and self.balance_cents <= 0


def amount_due(
    *,
    principal_cents: int,
    due_date: date,
    as_of: date,
    rates: Rates,
    paid_cents: int = 0,
) -> AmountDue:
    """The amount due on the tenant-local date ``as_of``."""
    if principal_cents <= 0:
        raise ValueError("principal_cents must be positive")
    if paid_cents < 0:
        raise ValueError("paid_cents must not be negative")
    days = max((as_of - due_date).days, 0)
    fine = round_half_up(principal_cents * rates.late_fine_bps, BPS) if days else 0
    interest = round_half_up(principal_cents * rates.monthly_interest_bps * days, BPS * DAYS_PER_MONTH)
    return AmountDue(
        as_of=as_of,
        principal_cents=principal_cents,
        days_overdue=days,
        fine_cents=fine,
        interest_cents=interest,
        paid_cents=paid_cents,
    )
