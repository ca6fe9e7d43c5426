"""Agreement lifecycle rules: tolerance, installment status, local day, rules round-trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

from negotiation_service.domain.agreements import beyond_tolerance, installment_status, local_today
from negotiation_service.domain.offers import (
    DEFAULT_RULES,
    DiscountTier,
    Eligibility,
    OfferRules,
    rules_from_dict,
    rules_to_dict,
)


def test_tolerance_is_inclusive() -> None:
    due = date(2026, 4, 13)
    assert not beyond_tolerance(due, 5, date(2026, 4, 18))
    assert beyond_tolerance(due, 5, date(2026, 4, 19))
    assert beyond_tolerance(due, 0, date(2026, 4, 14))
    assert not beyond_tolerance(due, 0, due)


def test_installment_status() -> None:
    today = date(2026, 4, 14)
    assert installment_status(date(2026, 4, 13), True, today) == "paid"
    assert installment_status(date(2026, 4, 13), False, today) == "overdue"
    assert installment_status(date(2026, 4, 14), False, today) == "open"


def test_local_today_is_sao_paulo() -> None:
    # 02:00 UTC is still the previous evening in São Paulo (UTC-3).
    assert local_today(datetime(2026, 3, 11, 2, 0, tzinfo=UTC)) == date(2026, 3, 10)
    assert local_today(datetime(2026, 3, 11, 3, 0, tzinfo=UTC)) == date(2026, 3, 11)


def test_rules_round_trip() -> None:
    rules = OfferRules(
        discount_tiers=(DiscountTier(31, 1_200), DiscountTier(181, 3_000)),
        down_payment_bps=1_000,
        eligibility=Eligibility(min_amount_cents=10_000, segment="varejo"),
    )
    assert rules_from_dict(rules_to_dict(rules)) == rules
    assert rules_from_dict(rules_to_dict(DEFAULT_RULES)) == DEFAULT_RULES
