"""Offer simulation: Price table, exact sums, discount tiers, eligibility, minimum installment."""

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
    add_months,
    price_installments,
    simulate,
)

TODAY = date(2026, 3, 10)


def inv(amount: int, days: int = 30, invoice_id: UUID | None = None) -> OpenInvoice:
    return OpenInvoice(invoice_id or uuid4(), amount, days)


def test_price_table_known_value() -> None:
    # R$ 1.000,00 over 3 months at 1.99%/month: PMT = 346.6871..., total 1.040,06.
    amounts = price_installments(100_000, 3, Decimal("0.0199"))
    assert amounts == [34_669, 34_669, 34_668]
    assert sum(amounts) == 104_006


def test_zero_rate_splits_evenly_with_remainder_last() -> None:
    assert price_installments(100_000, 3, Decimal(0)) == [33_333, 33_333, 33_334]


@pytest.mark.parametrize("principal", [1, 99, 10_001, 123_457, 9_999_999, 100_000_003])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 12, 24])
@pytest.mark.parametrize("rate", ["0", "0.0099", "0.0199", "0.035"])
def test_installments_add_up_exactly(principal: int, n: int, rate: str) -> None:
    amounts = price_installments(principal, n, Decimal(rate))
    assert len(amounts) == n
    assert all(isinstance(a, int) for a in amounts)
    assert all(a == amounts[0] for a in amounts[:-1])
    assert abs(amounts[-1] - amounts[0]) <= n  # only the rounding difference


def test_add_months_clamps_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 13), 12) == date(2027, 3, 13)


def test_default_rules_offers() -> None:
    offers = simulate(DEFAULT_RULES, [inv(60_000), inv(40_000)], today=TODAY, scope="t")
    kinds = [o.kind for o in offers]
    assert kinds == ["cash", *(f"installments_{n}" for n in range(2, 7))]
    cash = offers[0]
    assert cash.original_cents == 100_000
    assert cash.discount_cents == 10_000
    assert cash.total_cents == 90_000
    assert cash.installments[0].due_date == date(2026, 3, 13)
    assert cash.monthly_rate == "0.0000"
    for offer in offers[1:]:
        assert sum(i.amount_cents for i in offer.installments) == offer.total_cents
        assert offer.monthly_rate == "0.0199"
        assert offer.discount_cents == 0
        assert offer.total_cents > offer.original_cents
        assert [i.due_date for i in offer.installments][:2] == [date(2026, 3, 13), date(2026, 4, 13)]


def test_discount_grows_with_days_overdue() -> None:
    rules = OfferRules(
        cash_discount_bps=500, discount_tiers=(DiscountTier(31, 1_000), DiscountTier(91, 2_000))
    )
    assert rules.discount_bps(0) == 500
    assert rules.discount_bps(31) == 1_000
    assert rules.discount_bps(90) == 1_000
    assert rules.discount_bps(91) == 2_000
    # The oldest invoice decides.
    offers = simulate(rules, [inv(50_000, 10), inv(50_000, 120)], today=TODAY, scope="t")
    assert offers[0].discount_cents == 20_000
    assert DEFAULT_RULES.discount_bps(91) == 1_500


def test_minimum_installment_drops_long_plans() -> None:
    # R$ 200,00: 2..4 reach R$ 50,00, 5 and 6 do not.
    offers = simulate(DEFAULT_RULES, [inv(20_000)], today=TODAY, scope="t")
    assert [o.kind for o in offers] == ["cash", "installments_2", "installments_3", "installments_4"]


def test_down_payment_is_first_installment() -> None:
    rules = OfferRules(down_payment_bps=2_000, min_installment_cents=100)
    offers = simulate(rules, [inv(100_000)], today=TODAY, scope="t")
    three = next(o for o in offers if o.kind == "installments_3")
    assert three.installments[0].amount_cents == 20_000
    assert sum(i.amount_cents for i in three.installments) == three.total_cents
    assert three.installments[1].amount_cents == price_installments(80_000, 2, Decimal("0.0199"))[0]


@pytest.mark.parametrize(
    ("eligibility", "segment", "expected"),
    [
        (Eligibility(min_amount_cents=200_000), None, False),
        (Eligibility(max_amount_cents=50_000), None, False),
        (Eligibility(min_days_overdue=60), None, False),
        (Eligibility(max_days_overdue=10), None, False),
        (Eligibility(segment="retail"), None, False),
        (Eligibility(segment="retail"), "retail", True),
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
    changed = simulate(DEFAULT_RULES, [OpenInvoice(a.invoice_id, 100_001, 30)], today=TODAY, scope="t")
    assert first[0].offer_id != changed[0].offer_id
    other_day = simulate(DEFAULT_RULES, [a], today=date(2026, 3, 11), scope="t")
    assert first[0].offer_id != other_day[0].offer_id


def test_nothing_to_offer_without_invoices() -> None:
    assert simulate(DEFAULT_RULES, [], today=TODAY, scope="t") == []
