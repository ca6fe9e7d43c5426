"""Late-payment charges the way a PSP (API Pix ``cobv``) or a bank (boleto
instructions) computes them: the sandboxes' oracle.

Written apart from ``regua_br.amount_due`` (and using ``holidays`` directly,
not ``regua_br.calendar``) so that a test comparing the two compares two
independent computations. Decimal arithmetic, each component rounded half-up
to the centavo once.

Modalidades (bacen/pix-api openapi.yaml 2.8.1, schema ``CobVValor``):

- ``multa``: 1 fixed value, 2 percentage of the value;
- ``juros``: 1 value per calendar day, 2 % per calendar day, 3 % per month
  (calendar days, month = 30 days), 4 % per year (calendar days, year = 360
  days: the commercial year that goes with the 30-day month; the manual does
  not say). 5-8 (business-day counts) are not supported by the sandbox;
- ``abatimento``: 1 fixed value, 2 percentage of ``original``; it lowers the
  value before charges, so fine and interest fall on ``original - abatimento``;
- ``desconto``: 1 fixed value / 2 percentage until each ``descontoDataFixa``
  date (paid on or before it; the latest date not yet passed wins). 3-6 (per
  day of anticipation) are not supported.

Dates (schema ``CobDataDeVencimento``): a due date on a weekend or national
holiday is payable without charges up to the next business day; the last
payable day is that effective due date plus ``validadeAposVencimento``
calendar days, moved to the next business day when it falls on a non-business
day (the manual's examples A-G). Choice where the manual is silent: paid after
the effective due date, the fine is due and interest counts the calendar days
from the *original* due date (the extension is a grace period, not a new due
date), as regua_br and the banks' boleto practice do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class UnsupportedModality(ValueError):
    """A modalidade the sandbox does not compute."""


@lru_cache(maxsize=1)
def _national() -> holidays.HolidayBase:
    return holidays.country_holidays("BR")


def business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _national()


def first_business_day_from(day: date) -> date:
    while not business_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True, slots=True)
class Rule:
    """A ``{modalidade, valorPerc}`` block."""

    modality: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class Terms:
    due_date: date
    days_valid_after_due: int
    original: Decimal
    fine: Rule | None = None
    interest: Rule | None = None
    rebate: Rule | None = None
    discount_modality: int | None = None
    #: ``(date, valorPerc)`` pairs of ``descontoDataFixa``.
    discounts: Sequence[tuple[date, Decimal]] = ()


@dataclass(frozen=True, slots=True)
class Value:
    """The value of a charge paid on ``on``, as the payload's ``valor`` shows it."""

    on: date
    effective_due_date: date
    last_payable_day: date
    payable: bool
    original: Decimal
    fine: Decimal
    interest: Decimal
    rebate: Decimal
    discount: Decimal

    @property
    def final(self) -> Decimal:
        return self.original + self.fine + self.interest - self.rebate - self.discount


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def check_supported(terms: Terms) -> None:
    """Raise :class:`UnsupportedModality` for a block the sandbox cannot price."""
    if terms.fine is not None and terms.fine.modality not in (1, 2):
        raise UnsupportedModality("multa.modalidade must be 1 or 2")
    if terms.interest is not None and terms.interest.modality not in (1, 2, 3, 4):
        raise UnsupportedModality("juros.modalidade 5-8 (business days) is not supported by the sandbox")
    if terms.rebate is not None and terms.rebate.modality not in (1, 2):
        raise UnsupportedModality("abatimento.modalidade must be 1 or 2")
    if terms.discount_modality is not None and terms.discount_modality not in (1, 2):
        raise UnsupportedModality("desconto.modalidade 3-6 is not supported by the sandbox")


def value_on(terms: Terms, on: date) -> Value:
    """What paying on ``on`` costs, by the rules in this module's docstring."""
    check_supported(terms)
    effective = first_business_day_from(terms.due_date)
    last_day = first_business_day_from(effective + timedelta(days=terms.days_valid_after_due))
    rebate = Decimal(0)
    if terms.rebate is not None:
        rebate = (
            terms.rebate.value
            if terms.rebate.modality == 1
            else terms.original * terms.rebate.value / HUNDRED
        )
        rebate = _cents(rebate)
    base = terms.original - rebate

    discount = Decimal(0)
    if terms.discount_modality is not None and on <= effective:
        # A discount dated on the due date follows the due date's extension.
        open_dates = [(d, v) for d, v in terms.discounts if on <= (effective if d == terms.due_date else d)]
        if open_dates:
            _, rate = min(open_dates, key=lambda item: item[0])
            discount = _cents(rate if terms.discount_modality == 1 else base * rate / HUNDRED)

    fine = interest = Decimal(0)
    if on > effective:
        if terms.fine is not None:
            fine = _cents(terms.fine.value if terms.fine.modality == 1 else base * terms.fine.value / HUNDRED)
        if terms.interest is not None:
            days = Decimal((on - terms.due_date).days)
            rate = terms.interest.value
            per_modality = {
                1: rate * days,
                2: base * rate / HUNDRED * days,
                3: base * rate / HUNDRED * days / 30,
                4: base * rate / HUNDRED * days / 360,
            }
            interest = _cents(per_modality[terms.interest.modality])
    return Value(
        on=on,
        effective_due_date=effective,
        last_payable_day=last_day,
        payable=on <= last_day,
        original=terms.original,
        fine=fine,
        interest=interest,
        rebate=rebate,
        discount=discount,
    )


def money(amount: Decimal) -> str:
    """``Decimal("12.3")`` -> ``"12.30"`` (the API Pix's ``\\d{1,10}\\.\\d{2}``)."""
    return f"{_cents(amount):.2f}"
