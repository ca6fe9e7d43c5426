"""Offer rules and the simulation of renegotiation offers (pure, no I/O).

Money is int centavos; rates are ``Decimal``, never float. Installments are
priced by ``regua_br.installments`` on their real dates (the first due date
``first_due_in_days`` after today, then monthly, each moved to the next
business day), so the monthly rate quoted is the rate the schedule actually
charges; every offer carries what CDC art. 52 asks a creditor to state (what
the debt is made of, discount, installments, total, interest, effective
monthly and annual rate). Choices made here:

- A down payment falls on the first date. The rest financed is the debt
  minus what the down payment is worth on the day of the offer at the quoted
  rate, so the whole schedule, down payment included, is priced at that rate.
- The CET (custo efetivo total) is the effective rate of the schedule: Régua
  adds no fees, insurance or taxes to an agreement.
- The *mínimo existencial* (Lei 14.181/2021: installments must leave a
  minimum income untouched) is out of scope here: we know no income.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from regua_br.calendar import next_business_day
from regua_br.installments import (
    Schedule,
    annual_rate,
    due_dates,
    effective_monthly_rate,
    payoff_cents,
    price_schedule,
)

BPS = Decimal(10_000)
CENT = Decimal(1)
#: Rates are shown and stored to 0,01 % (four decimals of the fraction).
RATE_PLACES = Decimal("0.0001")


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
    #: The first (or only) installment falls due this many days after today
    #: (then on the next business day when that is a weekend or holiday).
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
    """An invoice going into an offer, as it stands today."""

    invoice_id: UUID
    #: The parts of the amount due today, each still open.
    principal_cents: int
    fine_cents: int
    interest_cents: int
    days_overdue: int
    #: The rates frozen on the invoice (None when its producer sent none).
    fine_bps: int | None = None
    monthly_interest_bps: int | None = None

    @property
    def amount_due_cents(self) -> int:
        return self.principal_cents + self.fine_cents + self.interest_cents


@dataclass(frozen=True, slots=True)
class DebtBase:
    """What the renegotiated debt is made of on the day of the offer."""

    principal_cents: int
    fine_cents: int
    interest_cents: int

    @property
    def total_cents(self) -> int:
        return self.principal_cents + self.fine_cents + self.interest_cents


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
    #: The debt renegotiated (``base.total_cents``).
    original_cents: int
    #: The quoted monthly rate as a decimal string ("0.0199" = 1,99 % a.m.).
    monthly_rate: str
    base: DebtBase
    #: The day the offer is priced on (interest runs from it).
    start: date
    #: Effective monthly rate of the real schedule (the CET) and its annual equivalent.
    effective_monthly_rate: Decimal
    effective_annual_rate: Decimal
    #: An installment unpaid this many days after its due date breaks the agreement.
    tolerance_days: int
    #: The rates a late installment is charged (those of the renegotiated invoices).
    late_fine_bps: int | None
    late_monthly_interest_bps: int | None

    @property
    def interest_cents(self) -> int:
        """Interest of the installments: the total less the debt after the discount."""
        return self.total_cents - (self.original_cents - self.discount_cents)


def cents(value: Decimal) -> int:
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


def rate_string(rate: Decimal) -> str:
    return str(rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


def bps_rate(bps: int) -> Decimal:
    return Decimal(bps) / BPS


def schedule_amounts(
    principal_cents: int,
    dates: list[date],
    monthly_rate: Decimal,
    *,
    start: date,
    down_payment_bps: int | None = None,
) -> tuple[int, ...]:
    """Equal installments on ``dates`` for ``principal_cents`` owed on ``start``;
    with a down payment, installment 1 is that share and the others finance the rest."""
    if not down_payment_bps or len(dates) == 1:
        return price_schedule(principal_cents, monthly_rate, start=start, dates=dates).amounts
    down = cents(Decimal(principal_cents) * bps_rate(down_payment_bps))
    # What the down payment is worth on ``start`` (its payoff that day).
    down_now = payoff_cents(Schedule(start, monthly_rate, (dates[0],), (down,), down), on=start, paid=0)
    rest = price_schedule(principal_cents - down_now, monthly_rate, start=start, dates=dates[1:])
    return (down, *rest.amounts)


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


def _late_rate(values: list[int | None]) -> int | None:
    """The highest rate among the invoices; None when one of them has none."""
    known = [v for v in values if v is not None]
    return max(known) if known and len(known) == len(values) else None


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
    and debtor) only feeds the offer ids; ``segment`` is the debtor's."""
    if not invoices or not is_eligible(rules, invoices, segment):
        return []
    base = DebtBase(
        sum(i.principal_cents for i in invoices),
        sum(i.fine_cents for i in invoices),
        sum(i.interest_cents for i in invoices),
    )
    original = base.total_cents
    if original <= 0:
        return []
    first_due = today + timedelta(days=rules.first_due_in_days)
    days = max(i.days_overdue for i in invoices)
    discount = cents(Decimal(original) * bps_rate(rules.discount_bps(days)))
    late_fine = _late_rate([i.fine_bps for i in invoices])
    late_interest = _late_rate([i.monthly_interest_bps for i in invoices])

    def offer(kind: str, dates: list[date], amounts: tuple[int, ...], rate: Decimal, off: int) -> Offer:
        effective = effective_monthly_rate(original - off, start=today, dates=dates, amounts=amounts)
        return Offer(
            offer_id=offer_id(scope, invoices, today, kind, rules),
            kind=kind,
            installments=tuple(
                Installment(k + 1, d, a) for k, (d, a) in enumerate(zip(dates, amounts, strict=True))
            ),
            total_cents=sum(amounts),
            discount_cents=off,
            original_cents=original,
            monthly_rate=rate_string(rate),
            base=base,
            start=today,
            effective_monthly_rate=effective.quantize(RATE_PLACES, rounding=ROUND_HALF_UP),
            effective_annual_rate=annual_rate(effective).quantize(RATE_PLACES, rounding=ROUND_HALF_UP),
            tolerance_days=rules.tolerance_days,
            late_fine_bps=late_fine,
            late_monthly_interest_bps=late_interest,
        )

    cash_date = next_business_day(first_due)
    offers = [offer("cash", [cash_date], (original - discount,), Decimal(0), discount)]
    rate = bps_rate(rules.monthly_interest_bps)
    for n in range(max(2, rules.min_installments), rules.max_installments + 1):
        dates = due_dates(first_due, n)
        amounts = schedule_amounts(
            original, dates, rate, start=today, down_payment_bps=rules.down_payment_bps
        )
        if min(amounts) < rules.min_installment_cents:
            continue
        offers.append(offer(f"installments_{n}", dates, amounts, rate, 0))
    return offers


def rules_to_dict(rules: OfferRules) -> dict[str, Any]:
    return asdict(rules)


def rules_from_dict(data: dict[str, Any]) -> OfferRules:
    values = dict(data)
    values["discount_tiers"] = tuple(DiscountTier(**t) for t in values.get("discount_tiers", ()))
    values["eligibility"] = Eligibility(**values.get("eligibility", {}))
    return OfferRules(**values)
