"""Offer rules and the simulation of renegotiation offers (pure, no I/O).

Money is int centavos; every intermediate computation is ``Decimal``, never
float. The *mínimo existencial* (Lei 14.181/2021: a debtor's installments must
leave a minimum income untouched) is out of scope here: we know no income.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

BPS = Decimal(10_000)
CENT = Decimal(1)


@dataclass(frozen=True, slots=True)
class DiscountTier:
    """From ``min_days_overdue`` days overdue on, up to ``max_discount_bps`` off for cash."""

    min_days_overdue: int
    max_discount_bps: int


@dataclass(frozen=True, slots=True)
class Eligibility:
    min_amount_cents: int = 0
    max_amount_cents: int | None = None
    min_days_overdue: int = 0
    max_days_overdue: int | None = None
    #: When set, only debtors of this segment get offers.
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class OfferRules:
    cash_discount_bps: int = 1_000
    discount_tiers: tuple[DiscountTier, ...] = (DiscountTier(91, 1_500),)
    min_installments: int = 2
    max_installments: int = 6
    min_installment_cents: int = 5_000
    monthly_interest_bps: int = 199
    #: Share of the total paid as installment 1 (the others finance the rest).
    down_payment_bps: int | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    #: An installment unpaid this many days after its due date breaks the agreement.
    tolerance_days: int = 5
    #: The first (or only) installment falls due this many days after today.
    first_due_in_days: int = 3

    def discount_bps(self, days_overdue: int) -> int:
        """The cash discount for debts this many days overdue: the best tier reached."""
        best = self.cash_discount_bps
        for tier in self.discount_tiers:
            if days_overdue >= tier.min_days_overdue:
                best = max(best, tier.max_discount_bps)
        return best


DEFAULT_RULES = OfferRules()


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    invoice_id: UUID
    #: The amount due today as last known (already includes fine and interest).
    amount_due_cents: int
    days_overdue: int


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    kind: str
    installments: tuple[Installment, ...]
    total_cents: int
    discount_cents: int
    original_cents: int
    monthly_rate: str


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` months, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def cents(value: Decimal) -> int:
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


def price_installments(principal_cents: int, n: int, monthly_rate: Decimal) -> list[int]:
    """Price table (constant payment): ``n`` amounts whose sum is the rounded
    total; the rounding difference goes to the last one."""
    if n < 1:
        raise ValueError("n must be >= 1")
    pv = Decimal(principal_cents)
    payment = pv / n if monthly_rate == 0 else pv * monthly_rate / (1 - (1 + monthly_rate) ** (-n))
    total = cents(payment * n)
    each = cents(payment)
    amounts = [each] * (n - 1)
    amounts.append(total - each * (n - 1))
    return amounts


def rate_string(bps: int) -> str:
    return str((Decimal(bps) / BPS).quantize(Decimal("0.0001")))


def is_eligible(rules: OfferRules, invoices: list[OpenInvoice], segment: str | None) -> bool:
    e = rules.eligibility
    amount = sum(i.amount_due_cents for i in invoices)
    days = max((i.days_overdue for i in invoices), default=0)
    if amount < e.min_amount_cents or (e.max_amount_cents is not None and amount > e.max_amount_cents):
        return False
    if days < e.min_days_overdue or (e.max_days_overdue is not None and days > e.max_days_overdue):
        return False
    return e.segment is None or e.segment == segment


def offer_id(scope: str, invoices: list[OpenInvoice], today: date, kind: str, rules: OfferRules) -> str:
    """Deterministic: the same inputs (invoices and their amounts, day, rules) give
    the same id, so an accepted offer id proves nothing changed since the simulation."""
    parts = [scope, today.isoformat(), kind, repr(rules)]
    parts += [
        f"{i.invoice_id}:{i.amount_due_cents}:{i.days_overdue}"
        for i in sorted(invoices, key=lambda x: str(x.invoice_id))
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def simulate(
    rules: OfferRules,
    invoices: list[OpenInvoice],
    *,
    today: date,
    scope: str,
    segment: str | None = None,
) -> list[Offer]:
    """Every offer that applies: ``cash`` first, then ``installments_N`` for each
    allowed N whose installments all reach the minimum value. ``scope`` (tenant
    and debtor) only feeds the offer ids."""
    if not invoices or not is_eligible(rules, invoices, segment):
        return []
    original = sum(i.amount_due_cents for i in invoices)
    if original <= 0:
        return []
    first_due = today + timedelta(days=rules.first_due_in_days)
    days = max(i.days_overdue for i in invoices)
    discount = cents(Decimal(original) * Decimal(rules.discount_bps(days)) / BPS)
    offers = [
        Offer(
            offer_id=offer_id(scope, invoices, today, "cash", rules),
            kind="cash",
            installments=(Installment(1, first_due, original - discount),),
            total_cents=original - discount,
            discount_cents=discount,
            original_cents=original,
            monthly_rate=rate_string(0),
        )
    ]
    rate = Decimal(rules.monthly_interest_bps) / BPS
    for n in range(max(2, rules.min_installments), rules.max_installments + 1):
        if rules.down_payment_bps:
            down = cents(Decimal(original) * Decimal(rules.down_payment_bps) / BPS)
            amounts = [down, *price_installments(original - down, n - 1, rate)]
        else:
            amounts = price_installments(original, n, rate)
        if min(amounts) < rules.min_installment_cents:
            continue
        kind = f"installments_{n}"
        offers.append(
            Offer(
                offer_id=offer_id(scope, invoices, today, kind, rules),
                kind=kind,
                installments=tuple(
                    Installment(k + 1, add_months(first_due, k), a) for k, a in enumerate(amounts)
                ),
                total_cents=sum(amounts),
                discount_cents=0,
                original_cents=original,
                monthly_rate=rate_string(rules.monthly_interest_bps),
            )
        )
    return offers


def rules_to_dict(rules: OfferRules) -> dict[str, Any]:
    return asdict(rules)


def rules_from_dict(data: dict[str, Any]) -> OfferRules:
    values = dict(data)
    values["discount_tiers"] = tuple(DiscountTier(**t) for t in values.get("discount_tiers", ()))
    values["eligibility"] = Eligibility(**values.get("eligibility", {}))
    return OfferRules(**values)
