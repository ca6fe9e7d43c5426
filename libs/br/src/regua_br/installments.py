"""Installments on the Price table, priced on their real dates (CDC art. 52).

A renegotiation splits ``principal`` into ``n`` equal installments due on
real calendar dates: the first on a chosen date, the others monthly after it,
each moved to the next business day when it falls on a weekend or holiday.
The payment ``PMT`` is the one whose present value, discounted at the
monthly rate ``i`` over the exact number of days to each due date on a
30-day month, equals the principal::

    principal = Σ PMT / (1 + i) ** (days_k / 30)

so the rate the offer shows is the rate actually charged, whatever the gap
to the first installment (a month-away formula charges more when the first
installment falls within days). Amounts are integer centavos: ``PMT`` is
rounded half-up, the total is ``PMT × n`` rounded half-up, and the last
installment takes the difference, so the installments add up to the total.

:func:`effective_monthly_rate` recovers the rate from the rounded amounts
(the CET, before any fees: Régua charges none), and :func:`payoff_cents`
prices paying the remaining installments early with the interest reduced
proportionally (CDC art. 52 §2).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from regua_br.calendar import next_business_day

DAYS_PER_MONTH = Decimal(30)
_CENT = Decimal(1)


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` months, the day clamped to the month's end (31/01 + 1 = 28/02)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(first: date, n: int, holidays: Collection[date] = ()) -> list[date]:
    """``first`` and then monthly from it, each on the next business day when needed.
    The months count from the nominal ``first``, so a shift never drifts the schedule."""
    if n < 1:
        raise ValueError("n must be at least 1")
    return [next_business_day(add_months(first, k), holidays) for k in range(n)]


def _discount(rate: Decimal, days: int) -> Decimal:
    return (1 + rate) ** (-Decimal(days) / DAYS_PER_MONTH)


def _cents(value: Decimal) -> int:
    return int(value.quantize(_CENT, rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Schedule:
    start: date
    monthly_rate: Decimal
    dates: tuple[date, ...]
    amounts: tuple[int, ...]
    principal_cents: int

    @property
    def total_cents(self) -> int:
        return sum(self.amounts)

    @property
    def interest_cents(self) -> int:
        return self.total_cents - self.principal_cents


def price_schedule(
    principal_cents: int, monthly_rate: Decimal, *, start: date, dates: Sequence[date]
) -> Schedule:
    """Equal installments on ``dates`` for ``principal_cents`` lent on ``start``."""
    if principal_cents <= 0 or not dates:
        raise ValueError("a schedule needs a positive principal and at least one date")
    if any(d < start for d in dates) or list(dates) != sorted(dates):
        raise ValueError("due dates must be in order and not before the start")
    if monthly_rate < 0:
        raise ValueError("the monthly rate may not be negative")
    n = len(dates)
    with localcontext() as ctx:
        ctx.prec = 34
        factor = sum((_discount(monthly_rate, (d - start).days) for d in dates), Decimal(0))
        payment = Decimal(principal_cents) / factor
        each, total = _cents(payment), _cents(payment * n)
    amounts = (*([each] * (n - 1)), total - each * (n - 1))
    return Schedule(start, monthly_rate, tuple(dates), amounts, principal_cents)


def effective_monthly_rate(
    principal_cents: int, *, start: date, dates: Sequence[date], amounts: Sequence[int]
) -> Decimal:
    """The monthly rate at which ``amounts`` on ``dates`` are worth exactly
    ``principal_cents`` on ``start`` (bisection to 1e-12)."""
    if sum(amounts) < principal_cents:
        raise ValueError("the installments add up to less than the principal")

    def present_value(rate: Decimal) -> Decimal:
        return sum(
            (Decimal(a) * _discount(rate, (d - start).days) for d, a in zip(dates, amounts, strict=True)),
            Decimal(0),
        )

    with localcontext() as ctx:
        ctx.prec = 34
        low, high = Decimal(0), Decimal(1)
        target = Decimal(principal_cents)
        while high - low > Decimal("1e-12"):
            mid = (low + high) / 2
            if present_value(mid) > target:
                low = mid
            else:
                high = mid
        return ((low + high) / 2).quantize(Decimal("1e-10"))


def annual_rate(monthly_rate: Decimal) -> Decimal:
    """The annual rate equivalent to ``monthly_rate`` compounded over 12 months."""
    with localcontext() as ctx:
        ctx.prec = 34
        return ((1 + monthly_rate) ** 12 - 1).quantize(Decimal("1e-10"))


def payoff_cents(schedule: Schedule, *, on: date, paid: int) -> int:
    """What settles the installments after the first ``paid`` on ``on``: each
    remaining one discounted at the schedule's rate from its due date back to
    ``on`` (none increased when already due)."""
    with localcontext() as ctx:
        ctx.prec = 34
        value = sum(
            (
                Decimal(a) * _discount(schedule.monthly_rate, max((d - on).days, 0))
                for d, a in zip(schedule.dates[paid:], schedule.amounts[paid:], strict=True)
            ),
            Decimal(0),
        )
    return _cents(value)
