from datetime import date

import pytest

from invoice_service.domain.invoices import status_after_payments
from invoice_service.domain.money import Rates, amount_due, round_half_up

DUE = date(2026, 3, 10)


def due(as_of: date, principal: int = 100_000, paid: int = 0, rates: Rates | None = None):  # type: ignore[no-untyped-def]
    return amount_due(
        principal_cents=principal, due_date=DUE, as_of=as_of, rates=rates or Rates(), paid_cents=paid
    )


def test_nothing_added_until_the_due_date_has_passed() -> None:
    for day in (date(2026, 3, 1), DUE):
        a = due(day)
        assert (a.days_overdue, a.fine_cents, a.interest_cents, a.amount_due_cents) == (0, 0, 0, 100_000)


def test_day_after_due_charges_the_fine_once_and_one_day_of_interest() -> None:
    a = due(date(2026, 3, 11))
    assert a.days_overdue == 1
    assert a.fine_cents == 2_000  # 2 %
    assert a.interest_cents == 33  # 1 % / 30 of R$ 1.000,00 = 33.33 centavos
    assert a.amount_due_cents == 102_033


def test_fine_is_charged_once_and_interest_grows_pro_rata_die() -> None:
    a30 = due(date(2026, 4, 9))
    assert (a30.days_overdue, a30.fine_cents, a30.interest_cents) == (30, 2_000, 1_000)
    a45 = due(date(2026, 4, 24))
    assert (a45.fine_cents, a45.interest_cents) == (2_000, 1_500)


def test_rates_are_capped_by_law() -> None:
    with pytest.raises(ValueError, match="late_fine_bps"):
        Rates(late_fine_bps=201)
    with pytest.raises(ValueError, match="monthly_interest_bps"):
        Rates(monthly_interest_bps=201)
    with pytest.raises(ValueError, match="late_fine_bps"):
        Rates(late_fine_bps=-1)
    assert (
        due(date(2026, 4, 9), rates=Rates(late_fine_bps=0, monthly_interest_bps=0)).amount_due_cents
        == 100_000
    )


def test_rounding_is_half_up_per_component() -> None:
    assert round_half_up(5, 10) == 1
    assert round_half_up(15, 10) == 2
    assert round_half_up(25, 10) == 3  # half-up, not banker's
    assert round_half_up(24, 10) == 2
    assert round_half_up(0, 7) == 0
    # 2 % of R$ 0,25 is 0.5 centavo -> 1; a day of 1 %/month on it is 0.0083 -> 0
    a = due(date(2026, 3, 11), principal=25)
    assert (a.fine_cents, a.interest_cents, a.amount_due_cents) == (1, 0, 26)
    # 1 %/month for 15 days on R$ 1,00 = 0.5 centavo -> 1
    assert due(date(2026, 3, 25), principal=100).interest_cents == 1
    with pytest.raises(ValueError, match="non-negative"):
        round_half_up(-1, 2)


def test_large_amounts_stay_exact() -> None:
    a = due(date(2026, 12, 31), principal=10**13)
    assert a.fine_cents == 2 * 10**11
    assert a.interest_cents == round_half_up(10**13 * 100 * 296, 10_000 * 30)
    assert isinstance(a.amount_due_cents, int)


def test_partial_and_over_payment() -> None:
    partial = due(date(2026, 3, 11), paid=50_000)
    assert partial.amount_due_cents == 52_033 and partial.overpaid_cents == 0 and not partial.settled
    exact = due(date(2026, 3, 11), paid=102_033)
    assert exact.amount_due_cents == 0 and exact.overpaid_cents == 0 and exact.settled
    over = due(DUE, paid=100_500)
    assert over.amount_due_cents == 0 and over.overpaid_cents == 500 and over.balance_cents == -500
    assert not due(DUE).settled


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="principal"):
        due(DUE, principal=0)
    with pytest.raises(ValueError, match="paid"):
        due(DUE, paid=-1)


@pytest.mark.parametrize(
    ("current", "settled", "paid", "flagged", "expected"),
    [
        ("open", True, 100, False, "paid"),
        ("overdue", False, 10, True, "partially_paid"),
        ("partially_paid", False, 0, True, "overdue"),
        ("paid", False, 0, False, "open"),
        ("paid", False, 5, False, "partially_paid"),
        ("cancelled", True, 100, True, "cancelled"),
    ],
)
def test_status_after_payments(current, settled, paid, flagged, expected) -> None:  # type: ignore[no-untyped-def]
    assert (
        status_after_payments(current=current, settled=settled, paid_cents=paid, flagged_overdue=flagged)
        == expected
    )
