"""payments-service events, version 1 (topic ``regua.payment.events``)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from regua_contracts.base import CalendarDate, Cents, Currency, Instant, Payload

PaymentMethod = Literal["pix", "boleto", "card"]


class PaymentReceivedV1(Payload):
    payment_id: UUID
    invoice_id: UUID
    charge_id: UUID | None = None
    method: PaymentMethod
    amount_cents: Cents
    currency: Currency = "BRL"
    #: The gateway's id of the payment (Pix endToEndId, boleto/card event id).
    gateway_reference: str = Field(min_length=1, max_length=100)
    paid_at: Instant


class PaymentReversedV1(Payload):
    reversal_id: UUID
    payment_id: UUID
    invoice_id: UUID
    kind: Literal["refund", "chargeback"]
    amount_cents: Cents
    currency: Currency = "BRL"
    reason: str | None = Field(default=None, max_length=200)
    reversed_at: Instant


class ChargeCreatedV1(Payload):
    """A way to pay an invoice exists: a Pix charge or a boleto. The notifier
    keeps these to put the codes in its messages. Published again, with the
    same ``charge_id`` and a later ``created_at``, when the charge's terms are
    revised in place (a cobv after a partial payment): the newest one wins."""

    charge_id: UUID
    invoice_id: UUID
    method: PaymentMethod
    amount_cents: Cents
    currency: Currency = "BRL"
    due_date: CalendarDate
    #: Pix: the txid (26-35 alphanumerics for a cobv at a PSP; at most 25 in
    #: a static code, the tenant's plain-key option).
    txid: str | None = Field(default=None, min_length=1, max_length=35)
    #: Pix: the BR Code "copia e cola" (dynamic for a cobv: the PSP prices the
    #: day of payment).
    pix_copy_paste: str | None = Field(default=None, max_length=512)
    #: Boleto: the 47-digit linha digitável and the 44-digit código de barras.
    digitable_line: str | None = Field(default=None, min_length=47, max_length=47)
    barcode: str | None = Field(default=None, min_length=44, max_length=44)
    #: Card: the payment link.
    payment_url: str | None = Field(default=None, max_length=500)
    created_at: Instant
    #: Every method the invoice has a charge for once the transaction that
    #: created this charge commits (charges created together all carry the
    #: same list). A consumer that has seen fewer knows more are on the way:
    #: the notifier holds a message until the codes it promises are known.
    #: Absent in events of older producers: read it as ``[method]``.
    invoice_methods: list[PaymentMethod] | None = Field(default=None, max_length=3)


class ChargeRemovedV1(Payload):
    """A charge can no longer be paid: the cobv was removed at the PSP or the
    boleto written off at the bank (invoice paid, cancelled or renegotiated,
    or replaced by a revised charge). Whoever shows payment codes drops it."""

    charge_id: UUID
    invoice_id: UUID
    method: PaymentMethod
    reason: str = Field(min_length=1, max_length=200)
    removed_at: Instant
