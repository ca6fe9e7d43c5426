"""What gateways tell us, as plain values, and what we answer per item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from payments_service.domain.charges import Method

Outcome = Literal["recorded", "duplicate", "unmatched", "refused", "ignored"]
#: Who sent what we received: a gateway's webhook, or our own API (refunds).
Provider = Literal["pix", "boleto", "card", "api"]

#: How a webhook names the charge it pays: by ``txid``, ``barcode`` or ``id``,
#: with the method the charge must have (None: any).
ChargeMatch = tuple[Literal["txid", "barcode", "id"], str | UUID, Method | None]

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
    #: A payment recorded now: its method and amount (for the metrics).
    method: str | None = None
    amount_cents: int = 0

    @property
    def failed(self) -> bool:
        return self.outcome in ("unmatched", "refused") or any(c.failed for c in self.children)


@dataclass(frozen=True, slots=True)
class WebhookRejection:
    """A webhook delivery (or one item of it) we refused or could not match, kept
    for reconciliation: ids and reasons only, never the body (it carries payers'
    names and documents), just its SHA-256."""

    tenant_id: UUID
    provider: Provider
    reason: str
    body_sha256: str
    received_at: datetime
    reference: str | None = None
    detail: str | None = None
    #: Given by the database when the rejection is stored.
    id: int | None = None
