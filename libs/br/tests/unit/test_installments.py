"""Installments priced on their real dates, against figures computed outside
this code: the issue's 1.530,50 in 3 x at 1,99 % a.m. (1.564,17 on dates 3,
33 and 64 days away; 1.591,81 with a month-away formula), and floating-point
evaluations of the same formulas written out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from regua_br.installments import (
    add_months,
    annual_rate,
    due_dates,
    effective_monthly_rate,
    payoff_cents,
    price_schedule,
)

RATE = Decimal("0.0199")
#: Accepted Sun 13/09/2026; installments Wed 16/09, Fri 16/10, Mon 16/11: 3, 33 and 64 days.
START = date(2026, 9, 13)


def test_the_issue_figures_three_installments_of_521_39() -> None:
    dates = due_dates(date(2026, 9, 16), 3)
    assert dates == [date(2026, 9, 16), date(2026, 10, 16), date(2026, 11, 16)]
    schedule = price_schedule(153050, RATE, start=START, dates=dates)
    # 1530.50 / (1.0199**(-3/30) + 1.0199**(-33/30) + 1.0199**(-64/30)) = 521.3897 -> 521,39; x 3 = 1.564,17.
    assert schedule.amounts == (52139, 52139, 52139)
    assert (schedule.total_cents, schedule.interest_cents) == (156417, 3367)
    # The month-away formula the issue found (1.591,81) charges 3,64 % a.m. on these dates.
    month_away = effective_monthly_rate(153050, start=START, dates=dates, amounts=(53060, 53060, 53061))
    assert Decimal("0.0363") < month_away < Decimal("0.0366")


def test_the_rate_shown_is_the_rate_charged() -> None:
    dates = due_dates(date(2026, 9, 16), 3)
    schedule = price_schedule(153050, RATE, start=START, dates=dates)
    cet = effective_monthly_rate(153050, start=START, dates=schedule.dates, amounts=schedule.amounts)
    assert abs(cet - RATE) < Decimal("0.00001")  # only the rounding to centavos differs
    # (1.0199)**12 - 1 = 26,675 % a year.
    assert annual_rate(RATE).quantize(Decimal("0.00001")) == Decimal("0.26675")


def test_due_dates_move_to_business_days_without_drifting() -> None:
    # Sat 23/01/2027 -> Mon 25/01; the next month is counted from the 23rd again.
    assert due_dates(date(2026, 11, 23), 4) == [
        date(2026, 11, 23),
        date(2026, 12, 23),
        date(2027, 1, 25),
        date(2027, 2, 23),
    ]
    # A tenant holiday on Mon 25/01/2027 (São Paulo's anniversary) pushes it to Tuesday.
    assert due_dates(date(2026, 11, 23), 3, holidays={date(2027, 1, 25)})[2] == date(2027, 1, 26)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    schedule = price_schedule(153050, RATE, start=date(2026, 11, 20), dates=due_dates(date(2026, 11, 23), 3))
    # Two more days to the third: 1530.50 / (1.0199**(-3/30) + 1.0199**(-33/30) + 1.0199**(-66/30))
    # = 521.61334 -> 521,61; total round(521.61334 x 3 = 1564.84002) = 1.564,84, the last 521,62.
    assert schedule.amounts == (52161, 52161, 52162)
    assert schedule.total_cents == 156484


def test_paying_early_reduces_interest_proportionally() -> None:
    schedule = price_schedule(153050, RATE, start=START, dates=due_dates(date(2026, 9, 16), 3))
    # On 16/10, with the first paid: 521.39 + 521.39 / 1.0199**(31/30) = 1032.2711 -> 1.032,27 (not 1.042,78).
    assert payoff_cents(schedule, on=date(2026, 10, 16), paid=1) == 103227
    # On the day of the agreement, everything early: exactly the principal back.
    assert payoff_cents(schedule, on=START, paid=0) == 153050


def test_zero_rate_and_bad_schedules() -> None:
    plain = price_schedule(100000, Decimal(0), start=START, dates=due_dates(date(2026, 9, 16), 3))
    assert plain.amounts == (33333, 33333, 33334) and plain.interest_cents == 0
    with pytest.raises(ValueError, match="in order"):
        price_schedule(100000, RATE, start=START, dates=[date(2026, 10, 16), date(2026, 9, 16)])
    with pytest.raises(ValueError, match="positive principal"):
        price_schedule(0, RATE, start=START, dates=[date(2026, 10, 16)])
