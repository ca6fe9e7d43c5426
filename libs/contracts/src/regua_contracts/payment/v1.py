"""payments-service events, version 1 (topic ``regua.payment.events``)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from regua_contracts.base import Cents, Currency, Instant, Payload

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
