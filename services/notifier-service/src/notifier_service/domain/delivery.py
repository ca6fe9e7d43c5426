"""Delivery rules: statuses, retry backoff, idempotency keys."""

from __future__ import annotations

import hashlib
from typing import Literal
from uuid import UUID

DeliveryStatus = Literal["pending", "sent", "failed", "suppressed"]
AttemptStatus = Literal["sending", "retrying", "sent", "failed"]

#: Invoice states in which nothing more may be sent (CDC art. 42: never collect
#: what is paid; a renegotiated invoice is owed as the agreement's installments).
CLOSED_INVOICE_STATUSES = frozenset({"paid", "cancelled", "renegotiated"})


def instruments_awaited(
    promised: frozenset[str], announced: frozenset[str] | None, seen: frozenset[str]
) -> frozenset[str]:
    """The payment instruments a message still waits for.

    ``promised`` are the ones its template shows (Pix code, boleto line),
    ``announced`` the methods payments-service said the invoice has charges for
    (None: no charge-created seen yet, so every promised one may still come),
    ``seen`` the charges the notifier holds. A method the invoice will never
    have (a tenant without Pix, say) is not waited for.
    """
    expected = promised if announced is None else promised & announced
    return expected - seen


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Delay after the ``attempt``-th failure (1-based): base, 2·base, 4·base ... ≤ cap."""
    return float(min(base * 2 ** max(attempt - 1, 0), cap))


def idempotency_key(step_id: UUID, channel: str) -> str:
    """The key of one (step, channel): the same on every retry and redelivery,
    so providers drop a second copy."""
    digest = hashlib.sha256(f"{step_id}:{channel}".encode()).hexdigest()[:32]
    return f"regua-{digest}"


def smtp_message_id(key: str, domain: str) -> str:
    return f"<{key}@{domain}>"
