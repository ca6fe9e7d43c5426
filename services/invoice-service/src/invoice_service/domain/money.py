"""What invoice-service adds to the amount rule: the limits of a tenant's rates,
and when an invoice counts as settled.

The arithmetic itself (business-day due date, fine on the principal open at
the due date, default interest pro rata die on open principal only, CC art.
354 imputation, rounding) is ``regua_br.amount_due.breakdown``, the one rule
every service prices a debt with; ``Invoice.amount_on`` feeds it the
invoice's frozen inputs. Nothing here computes a fine or interest.

- Rates are the tenant's, snapshotted on the invoice when it is issued (as is
  its effective due date), so a later settings change never rewrites a debt.
- **Settlement**: an invoice is settled when what was paid covers the amount
  due by the rule *on the day of the last payment* (payment days, never the
  day the event is processed). A debtor paying exactly the figure shown for
  that day settles it; interest stops there: once nothing is open, nothing
  accrues, so the settlement day is the first payment day that covered it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from regua_br.amount_due import Breakdown, Payment

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


def settlement_day(payments: Sequence[Payment], amount_on: Callable[[date], Breakdown]) -> date | None:
    """The first payment day on which the payments so far cover what the rule
    asks (``amount_on``: the invoice's breakdown for a day), else None. Once
    covered it stays covered (nothing open accrues), so this is None exactly
    when the payments fall short on the day of the last one."""
    for day in sorted({p.on for p in payments}):
        if amount_on(day).due_cents == 0:
            return day
    return None


def signed_balance(amount: Breakdown) -> int:
    """What is still owed, negative when the debtor paid more than was due."""
    return amount.due_cents - amount.overpaid_cents
