"""What gateways tell us, as plain values, and what we answer per item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

Outcome = Literal["recorded", "duplicate", "unmatched", "refused", "ignored"]

#: The API Pix status of a devolução whose money went back to the payer.
PIX_REFUND_DONE = "DEVOLVIDO"


@dataclass(frozen=True, slots=True)
class PixRefund:
    id: str
    amount_cents: int
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PixReceived:
    end_to_end_id: str
    txid: str | None
    amount_cents: int
    paid_at: datetime
    refunds: tuple[PixRefund, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The fate of one payment or reversal named in a webhook."""

    reference: str
    outcome: Outcome
    kind: Literal["payment", "reversal"] = "payment"
    payment_id: UUID | None = None
    reversal_id: UUID | None = None
    detail: str | None = None
    children: list[ItemResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome in ("unmatched", "refused") or any(c.failed for c in self.children)
