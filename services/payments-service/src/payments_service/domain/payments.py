"""Money received (payments) and given back (reversals), as plain typed values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from payments_service.domain.charges import Method, refundable_cents

ReversalKind = Literal["refund", "chargeback"]


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received for a charge, once per gateway reference (Pix endToEndId,
    boleto/card event id); ``reversed_cents`` of it were given back since."""

    id: UUID
    tenant_id: UUID
    charge_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Method
    gateway_reference: str
    amount_cents: int
    reversed_cents: int
    paid_at: datetime
    created_at: datetime

    @property
    def refundable_cents(self) -> int:
        """What may still be given back of this payment."""
        return refundable_cents(self.amount_cents, self.reversed_cents)


@dataclass(frozen=True, slots=True)
class Reversal:
    """A refund or chargeback of (part of) a payment, once per gateway reference."""

    id: UUID
    tenant_id: UUID
    payment_id: UUID
    kind: ReversalKind
    gateway_reference: str
    amount_cents: int
    reason: str | None
    reversed_at: datetime
    created_at: datetime
