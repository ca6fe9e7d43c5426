"""Offer simulation on real dates: the issue's figures by hand, the rate shown is
the rate charged (CET), business-day dates, down payment, discount tiers,
eligibility (segment), minimum installment, deterministic ids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from negotiation_service.domain.offers import (
    DEFAULT_RULES,
    DiscountTier,
    Eligibility,
    OfferRules,
    OpenInvoice,
    simulate,
)
from regua_br.installments import effective_monthly_rate

#: Sunday: accepting on 13/09/2026 puts the first installment on Wed 16/09 (3 days),
#: then Fri 16/10 (33 days) and Mon 16/11 (64 days).
TODAY = date(2026, 9, 13)
THREE = OfferRules(min_installments=3, max_installments=3, cash_discount_bps=0, discount_tiers=())


def inv(amount: int, days: int = 30, invoice_id: UUID | None = None) -> OpenInvoice:
    return OpenInvoice(invoice_id or uuid4(), amount, 0, 0, days)


def test_the_issue_offer_1530_50_in_three_at_1_99() -> None:
    # R$ 1.500,00 one day late: fine 2 % = 30,00; interest 1 % a.m. for 1 day = 1500 x 0.01 / 30 = 0,50.
    debt = OpenInvoice(uuid4(), 150_000, 3_000, 50, 1, fine_bps=200, monthly_interest_bps=100)
    [cash, three] = simulate(THREE, [debt], today=TODAY, scope="t")
    assert (three.base.principal_cents, three.base.fine_cents, three.base.interest_cents) == (
        150_000,
        3_000,
        50,
    )
    assert three.original_cents == 153_050
    assert [i.due_date for i in three.installments] == [
        date(2026, 9, 16),
        date(2026, 10, 16),
        date(2026, 11, 16),
    ]
    # PMT = 1530.50 / (1.0199**(-3/30) + 1.0199**(-33/30) + 1.0199**(-64/30)) = 521.3897 -> 521,39;
    # total round(521.3897 x 3) = 1.564,17 (a month-away Price table gives 1.591,81).
    assert [i.amount_cents for i in three.installments] == [52_139, 52_139, 52_139]
    assert three.total_cents == 156_417
    # Interest: 1.564,17 - 1.530,50 = 33,67.
    assert three.interest_cents == 3_367
    # The rate shown is the rate charged: the schedule's effective rate rounds to 1,99 % a.m.,
    # and (1.0199006)**12 - 1 = 26,676 % -> 26,68 % a year.
    assert three.monthly_rate == "0.0199"
    assert three.effective_monthly_rate == Decimal("0.0199")
    assert three.effective_annual_rate == Decimal("0.2668")
    assert three.tolerance_days == 5 and (three.late_fine_bps, three.late_monthly_interest_bps) == (200, 100)
    # Cash: no discount in these rules, one payment on 16/09, no interest, rate 0.
    assert (cash.total_cents, cash.discount_cents, cash.interest_cents) == (153_050, 0, 0)
    assert cash.installments[0].due_date == date(2026, 9, 16)
    assert cash.effective_monthly_rate == Decimal("0.0000")


def test_the_rate_charged_equals_the_rate_quoted_for_every_plan() -> None:
    for offer in simulate(DEFAULT_RULES, [inv(123_457)], today=TODAY, scope="t")[1:]:
        exact = effective_monthly_rate(
            offer.original_cents,
            start=TODAY,
            dates=[i.due_date for i in offer.installments],
            amounts=[i.amount_cents for i in offer.installments],
        )
        assert abs(exact - Decimal("0.0199")) < Decimal("0.00005"), offer.kind  # centavo rounding only
        assert sum(i.amount_cents for i in offer.installments) == offer.total_cents


def test_due_dates_move_to_business_days() -> None:
    # Wed 16/09 + 3 = Sat 19/09 -> Mon 21/09; then 19/10 (Mon) and 19/11 (Thu), counted from the 19th.
    offers = simulate(THREE, [inv(100_000)], today=date(2026, 9, 16), scope="t")
    assert offers[0].installments[0].due_date == date(2026, 9, 21)
    assert [i.due_date for i in offers[1].installments] == [
        date(2026, 9, 21),
        date(2026, 10, 19),
        date(2026, 11, 19),
    ]


def test_down_payment_is_first_installment_at_the_same_rate() -> None:
    rules = OfferRules(
        min_installments=3, max_installments=3, down_payment_bps=2_000, min_installment_cents=100
    )
    three = simulate(rules, [inv(100_000)], today=TODAY, scope="t")[1]
    # Down payment 20 % of 1.000,00 = 200,00 on 16/09, worth 200 / 1.0199**(3/30) = 199,6063 -> 199,61 today;
    # the rest 1000 - 199.61 = 800,39 over 16/10 and 16/11:
    # 800.39 / (1.0199**(-33/30) + 1.0199**(-64/30)) = 800.39 / 1.937393 = 413.1273 -> 413,13;
    # total round(413.1273 x 2 = 826.2547) = 826,25 -> the last 413,12.
    assert [i.amount_cents for i in three.installments] == [20_000, 41_313, 41_312]
    assert three.total_cents == 102_625 and three.interest_cents == 2_625
    assert three.effective_monthly_rate == Decimal("0.0199")


def test_discount_grows_with_days_overdue() -> None:
    rules = OfferRules(
        cash_discount_bps=500, discount_tiers=(DiscountTier(31, 1_000), DiscountTier(91, 2_000))
    )
    assert rules.discount_bps(0) == 500
    assert rules.discount_bps(31) == 1_000
    assert rules.discount_bps(90) == 1_000
    assert rules.discount_bps(91) == 2_000
    # The oldest invoice decides: 20 % of 1.000,00 = 200,00.
    offers = simulate(rules, [inv(50_000, 10), inv(50_000, 120)], today=TODAY, scope="t")
    assert offers[0].discount_cents == 20_000 and offers[0].total_cents == 80_000
    assert DEFAULT_RULES.discount_bps(91) == 1_500


def test_default_rules_offers() -> None:
    offers = simulate(DEFAULT_RULES, [inv(60_000), inv(40_000)], today=TODAY, scope="t")
    assert [o.kind for o in offers] == ["cash", *(f"installments_{n}" for n in range(2, 7))]
    cash = offers[0]
    # 10 % off 1.000,00.
    assert (cash.original_cents, cash.discount_cents, cash.total_cents) == (100_000, 10_000, 90_000)
    two = offers[1]
    # 1.0199**(-3/30) = e**(-0.1 x 0.0197045) = 0.9980315; 1.0199**(-33/30) = e**(-0.0216750) = 0.9785583;
    # 1000 / 1.9765898 = 505.9221 -> 505,92; total round(1011.8441) = 1.011,84 -> the last 505,92.
    assert [i.amount_cents for i in two.installments] == [50_592, 50_592]
    # Late rates unknown (the invoices carry none): the offer says so (None).
    assert two.late_fine_bps is None


def test_minimum_installment_drops_long_plans() -> None:
    # R$ 200,00: 2..4 installments reach R$ 50,00 (4 x ~50,8), 5 and 6 do not.
    offers = simulate(DEFAULT_RULES, [inv(20_000)], today=TODAY, scope="t")
    assert [o.kind for o in offers] == ["cash", "installments_2", "installments_3", "installments_4"]


@pytest.mark.parametrize(
    ("eligibility", "segment", "expected"),
    [
        (Eligibility(min_amount_cents=200_000), None, False),
        (Eligibility(max_amount_cents=50_000), None, False),
        (Eligibility(min_days_overdue=60), None, False),
        (Eligibility(max_days_overdue=10), None, False),
        (Eligibility(segment="varejo"), None, False),
        (Eligibility(segment="varejo"), "atacado", False),
        (Eligibility(segment="varejo"), "varejo", True),
        (Eligibility(min_amount_cents=100_000, max_amount_cents=100_000, min_days_overdue=30), None, True),
    ],
)
def test_eligibility(eligibility: Eligibility, segment: str | None, expected: bool) -> None:
    rules = OfferRules(eligibility=eligibility)
    offers = simulate(rules, [inv(100_000, 30)], today=TODAY, scope="t", segment=segment)
    assert bool(offers) is expected


def test_offer_ids_deterministic_and_sensitive() -> None:
    a = inv(100_000)
    first = simulate(DEFAULT_RULES, [a], today=TODAY, scope="t")
    again = simulate(DEFAULT_RULES, [a], today=TODAY, scope="t")
    assert [o.offer_id for o in first] == [o.offer_id for o in again]
    assert len({o.offer_id for o in first}) == len(first)
    changed = simulate(DEFAULT_RULES, [OpenInvoice(a.invoice_id, 100_000, 1, 0, 30)], today=TODAY, scope="t")
    assert first[0].offer_id != changed[0].offer_id
    other_day = simulate(DEFAULT_RULES, [a], today=date(2026, 9, 14), scope="t")
    assert first[0].offer_id != other_day[0].offer_id


def test_nothing_to_offer_without_invoices() -> None:
    assert simulate(DEFAULT_RULES, [], today=TODAY, scope="t") == []
