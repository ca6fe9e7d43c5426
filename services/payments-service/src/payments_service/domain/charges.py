"""Charges: the ways to pay one invoice, and the state each is in at its gateway.

A charge is a Pix ``cobv`` at the tenant's PSP, a static BR Code (the tenant's
explicit plain-key option, no PSP), or a boleto registered at the tenant's
bank. The consumer only records what it wants (``action``); the gateway worker
makes the call outside any transaction and records what happened, so a crash
between the two retries the same call (same txid, same nosso número) instead
of losing or doubling a charge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from regua_br.brcode import build_brcode

Method = Literal["pix", "boleto", "card"]
#: ``cobv``: a Pix charge with due date at the PSP; ``static``: a static BR
#: Code on the tenant's plain key; ``boleto``: registered at the bank.
Kind = Literal["cobv", "static", "boleto", "card"]
#: ``pending``: waiting for its gateway; ``active``: payable; ``not_configured``:
#: the tenant has no account for this method, so there is no charge to pay;
#: ``failed``: the gateway refused it (``status_reason`` says why);
#: ``removed``: no longer payable (cobv removed, boleto written off).
Status = Literal["pending", "active", "not_configured", "failed", "removed"]
#: What the gateway worker still has to do for the charge.
Action = Literal["create", "revise", "remove"]

#: A static BR Code carries at most 25 alphanumerics in field 62-05 (BCB manual).
STATIC_TXID_LENGTH = 25


@dataclass(frozen=True, slots=True)
class PixAccount:
    """A tenant's plain Pix key and the name and city shown to payers (static codes)."""

    pix_key: str
    merchant_name: str
    merchant_city: str


@dataclass(frozen=True, slots=True)
class Terms:
    """What a charge asks: the figures a cobv or a boleto is created or revised with."""

    due_date: date
    #: ``valor.original`` of a cobv, the amount of a boleto.
    amount_cents: int
    fine_bps: int
    monthly_interest_bps: int
    #: Days it stays payable after ``due_date``.
    days_valid_after_due: int


@dataclass(frozen=True, slots=True)
class Charge:
    id: UUID
    tenant_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Method
    kind: Kind
    status: Status
    amount_cents: int
    due_date: date
    created_at: datetime
    updated_at: datetime
    fine_bps: int = 0
    monthly_interest_bps: int = 0
    days_valid_after_due: int = 0
    #: Why it is ``not_configured``, ``failed`` or ``removed``.
    status_reason: str | None = None
    txid: str | None = None
    pix_copy_paste: str | None = None
    #: The cobv's payload location (the dynamic BR Code points to it).
    location: str | None = None
    bank_account_id: UUID | None = None
    nosso_numero: int | None = None
    barcode: str | None = None
    digitable_line: str | None = None
    action: Action | None = None
    #: Bumped at every new ``action`` or term change: the worker records a
    #: gateway answer as final only when nothing changed while it called.
    action_seq: int = 0
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    #: ``charge-created`` was published (so its removal is announced too).
    announced: bool = False
    #: Replaced or closed: it no longer counts as the invoice's charge of its method.
    superseded: bool = False

    @property
    def terms(self) -> Terms:
        return Terms(
            self.due_date,
            self.amount_cents,
            self.fine_bps,
            self.monthly_interest_bps,
            self.days_valid_after_due,
        )

    def with_terms(self, terms: Terms) -> Charge:
        return replace(
            self,
            due_date=terms.due_date,
            amount_cents=terms.amount_cents,
            fine_bps=terms.fine_bps,
            monthly_interest_bps=terms.monthly_interest_bps,
            days_valid_after_due=terms.days_valid_after_due,
        )


def cobv_txid(charge_id: UUID) -> str:
    """The txid of a cobv: the charge id's 32 hex digits (API Pix ``[a-zA-Z0-9]{26,35}``).
    Random (uuid4): it leaks nothing, and two tenants' charges for the same amount
    and date never share one; the database's unique (tenant, txid) backs it."""
    return charge_id.hex


def static_txid(charge_id: UUID) -> str:
    """The txid of a static BR Code: 25 hex digits of the charge id (the BCB manual's
    limit for field 62-05 of a static code; 100 random bits)."""
    return charge_id.hex[:STATIC_TXID_LENGTH]


def static_code(account: PixAccount, txid: str, amount_cents: int) -> str:
    """The static BR Code of the tenant's plain-key option."""
    return build_brcode(
        pix_key=account.pix_key,
        merchant_name=account.merchant_name,
        merchant_city=account.merchant_city,
        amount_cents=amount_cents,
        txid=txid,
    )


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff after the ``attempt``-th failed call (1-based), capped."""
    return float(min(base * 2 ** max(attempt - 1, 0), cap))


def refundable_cents(amount_cents: int, reversed_cents: int) -> int:
    """What may still be given back of a payment: never more than was paid."""
    return max(amount_cents - reversed_cents, 0)
