"""The amount-due rule against cases computed by hand (2 % fine, 1 % a month
pro rata die unless said otherwise). Each row shows its arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from regua_br.amount_due import Payment, breakdown

D = date


def due_on(
    as_of: date, *, principal: int, due: date, payments: tuple[Payment, ...] = (), **kw: object
) -> int:
    rates = {"fine_bps": 200, "monthly_interest_bps": 100, **kw}
    return breakdown(
        principal_cents=principal,
        due_date=due,
        payments=payments,
        as_of=as_of,
        **rates,  # type: ignore[arg-type]
    ).due_cents


@pytest.mark.parametrize(
    ("case", "as_of", "principal", "due", "payments", "extra", "expected"),
    [
        # DOMAIN.md / the issue: 1.500,00 due Tue 10/11/2026, 1.000,00 paid 05/11, asked 20/11:
        # open 500,00; fine 2 % x 500 = 10,00; interest 500 x 1 % x 10/30 = 1,666 -> 1,67.
        (
            "paid_before_due",
            D(2026, 11, 20),
            150000,
            D(2026, 11, 10),
            (Payment(D(2026, 11, 5), 100000),),
            {},
            51167,
        ),
        # Due Sun 15/11/2026 (also a national holiday): payable Mon 16/11 without charges.
        ("sunday_holiday_next_day", D(2026, 11, 16), 150000, D(2026, 11, 15), (), {}, 150000),
        # ... and late from the original date when still open on Tue 17/11: 2 days.
        # fine 30,00; interest 1.500 x 1 % x 2/30 = 1,00.
        ("sunday_holiday_then_late", D(2026, 11, 17), 150000, D(2026, 11, 15), (), {}, 153100),
        # Christmas on Friday 25/12/2026: payable Monday 28/12.
        ("christmas", D(2026, 12, 28), 100000, D(2026, 12, 25), (), {}, 100000),
        # Partly paid after the due date (CC 354): 1.000,00 due 01/12; 500,00 paid 11/12; asked 21/12.
        # To 11/12: interest 1.000 x 1 % x 10/30 = 3,333 -> 3,33; fine 20,00.
        # The 500,00 pays 3,33 interest, 20,00 fine, 476,67 principal -> 523,33 open.
        # 11/12 -> 21/12: 523,33 x 1 % x 10/30 = 1,744 -> 1,74. Due 523,33 + 1,74 = 525,07.
        (
            "partial_after_due",
            D(2026, 12, 21),
            100000,
            D(2026, 12, 1),
            (Payment(D(2026, 12, 11), 50000),),
            {},
            52507,
        ),
        # 30 days late: fine 20,00 + interest 1.000 x 1 % x 30/30 = 10,00.
        ("thirty_days", D(2026, 12, 31), 100000, D(2026, 12, 1), (), {}, 103000),
        # Before the due date nothing is added; payments count.
        (
            "not_yet_due",
            D(2026, 11, 30),
            100000,
            D(2026, 12, 1),
            (Payment(D(2026, 11, 20), 30000),),
            {},
            70000,
        ),
        # Paid in full on time: nothing more, ever.
        ("paid_on_time", D(2027, 3, 1), 100000, D(2026, 12, 1), (Payment(D(2026, 12, 1), 100000),), {}, 0),
    ],
)
def test_hand_computed_cases(
    case: str,
    as_of: date,
    principal: int,
    due: date,
    payments: tuple[Payment, ...],
    extra: dict[str, object],
    expected: int,
) -> None:
    assert due_on(as_of, principal=principal, due=due, payments=payments, **extra) == expected, case


def test_a_tenant_holiday_moves_the_due_date() -> None:
    # Mon 25/01/2027, São Paulo's anniversary, declared by the tenant: payable Tue 26/01.
    free = breakdown(
        principal_cents=100000,
        due_date=D(2027, 1, 25),
        fine_bps=200,
        monthly_interest_bps=100,
        as_of=D(2027, 1, 26),
        holidays={D(2027, 1, 25)},
    )
    assert (free.effective_due_date, free.due_cents, free.days_late) == (D(2027, 1, 26), 100000, 0)
    without = due_on(D(2027, 1, 26), principal=100000, due=D(2027, 1, 25))
    assert without == 100000 + 2000 + 33  # 1 day: 1.000 x 1 % / 30 = 0,333 -> 0,33


def test_paying_exactly_what_is_asked_settles_it() -> None:
    # 11/12: 1.000,00 + 20,00 + 3,33 = 1.023,33.
    asked = due_on(D(2026, 12, 11), principal=100000, due=D(2026, 12, 1))
    assert asked == 102333
    paid = breakdown(
        principal_cents=100000,
        due_date=D(2026, 12, 1),
        fine_bps=200,
        monthly_interest_bps=100,
        payments=(Payment(D(2026, 12, 11), asked),),
        as_of=D(2027, 2, 1),
    )
    assert (paid.due_cents, paid.overpaid_cents, paid.open_principal_cents) == (0, 0, 0)
    assert (paid.fine_cents, paid.interest_cents) == (2000, 333)  # nothing accrues once settled


def test_overpayment_is_kept_never_negative_and_later_payments_wait_their_day() -> None:
    over = breakdown(
        principal_cents=100000,
        due_date=D(2026, 12, 1),
        fine_bps=200,
        monthly_interest_bps=100,
        payments=(Payment(D(2026, 11, 30), 110000), Payment(D(2027, 1, 5), 999)),
        as_of=D(2026, 12, 20),
    )
    assert (over.due_cents, over.overpaid_cents, over.paid_cents) == (0, 10000, 110000)


def test_zero_rates_and_bad_inputs() -> None:
    assert (
        due_on(D(2026, 12, 31), principal=100000, due=D(2026, 12, 1), fine_bps=0, monthly_interest_bps=0)
        == 100000
    )
    with pytest.raises(ValueError, match="principal_cents must be positive"):
        breakdown(
            principal_cents=0,
            due_date=D(2026, 12, 1),
            fine_bps=0,
            monthly_interest_bps=0,
            as_of=D(2026, 12, 1),
        )
    with pytest.raises(ValueError, match="positive amount"):
        Payment(D(2026, 12, 1), 0)
