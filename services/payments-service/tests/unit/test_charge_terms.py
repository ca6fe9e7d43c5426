"""The terms a cobv and a boleto carry, first and after payments: hand-computed,
then checked day by day against the PSP sandbox's own arithmetic (an
independent oracle) so the PSP's figure is ours, or never below it within the
documented bound."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from payments_service.domain.charges import STATIC_TXID_LENGTH, Terms, cobv_txid, static_txid
from payments_service.domain.invoices import Invoice, first_terms, revised_terms
from regua_br.amount_due import Payment, breakdown
from regua_devtools.sandboxes.charges import Rule, value_on
from regua_devtools.sandboxes.charges import Terms as PspTerms


def invoice(
    *,
    principal: int = 150_000,
    due: date = date(2026, 11, 10),
    effective: date | None = None,
    payments: tuple[Payment, ...] = (),
) -> Invoice:
    return Invoice(
        tenant_id=uuid4(),
        invoice_id=uuid4(),
        debtor_id=uuid4(),
        principal_cents=principal,
        due_date=due,
        effective_due_date=effective or due,
        fine_bps=200,
        monthly_interest_bps=100,
        status="partially_paid" if payments else "open",
        payments=payments,
    )


def psp_value(terms: Terms, on: date) -> int:
    """What the PSP sandbox charges on ``on`` for a cobv with ``terms``, in centavos."""
    value = value_on(
        PspTerms(
            due_date=terms.due_date,
            days_valid_after_due=terms.days_valid_after_due,
            original=Decimal(terms.amount_cents) / 100,
            fine=Rule(2, Decimal(terms.fine_bps) / 100) if terms.fine_bps else None,
            interest=Rule(3, Decimal(terms.monthly_interest_bps) / 100)
            if terms.monthly_interest_bps
            else None,
        ),
        on,
    )
    return int(value.final * 100)


def ours(inv: Invoice, on: date) -> int:
    return breakdown(
        principal_cents=inv.principal_cents,
        due_date=inv.due_date,
        fine_bps=inv.fine_bps,
        monthly_interest_bps=inv.monthly_interest_bps,
        payments=inv.payments,
        as_of=on,
        effective_due_date=inv.effective_due_date,
    ).due_cents


def test_txids_cobv_26_to_35_and_static_at_most_25() -> None:
    charge_id = uuid4()
    assert len(cobv_txid(charge_id)) == 32 and cobv_txid(charge_id).isalnum()
    assert len(static_txid(charge_id)) == STATIC_TXID_LENGTH == 25
    assert cobv_txid(uuid4()) != cobv_txid(uuid4())


def test_first_terms_are_the_principal_and_the_frozen_rates() -> None:
    assert first_terms(invoice(), 30) == Terms(date(2026, 11, 10), 150_000, 200, 100, 30)


def test_a_weekend_due_date_is_sent_as_is_the_psp_moves_it() -> None:
    # Sun 15/11/2026 (also a national holiday): the PSP itself makes Mon 16/11 payable.
    inv = invoice(due=date(2026, 11, 15), effective=date(2026, 11, 16))
    assert first_terms(inv, 30).due_date == date(2026, 11, 15)
    assert psp_value(first_terms(inv, 30), date(2026, 11, 16)) == 150_000


def test_a_tenant_holiday_sends_the_effective_due_date() -> None:
    # Wed 18/11/2026 is only the tenant's holiday: the PSP would not know it.
    inv = invoice(due=date(2026, 11, 18), effective=date(2026, 11, 19))
    assert first_terms(inv, 30).due_date == date(2026, 11, 19)


def test_a_payment_before_due_leaves_the_open_principal_with_the_same_rates() -> None:
    # 1.500,00 due 10/11, 1.000,00 paid 05/11: 500,00 open, fine and interest on it.
    inv = invoice(payments=(Payment(date(2026, 11, 5), 100_000),))
    terms = revised_terms(inv, today=date(2026, 11, 6), days_valid_after_due=30)
    assert terms == Terms(date(2026, 11, 10), 50_000, 200, 100, 30)
    # On 20/11: 500,00 + 2 % = 10,00 + 1 % a month for 10 days = 1,67 -> 511,67 (the figure).
    assert psp_value(terms, date(2026, 11, 20)) == 51_167 == ours(inv, date(2026, 11, 20))


def test_paid_in_full_before_due_needs_no_charge() -> None:
    inv = invoice(payments=(Payment(date(2026, 11, 5), 150_000),))
    assert revised_terms(inv, today=date(2026, 11, 6), days_valid_after_due=30) is None


def test_a_late_payment_rebased_on_its_own_business_day_is_exact() -> None:
    # Due Tue 10/11, 1.000,00 paid Thu 19/11: fine 30,00, interest 1.500 x 1 % x 9/30 = 4,50;
    # the payment takes 4,50 + 30,00 first, then 965,50 of principal: 534,50 open, nothing else.
    inv = invoice(payments=(Payment(date(2026, 11, 19), 100_000),))
    terms = revised_terms(inv, today=date(2026, 11, 19), days_valid_after_due=30)
    # Valid until 10/12 as before: 21 days after 19/11.
    assert terms == Terms(date(2026, 11, 19), 53_450, 0, 100, 21)
    # 29/11: 534,50 x 1 % x 10/30 = 1,7817 -> 1,78: 536,28 both ways.
    assert psp_value(terms, date(2026, 11, 29)) == 53_628 == ours(inv, date(2026, 11, 29))


def test_a_late_payment_seen_on_a_saturday_is_rebased_on_monday_never_below_ours() -> None:
    inv = invoice(payments=(Payment(date(2026, 11, 19), 100_000),))
    terms = revised_terms(inv, today=date(2026, 11, 21), days_valid_after_due=30)
    # Mon 23/11: 534,50 + 534,50 x 1 % x 4/30 = 0,7127 -> 0,71: 535,21, plus the 1 centavo.
    assert terms == Terms(date(2026, 11, 23), 53_522, 0, 100, 17)
    # Sun 22/11 (before the new due date): 535,22 at the PSP, ours 534,50 + 0,53 = 535,03.
    assert psp_value(terms, date(2026, 11, 22)) == 53_522
    assert ours(inv, date(2026, 11, 22)) == 53_503
    # Mon 30/11: PSP 535,22 + 535,22 x 1 % x 7/30 = 1,2488 -> 1,25: 536,47;
    # ours 534,50 + 534,50 x 1 % x 11/30 = 1,9598 -> 1,96: 536,46.
    assert psp_value(terms, date(2026, 11, 30)) == 53_647
    assert ours(inv, date(2026, 11, 30)) == 53_646


@pytest.mark.parametrize(
    ("payments", "today"),
    [
        ((Payment(date(2026, 11, 19), 100_000),), date(2026, 11, 19)),
        ((Payment(date(2026, 11, 19), 100_000),), date(2026, 11, 21)),
        # A small late payment that does not even cover the fine: fine and interest stay open.
        ((Payment(date(2026, 11, 19), 1_000),), date(2026, 11, 25)),
        ((Payment(date(2026, 11, 5), 40_000), Payment(date(2026, 11, 24), 30_000)), date(2026, 11, 27)),
    ],
)
def test_the_psp_figure_is_never_below_ours_and_within_the_bound(
    payments: tuple[Payment, ...], today: date
) -> None:
    inv = invoice(payments=payments)
    terms = revised_terms(inv, today=today, days_valid_after_due=60)
    assert terms is not None
    open_principal = breakdown(
        principal_cents=inv.principal_cents,
        due_date=inv.due_date,
        fine_bps=200,
        monthly_interest_bps=100,
        payments=payments,
        as_of=terms.due_date,
    ).open_principal_cents
    for d in range(40):
        day = today + timedelta(days=d)
        gap = psp_value(terms, day) - ours(inv, day)
        early_days = max((terms.due_date - day).days, 0)
        late_days = max((day - terms.due_date).days, 0)
        bound = (
            2
            + math.ceil(open_principal * 100 * early_days / 300_000)
            + math.ceil((terms.amount_cents - open_principal) * 100 * late_days / 300_000)
        )
        assert 0 <= gap <= bound, (day, gap, bound)


def test_an_invoice_issued_past_due_is_rebased_for_the_gateways() -> None:
    # Due Tue 10/11, issued (seen) Fri 20/11 — a national holiday — so re-based on Mon 23/11:
    # 1.500,00 + 30,00 fine + 1.500 x 1 % x 13/30 = 6,50 -> 1.536,50. No guard centavo: k days
    # later the PSP asks 1.536,50 x 1 % x k/30 = 0,5122k more, we ask 0,50k more.
    terms = revised_terms(
        invoice(), today=date(2026, 11, 20), days_valid_after_due=30, rebase_when_past_due=True
    )
    assert terms == Terms(date(2026, 11, 23), 153_650, 0, 100, 17)


def test_a_small_rebased_debt_gets_the_guard_centavo_when_rounding_would_ask_less() -> None:
    # R$ 10,00 due 10/11, seen 20/11, re-based on Mon 23/11: 10,00 + 0,20 + 10 x 1 % x 13/30
    # = 0,0433 -> 0,04: 10,24. On Tue 24/11 we ask 10,00 + 0,20 + 0,0467 -> 0,05 = 10,25 but
    # the PSP would ask 10,24 + 10,24 x 1 % x 1/30 = 0,0034 -> 0,00 = 10,24: one centavo short,
    # so the cobv asks 10,25 from 23/11.
    inv = invoice(principal=1_000)
    terms = revised_terms(inv, today=date(2026, 11, 20), days_valid_after_due=30, rebase_when_past_due=True)
    assert terms == Terms(date(2026, 11, 23), 1_025, 0, 100, 17)


def test_an_invoice_issued_in_its_weekend_grace_keeps_its_fine_from_the_next_business_day() -> None:
    # Due Sat 07/11, effective Mon 09/11, seen Sun 08/11: due Mon 09/11, 1.500,00, same rates.
    inv = invoice(due=date(2026, 11, 7), effective=date(2026, 11, 9))
    terms = revised_terms(inv, today=date(2026, 11, 8), days_valid_after_due=30, rebase_when_past_due=True)
    assert terms == Terms(date(2026, 11, 9), 150_000, 200, 100, 28)
    # Not past due: nothing changes.
    assert revised_terms(
        invoice(), today=date(2026, 11, 9), days_valid_after_due=30, rebase_when_past_due=True
    ) == (Terms(date(2026, 11, 10), 150_000, 200, 100, 30))
