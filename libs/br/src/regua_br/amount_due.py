"""What a debtor owes on a given day: one rule for every figure Régua shows.

Inputs are what events carry (principal, due date, the rates frozen on the
invoice, the payments with their dates); the output is the breakdown for the
day asked, so a message, a portal page or an offer computes it for the day it
is seen instead of copying a figure frozen earlier.

The rule, with the choices the law leaves open stated:

- **Due date on a non-business day** (weekend, national holiday, or one of the
  tenant's own holidays): payable without charges on the next business day
  (the *effective* due date). Paid later, the delay still counts from the
  original due date: the shift is a grace for paying, not a new due date.
- **Late fine** (CDC art. 52 §1: at most 2 %): charged once, on the principal
  still open at the effective due date; a payment on or before that date
  lowers the base of the fine.
- **Default interest**: simple, pro rata die over a 30-day commercial month,
  on the principal still open only (never on the fine or on interest).
- **Imputation of payments** (CC art. 354): a payment after the due date goes
  first to the interest accrued up to its day, then to the fine, then to the
  principal. CC 354 names interest before capital; the fine, an accessory of
  the debt like interest, is paid before the principal too (the creditor's
  usual order; review with counsel).
- **Rounding**: integer centavos; interest is rounded half-up once per period
  between two events (a payment, or the day asked), as a person reading a
  statement would compute it; the fine is rounded half-up once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from regua_br.calendar import next_business_day

BPS = 10_000
DAYS_PER_MONTH = 30


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (both >= 0, denominator > 0)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received for the invoice on a (tenant-local) day."""

    on: date
    cents: int

    def __post_init__(self) -> None:
        if self.cents <= 0:
            raise ValueError("a payment is a positive amount of centavos")


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The debt on ``as_of``: what is still open of each part, and what was paid."""

    as_of: date
    due_date: date
    #: The due date moved to the next business day.
    effective_due_date: date
    days_late: int
    principal_cents: int
    #: Principal not yet paid.
    open_principal_cents: int
    #: Fine charged (once) and the part of it not yet paid.
    fine_cents: int
    open_fine_cents: int
    #: Interest accrued in all, and the part of it not yet paid.
    interest_cents: int
    open_interest_cents: int
    paid_cents: int
    #: Paid beyond everything owed (kept for refund or credit, never collected).
    overpaid_cents: int

    @property
    def due_cents(self) -> int:
        """What paying today settles the invoice with."""
        return self.open_principal_cents + self.open_fine_cents + self.open_interest_cents


def breakdown(
    *,
    principal_cents: int,
    due_date: date,
    fine_bps: int,
    monthly_interest_bps: int,
    payments: Sequence[Payment] = (),
    as_of: date,
    holidays: Collection[date] = (),
    effective_due_date: date | None = None,
) -> Breakdown:
    """The amount due on ``as_of`` by the rule above. ``payments`` after
    ``as_of`` are ignored (they had not happened yet on that day).

    ``effective_due_date``, when given, is the business-day due date already
    computed (and frozen) by whoever knew the tenant's holidays, as invoice
    events carry it; otherwise it is computed from ``holidays``."""
    if principal_cents <= 0:
        raise ValueError("principal_cents must be positive")
    if not (0 <= fine_bps <= BPS and 0 <= monthly_interest_bps <= BPS):
        raise ValueError("rates are basis points between 0 and 10000")
    effective = effective_due_date or next_business_day(due_date, holidays)
    if effective < due_date:
        raise ValueError("the effective due date cannot precede the due date")
    known = sorted((p for p in payments if p.on <= as_of), key=lambda p: p.on)
    paid = sum(p.cents for p in known)

    on_time = sum(p.cents for p in known if p.on <= effective)
    open_principal = max(principal_cents - on_time, 0)
    overpaid = max(on_time - principal_cents, 0)
    late = as_of > effective and open_principal > 0
    fine = round_half_up(open_principal * fine_bps, BPS) if late else 0
    open_fine = fine
    interest = open_interest = 0

    def accrue(start: date, end: date) -> int:
        days = max((end - start).days, 0)
        return round_half_up(open_principal * monthly_interest_bps * days, BPS * DAYS_PER_MONTH)

    accrued_to = due_date
    if late:
        for payment in (p for p in known if p.on > effective):
            gained = accrue(accrued_to, payment.on)
            interest += gained
            open_interest += gained
            accrued_to = payment.on
            left = payment.cents
            to_interest = min(left, open_interest)
            open_interest, left = open_interest - to_interest, left - to_interest
            to_fine = min(left, open_fine)
            open_fine, left = open_fine - to_fine, left - to_fine
            to_principal = min(left, open_principal)
            open_principal, left = open_principal - to_principal, left - to_principal
            overpaid += left
        gained = accrue(accrued_to, as_of)
        interest += gained
        open_interest += gained
    else:
        # Not late (or nothing open): later payments only settle the principal.
        late_paid = paid - on_time
        taken = min(late_paid, open_principal)
        open_principal -= taken
        overpaid += late_paid - taken

    return Breakdown(
        as_of=as_of,
        due_date=due_date,
        effective_due_date=effective,
        days_late=max((as_of - due_date).days, 0) if as_of > effective else 0,
        principal_cents=principal_cents,
        open_principal_cents=open_principal,
        fine_cents=fine,
        open_fine_cents=open_fine,
        interest_cents=interest,
        open_interest_cents=open_interest,
        paid_cents=paid,
        overpaid_cents=overpaid,
    )
