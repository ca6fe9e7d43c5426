"""What payments-service keeps of an invoice, and the terms its charges carry.

The arithmetic of what is owed is ``regua_br.amount_due.breakdown`` (one rule
for every figure Régua shows); this module only maps it onto what a PSP's
``cobv`` and a bank's registered boleto can express: an original value, a due
date, a fine once (percent) and monthly interest (percent a month, calendar
days) counted from the due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from payments_service.domain.charges import Terms
from regua_br.amount_due import BPS, DAYS_PER_MONTH, Breakdown, Payment, breakdown, round_half_up
from regua_br.calendar import next_business_day

InvoiceStatus = Literal["open", "overdue", "partially_paid", "paid", "cancelled", "renegotiated"]
#: An invoice in one of these can no longer be paid: its charges are removed.
CLOSED: frozenset[str] = frozenset({"paid", "cancelled", "renegotiated"})


@dataclass(frozen=True, slots=True)
class Invoice:
    """The inputs of the amount rule, as ``invoice.issued`` and ``invoice.balance-changed`` carry them."""

    tenant_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    principal_cents: int
    due_date: date
    #: Moved to the next business day by invoice-service (national and the
    #: tenant's own holidays), frozen at issue.
    effective_due_date: date
    fine_bps: int
    monthly_interest_bps: int
    status: InvoiceStatus
    payments: tuple[Payment, ...] = ()

    @property
    def closed(self) -> bool:
        return self.status in CLOSED


def first_terms(invoice: Invoice, days_valid_after_due: int) -> Terms:
    """The terms of a new invoice's charges: the principal, the invoice's frozen rates.

    ``dataDeVencimento``: the PSP (and the bank) move a due date on a weekend
    or a national holiday to the next business day themselves, and count the
    delay from the original date, as ``regua_br.amount_due`` does, so the
    original due date is sent. The one thing they cannot know is the
    tenant's own holidays: when invoice-service's effective due date is later
    than the national calendar's, that effective date is sent instead. The
    debtor then pays nothing extra on the tenant's holiday (never an undue
    charge, CDC art. 42), and the PSP counts interest from the effective date:
    at most the interest of those holiday days below our figure.
    """
    due = invoice.due_date
    if invoice.effective_due_date > next_business_day(due):
        due = invoice.effective_due_date
    return Terms(
        due_date=due,
        amount_cents=invoice.principal_cents,
        fine_bps=invoice.fine_bps,
        monthly_interest_bps=invoice.monthly_interest_bps,
        days_valid_after_due=days_valid_after_due,
    )


def revised_terms(
    invoice: Invoice, *, today: date, days_valid_after_due: int, rebase_when_past_due: bool = False
) -> Terms | None:
    """The terms after the invoice's payments changed (``invoice.balance-changed``),
    decided on ``today`` (tenant-local); ``None`` when nothing is left to pay.

    The aim: the PSP's value of the cobv on every day from ``today`` on is
    ``breakdown(...).due_cents``.

    - **Only payments on or before the effective due date** (the usual partial
      payment): the original value becomes the principal still open, due date
      and rates unchanged. The PSP's fine (on the original value) and interest
      (on it, from the due date) are then exactly ours: CC art. 354 lowers the
      base of the fine, and interest accrues only on open principal.
    - **A payment after the due date**: the fine was charged and CC 354
      imputation has run, which a cobv cannot express. The cobv is re-based:
      due date ``N`` = the first day from ``today`` the PSP treats as a business
      day (it would move a weekend anyway), original value = what we say is due
      on ``N`` (plus 1 centavo only when, without it, the PSP's figure would
      fall below ours on some payable day), no fine (already in that value), the same
      monthly interest, validity shortened so the last payable day stays put.
      Exactness is impossible in general (the PSP's interest runs on the whole
      value, ours only on the open principal, and rounding is split at ``N``),
      so the PSP's figure is never below ours: on day ``D``, with ``OP`` the
      open principal and ``r`` the monthly rate,
      ``0 <= psp(D) - ours(D) <= 2 + ceil(OP × r × max(N - D, 0) / 30)
      + ceil((due(N) - OP) × r × max(D - N, 0) / 30)`` centavos. The 1
      centavo, when added, absorbs the rounding split at ``N``; the first term is the
      interest of the days from ``D`` to ``N`` a debtor paying on the weekend
      before ``N`` pays early (at most a long weekend's); the second, interest
      on the fine and interest still open at ``N``, is 0 when the late payment
      settled them (the usual case). Without the centavo (the usual case) the
      PSP's figure on ``N`` is ours exactly.

    ``rebase_when_past_due`` (a new charge for an invoice already past due, and
    boletos): neither a PSP nor a bank accepts a due date in the past, so past
    the effective due date the terms are re-based as above; in the grace days
    of a due date on a non-business day the due date becomes the next business
    day from ``today``, with the fine and interest kept (the PSP then counts
    interest from that day: at most those grace days' interest below ours,
    never an undue charge, the same choice as for the tenant's holidays).
    """
    paid = invoice.payments
    end = invoice.due_date + timedelta(days=days_valid_after_due)
    base = first_terms(invoice, days_valid_after_due)
    late_payment = any(p.on > invoice.effective_due_date for p in paid)
    if not late_payment:
        on_time = sum(p.cents for p in paid)
        open_principal = max(invoice.principal_cents - on_time, 0)
        if open_principal == 0:
            return None
        due = base.due_date
        if rebase_when_past_due and today > due:
            if today > invoice.effective_due_date:
                return _rebased(invoice, paid, today, end)
            # The grace days of a due date on a non-business day: not late yet.
            due = next_business_day(today)
        return Terms(
            due,
            open_principal,
            base.fine_bps,
            base.monthly_interest_bps,
            max((end - due).days, 0),
        )
    return _rebased(invoice, paid, today, end)


def _rebased(invoice: Invoice, paid: Sequence[Payment], today: date, end: date) -> Terms | None:
    rebase_on = next_business_day(today)
    then = _breakdown_on(invoice, paid, rebase_on)
    if then.due_cents == 0:
        return None
    # The 1 centavo guard only when the PSP's figure would otherwise fall
    # below ours on some payable day (a rounding split at N on a small debt):
    # usually it does not, and the code asks exactly what messages show.
    short = any(
        _psp_value(then.due_cents, invoice.monthly_interest_bps, (day - rebase_on).days)
        < _breakdown_on(invoice, paid, day).due_cents
        for day in (rebase_on + timedelta(days=k) for k in range(max((end - rebase_on).days, 0) + 1))
    )
    return Terms(
        due_date=rebase_on,
        amount_cents=then.due_cents + (1 if short else 0),
        fine_bps=0,
        monthly_interest_bps=invoice.monthly_interest_bps,
        days_valid_after_due=max((end - rebase_on).days, 0),
    )


def _psp_value(original_cents: int, monthly_interest_bps: int, days_late: int) -> int:
    """A re-based cobv's value ``days_late`` calendar days after its due date
    at the PSP: ``juros`` modalidade 3 (percent a month, calendar days) on the
    original value, ``valor × taxa × dias / 30`` rounded half-up to the
    centavo, no fine (API Pix v2, ``CobVValor``)."""
    interest = round_half_up(original_cents * monthly_interest_bps * max(days_late, 0), BPS * DAYS_PER_MONTH)
    return original_cents + interest


def _breakdown_on(invoice: Invoice, payments: Sequence[Payment], day: date) -> Breakdown:
    return breakdown(
        principal_cents=invoice.principal_cents,
        due_date=invoice.due_date,
        fine_bps=invoice.fine_bps,
        monthly_interest_bps=invoice.monthly_interest_bps,
        payments=payments,
        as_of=day,
        effective_due_date=invoice.effective_due_date,
    )
