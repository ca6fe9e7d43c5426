"""What a message asks the debtor to pay, for the day it is sent.

The figure is computed when the message is rendered, never when the step-due
or an invoice event was consumed: ``regua_br.amount_due.breakdown`` (the one
rule, shared with invoice-service and the portal) fed by what the events
carry: the principal, due date, effective due date and frozen rates of
``invoice.issued`` and the applied payments of ``invoice.balance-changed``.

Then the payment codes: the newest charge of each method, unless it was
removed; and never one whose value cannot be the amount shown (a charge whose
face value exceeds what is due would collect more than is owed, CDC art. 42; a
static Pix code carries a fixed value that must be exactly the amount).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from notifier_service.domain.model import ChargeView, InvoiceView
from regua_br.amount_due import Breakdown, breakdown
from regua_br.brcode import BrCodeError, parse_brcode

#: Templates written for the days up to the effective due date, and for the days after it.
_BEFORE_DUE_TEMPLATES = frozenset({"reminder", "due_today"})
_LATE_TEMPLATES = frozenset({"overdue", "final_notice"})


@dataclass(frozen=True, slots=True)
class AmountShown:
    """The amount and dates a message shows on ``today`` (tenant-local)."""

    today: date
    due_date: date
    #: The due date moved to the next business day: the last day to pay without charges.
    pay_by: date
    due_cents: int
    #: The parts (open principal, fine, interest, paid); None for an invoice
    #: issued without rates, whose figure is the one invoice-service froze.
    parts: Breakdown | None = None

    @property
    def late(self) -> bool:
        return self.today > self.pay_by

    @property
    def days_late(self) -> int:
        """Days since the original due date, once past the effective one."""
        return (self.today - self.due_date).days if self.late else 0


def amount_shown(invoice: InvoiceView, today: date) -> AmountShown:
    """The amount due on ``today`` for an issued invoice.

    With the rates of ``invoice.issued`` (current producers): the breakdown of
    ``regua_br.amount_due`` on ``today``, with the payments last announced by
    ``invoice.balance-changed``. Invoices issued by older producers carry no
    rates: their figure stays the one invoice-service froze on
    ``invoice.overdue`` / ``status-changed`` (else the issued amount), as
    before, and their effective due date is the due date (the contract's
    reading of an absent ``effective_due_date``)."""
    if invoice.amount_cents is None or invoice.due_date is None:
        raise ValueError("the invoice has not been issued yet")
    # An effective date before the due date is no grace at all: read it as the due date.
    pay_by = max(invoice.effective_due_date or invoice.due_date, invoice.due_date)
    if invoice.amount_cents == 0:
        return AmountShown(today=today, due_date=invoice.due_date, pay_by=pay_by, due_cents=0)
    if invoice.fine_bps is None or invoice.monthly_interest_bps is None:
        legacy = invoice.amount_to_pay_cents
        assert legacy is not None  # issued: amount_cents is known
        return AmountShown(today=today, due_date=invoice.due_date, pay_by=pay_by, due_cents=legacy)
    parts = breakdown(
        principal_cents=invoice.amount_cents,
        due_date=invoice.due_date,
        fine_bps=invoice.fine_bps,
        monthly_interest_bps=invoice.monthly_interest_bps,
        payments=invoice.payments,
        as_of=today,
        effective_due_date=pay_by,
    )
    return AmountShown(
        today=today, due_date=invoice.due_date, pay_by=pay_by, due_cents=parts.due_cents, parts=parts
    )


def template_for_day(template: str, shown: AmountShown) -> str:
    """The template whose text is true on the day the message goes out (the
    step and its delivery keep their own name).

    A reminder or due_today sent after the effective due date (a step that
    waited, or was retried, past the last day without charges) would tell a
    late debtor the invoice is not due yet: it reads as ``overdue``, with that
    day's charges. An overdue or final notice sent on or before the effective
    due date (planned from a due date that fell on a Sunday or holiday) would
    call an invoice late that can still be paid without charges: it reads as
    ``due_today`` on that day, as ``reminder`` before it."""
    if template in _BEFORE_DUE_TEMPLATES and shown.late:
        return "overdue"
    if template in _LATE_TEMPLATES and not shown.late:
        return "due_today" if shown.today == shown.pay_by else "reminder"
    return template


def current_charges(charges: Sequence[ChargeView]) -> list[ChargeView]:
    """The newest charge of each method, newest first, leaving out a method
    whose newest charge was removed: a later ``charge-created`` for the same
    invoice and method (a revised boleto or cobv) replaces the older one, and a
    removed charge is never shown again."""
    newest: dict[str, ChargeView] = {}
    for charge in sorted(charges, key=lambda c: c.created_at, reverse=True):
        newest.setdefault(charge.method, charge)
    return [c for c in newest.values() if c.removed_at is None]


def fits(charge: ChargeView, due_cents: int) -> bool:
    """Whether paying ``charge`` can settle exactly ``due_cents`` today.

    A face value above what is due would collect too much (a code issued
    before a partial payment and not yet revised). A cobv's dynamic code is
    priced by the PSP on the day of payment (face value plus fine and interest
    from the invoice's rates), and a registered boleto's fine and interest are
    the bank's instructions, so a face value at or below the amount is right.
    A static Pix code (the tenant's plain-key option) is paid at the value it
    carries, so that value must be the amount itself."""
    if charge.amount_cents is not None and charge.amount_cents > due_cents:
        return False
    if charge.method == "pix" and charge.pix_copy_paste:
        try:
            static = parse_brcode(charge.pix_copy_paste)
        except BrCodeError:
            # Not a well-formed static code: a dynamic one, whose value the PSP sets.
            return True
        return static.amount_cents is None or static.amount_cents == due_cents
    return True


def charges_to_show(charges: Sequence[ChargeView], due_cents: int | None) -> list[ChargeView]:
    """The charges whose codes a message asking ``due_cents`` may carry,
    newest first. None (the invoice not issued yet, the amount unknown): the
    current charges as they are (nothing is sent before it arrives anyway)."""
    current = current_charges(charges)
    if due_cents is None:
        return current
    return [c for c in current if fits(c, due_cents)]
