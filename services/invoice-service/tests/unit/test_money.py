"""The invoice's amounts by the one rule (``regua_br.amount_due``), against
cases computed by hand. Unless said otherwise: 2 % fine, 1 % a month pro rata
die (30-day month), amounts in centavos. Each case shows its arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from invoice_service.domain.invoices import is_overdue, overdue_since, status_after_payments
from invoice_service.domain.models import AppliedPayment, Invoice, TenantSettings
from invoice_service.domain.money import Rates, signed_balance

D = date
ID = UUID("00000000-0000-0000-0000-000000000001")


def paid(on: date, cents: int, reversed_cents: int = 0) -> AppliedPayment:
    return AppliedPayment(
        payment_id=uuid4(), invoice_id=ID, paid_on=on, amount_cents=cents, reversed_cents=reversed_cents
    )


def invoice(
    principal: int,
    due: date,
    *payments: AppliedPayment,
    fine_bps: int = 200,
    interest_bps: int = 100,
    holidays: tuple[date, ...] = (),
) -> Invoice:
    at = datetime(2026, 10, 1, 12, tzinfo=UTC)
    return Invoice(
        id=ID,
        tenant_id=uuid4(),
        debtor_id=uuid4(),
        external_id="i-1",
        amount_cents=principal,
        currency="BRL",
        due_date=due,
        effective_due_date=TenantSettings(holidays=holidays).effective_due_date(due),
        description=None,
        status="open",
        late_fine_bps=fine_bps,
        monthly_interest_bps=interest_bps,
        amount_paid_cents=sum(p.net_cents for p in payments),
        overdue_since=None,
        settled_on=None,
        cancelled_at=None,
        created_at=at,
        updated_at=at,
        payments=payments,
    )


@pytest.mark.parametrize(
    ("case", "subject", "as_of", "expected_due"),
    [
        # The issue: 1.500,00 due Tue 10/11/2026, 1.000,00 paid 05/11 (before the due date), asked 20/11.
        # Open principal 1.500,00 - 1.000,00 = 500,00; fine 2 % x 500,00 = 10,00;
        # interest 500,00 x 1 % x 10/30 = 1,666.. -> 1,67. Due 500,00 + 10,00 + 1,67 = 511,67.
        (
            "paid_before_due",
            invoice(150_000, D(2026, 11, 10), paid(D(2026, 11, 5), 100_000)),
            D(2026, 11, 20),
            51_167,
        ),
        # Nothing added up to the due date: 1.500,00 - 1.000,00 = 500,00.
        (
            "on_the_due_date",
            invoice(150_000, D(2026, 11, 10), paid(D(2026, 11, 5), 100_000)),
            D(2026, 11, 10),
            50_000,
        ),
        # Due Sun 15/11/2026 (also a national holiday): payable Mon 16/11 without charges = 1.500,00.
        ("sunday_holiday", invoice(150_000, D(2026, 11, 15)), D(2026, 11, 16), 150_000),
        # Still open Tue 17/11: late 2 days counted from 15/11. Fine 2 % x 1.500,00 = 30,00;
        # interest 1.500,00 x 1 % x 2/30 = 1,00. Due 1.500,00 + 30,00 + 1,00 = 1.531,00.
        ("sunday_holiday_then_late", invoice(150_000, D(2026, 11, 15)), D(2026, 11, 17), 153_100),
        # Late partial payment, CC art. 354: 1.000,00 due Tue 01/12/2026, 500,00 paid 11/12.
        # To 11/12: interest 1.000,00 x 1 % x 10/30 = 3,333.. -> 3,33; fine 20,00.
        # The 500,00 pays 3,33 interest, then 20,00 fine, then 476,67 principal: 523,33 open.
        # Asked that day: 523,33.
        (
            "partial_late_same_day",
            invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 50_000)),
            D(2026, 12, 11),
            52_333,
        ),
        # Asked 21/12: interest only on the open 523,33: 523,33 x 1 % x 10/30 = 1,744.. -> 1,74.
        # Due 523,33 + 1,74 = 525,07 (the old rule asked 1.000 + 20 + 6,67 - 500 = 526,67).
        (
            "partial_late_interest_first",
            invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 50_000)),
            D(2026, 12, 21),
            52_507,
        ),
        # A late payment smaller than interest + fine: 10,00 on 11/12 pays 3,33 interest and 6,67 of
        # the 20,00 fine; 13,33 fine and 1.000,00 principal stay open. 11/12 -> 21/12 interest
        # 1.000,00 x 1 % x 10/30 = 3,33. Due 1.000,00 + 13,33 + 3,33 = 1.016,66.
        (
            "tiny_late_payment",
            invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 1_000)),
            D(2026, 12, 21),
            101_666,
        ),
        # Two late payments: 500,00 on 11/12 leaves 523,33 open (above); 300,00 on 21/12 pays the
        # 1,74 interest then 298,26 principal: 523,33 - 298,26 = 225,07 open. 21/12 -> 31/12:
        # 225,07 x 1 % x 10/30 = 0,750.. -> 0,75. Due 225,07 + 0,75 = 225,82.
        (
            "two_late_payments",
            invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 50_000), paid(D(2026, 12, 21), 30_000)),
            D(2026, 12, 31),
            22_582,
        ),
        # A reversal reduces its payment: 1.000,00 paid 05/11 less 400,00 reversed = 600,00 net.
        # Open 900,00; fine 18,00; interest 900,00 x 1 % x 10/30 = 3,00. Due 921,00.
        (
            "net_of_reversal",
            invoice(150_000, D(2026, 11, 10), paid(D(2026, 11, 5), 100_000, 40_000)),
            D(2026, 11, 20),
            92_100,
        ),
        # A payment fully reversed counts for nothing: 30 days late on 1.000,00 due 01/12:
        # 1.000,00 + 20,00 + 10,00 = 1.030,00.
        (
            "fully_reversed",
            invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 2), 100_000, 100_000)),
            D(2026, 12, 31),
            103_000,
        ),
        # The tenant's rates frozen on the invoice: 1 % fine, 1,5 % a month. 1.000,00 30 days late:
        # 10,00 + 1.000,00 x 1,5 % x 30/30 = 15,00. Due 1.025,00.
        (
            "tenant_rates",
            invoice(100_000, D(2026, 12, 1), fine_bps=100, interest_bps=150),
            D(2026, 12, 31),
            102_500,
        ),
        # A tenant holiday: São Paulo's anniversary, Mon 25/01/2027, moves the due date to Tue 26/01.
        (
            "tenant_holiday",
            invoice(100_000, D(2027, 1, 25), holidays=(D(2027, 1, 25),)),
            D(2027, 1, 26),
            100_000,
        ),
        # Without it, Tue 26/01 is a day late: 1.000,00 + 20,00 + 1.000,00 x 1 % x 1/30 (0,33) = 1.020,33.
        ("no_tenant_holiday", invoice(100_000, D(2027, 1, 25)), D(2027, 1, 26), 102_033),
    ],
)
def test_hand_computed_cases(case: str, subject: Invoice, as_of: date, expected_due: int) -> None:
    assert subject.amount_on(as_of).due_cents == expected_due, case


def test_the_issue_breakdown_part_by_part() -> None:
    # 500,00 open + 10,00 fine + 1,67 interest; 1.000,00 paid; 10 days late from 10/11.
    a = invoice(150_000, D(2026, 11, 10), paid(D(2026, 11, 5), 100_000)).amount_on(D(2026, 11, 20))
    assert (a.open_principal_cents, a.fine_cents, a.interest_cents, a.paid_cents, a.days_late) == (
        50_000,
        1_000,
        167,
        100_000,
        10,
    )


def test_paying_the_figure_shown_on_the_monday_after_a_sunday_holiday_settles_it() -> None:
    # Due Sun 15/11/2026 (holiday): 1.500,00 paid Mon 16/11 is exactly what is due that day.
    subject = invoice(150_000, D(2026, 11, 15), paid(D(2026, 11, 16), 150_000))
    assert subject.effective_due_date == D(2026, 11, 16)
    assert subject.settlement_day() == D(2026, 11, 16)
    # Nothing accrues afterwards: interest runs on open principal only.
    later = subject.amount_on(D(2027, 3, 1))
    assert (later.due_cents, later.fine_cents, later.interest_cents) == (0, 0, 0)


def test_settled_exactly_by_the_late_figure_and_not_one_centavo_short() -> None:
    # 1.000,00 due 01/12/2026, paid 11/12: 1.000,00 + 20,00 fine + 3,33 interest = 1.023,33.
    assert invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 102_333)).settlement_day() == D(
        2026, 12, 11
    )
    short = invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 102_332))
    assert short.settlement_day() is None
    assert short.amount_on(D(2026, 12, 11)).due_cents == 1
    # Settled in two payments: 500,00 on 11/12 then 525,07 on 21/12 (the figure of that day).
    two = invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 11), 50_000), paid(D(2026, 12, 21), 52_507))
    assert two.settlement_day() == D(2026, 12, 21)


def test_overpayment_and_signed_balance() -> None:
    # 1.000,50 paid on the due date for 1.000,00: 0,50 overpaid, balance -0,50.
    a = invoice(100_000, D(2026, 12, 1), paid(D(2026, 12, 1), 100_050)).amount_on(D(2026, 12, 31))
    assert (a.due_cents, a.overpaid_cents, signed_balance(a)) == (0, 50, -50)
    # 300,00 of 1.000,00 paid early, asked on the due date: 700,00 owed.
    b = invoice(100_000, D(2026, 12, 1), paid(D(2026, 11, 20), 30_000)).amount_on(D(2026, 12, 1))
    assert signed_balance(b) == 70_000


def test_overdue_counts_from_the_effective_due_date() -> None:
    # Due Sun 15/11/2026 -> effective Mon 16/11: not overdue on the 16th, overdue since the 17th.
    effective = TenantSettings().effective_due_date(D(2026, 11, 15))
    assert not is_overdue(effective, D(2026, 11, 16))
    assert is_overdue(effective, D(2026, 11, 17)) and overdue_since(effective) == D(2026, 11, 17)


def test_rates_are_capped_by_law() -> None:
    with pytest.raises(ValueError, match="late_fine_bps"):
        Rates(late_fine_bps=201)
    with pytest.raises(ValueError, match="monthly_interest_bps"):
        Rates(monthly_interest_bps=201)
    with pytest.raises(ValueError, match="late_fine_bps"):
        Rates(late_fine_bps=-1)


@pytest.mark.parametrize(
    ("current", "settled", "paid_cents", "flagged", "expected"),
    [
        ("open", True, 100, False, "paid"),
        ("overdue", False, 10, True, "partially_paid"),
        ("partially_paid", False, 0, True, "overdue"),
        ("paid", False, 0, False, "open"),
        ("paid", False, 5, False, "partially_paid"),
        ("cancelled", True, 100, True, "cancelled"),
    ],
)
def test_status_after_payments(current, settled, paid_cents, flagged, expected) -> None:  # type: ignore[no-untyped-def]
    assert (
        status_after_payments(
            current=current, settled=settled, paid_cents=paid_cents, flagged_overdue=flagged
        )
        == expected
    )
