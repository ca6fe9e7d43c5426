"""What to do with one due delivery, from what the notifier knows at ``now``.

Pure: the sender loads the delivery, its invoice, debtor, charges and
attempts, calls :func:`decide`, and applies the answer (renders and sends, or
records the wait, the failure or the suppression).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from notifier_service.domain import templates
from notifier_service.domain.channels import CHANNELS, Channel, next_channel
from notifier_service.domain.delivery import CLOSED_INVOICE_STATUSES, instruments_awaited
from notifier_service.domain.model import (
    ChargeView,
    DebtorView,
    Delivery,
    DeliveryAttempt,
    InvoiceView,
    WaitingFor,
)

#: The step actions that are a message to send.
SUPPORTED_ACTIONS = frozenset({"message", "offer", "final_notice"})

FailReason = Literal[
    "unknown_template",
    "unsupported_action",
    "invoice_unknown",
    "debtor_unknown",
    "no_consented_channel",
    "all_channels_failed",
]

#: Why a step's message is deliberately not sent (``message-suppressed``'s reason).
SuppressReason = Literal[
    "suppressed_paid",
    "suppressed_cancelled",
    "suppressed_renegotiated",
    "nothing_due",
]
_CLOSED_REASONS: dict[str, SuppressReason] = {
    "paid": "suppressed_paid",
    "cancelled": "suppressed_cancelled",
    "renegotiated": "suppressed_renegotiated",
}


@dataclass(frozen=True, slots=True)
class Waits:
    """How long a delivery waits, from its step-due, for what has not arrived."""

    #: For its invoice's ``invoice.issued``, and likewise for its debtor.
    invoice_seconds: float
    #: For the charges (Pix code, boleto line) its channel's message shows.
    charge_seconds: float


@dataclass(frozen=True, slots=True)
class Suppress:
    """Nothing may be sent, ever (a paid or cancelled invoice)."""

    reason: SuppressReason


@dataclass(frozen=True, slots=True)
class Fail:
    """The delivery cannot go out: failed, ``message-failed`` published."""

    reason: FailReason
    detail: str | None = None
    #: The channel tried last, when every channel failed.
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class Wait:
    """Look again later, or when an event brings what is awaited."""

    waiting_for: WaitingFor


@dataclass(frozen=True, slots=True)
class Send:
    """Send on ``channel``; ``missing_instruments`` are the promised payment
    codes it goes without, the charge wait having run out."""

    channel: Channel
    missing_instruments: frozenset[str] = frozenset()


Decision = Suppress | Fail | Wait | Send


def invoice_closed(invoice: InvoiceView) -> SuppressReason | None:
    """Why nothing may be sent for this invoice, or None (stop on pay, CDC
    art. 42). A payment seen on ``payment.received`` closes it at once, until a
    later status change (a partial payment, a reversal) says it is open again."""
    status = invoice.status
    if status in CLOSED_INVOICE_STATUSES:
        return _CLOSED_REASONS[status]
    seen, changed = invoice.payment_seen_at, invoice.status_changed_at
    if seen is not None and (changed is None or changed < seen):
        return "suppressed_paid"
    return None


def stop_reason(invoice: InvoiceView | None, due_cents: int | None) -> SuppressReason | None:
    """Why a step's message must not go out now, or None: the invoice is
    closed (paid, cancelled, renegotiated, or a payment was seen) or, with the
    amount due today known (``due_cents``), payments cover everything (never
    collect what is paid, CDC art. 42). Asked when the delivery is decided and
    again right before the provider call."""
    if invoice is not None and (why := invoice_closed(invoice)) is not None:
        return why
    if due_cents is not None and due_cents <= 0:
        return "nothing_due"
    return None


def decide(
    delivery: Delivery,
    invoice: InvoiceView | None,
    debtor: DebtorView | None,
    charges: Sequence[ChargeView],
    attempts: Sequence[DeliveryAttempt],
    providers: Collection[Channel],
    waits: Waits,
    now: datetime,
) -> Decision:
    """The fate of one due pending delivery.

    ``attempts`` are its step's (one per channel, oldest first), ``providers``
    the channels the worker has a provider for. In order: a closed invoice
    suppresses; an unknown template or action fails; a missing invoice or
    debtor is waited for, up to ``waits.invoice_seconds``; then the first
    usable channel not yet failed or used is chosen (none: fail); and the
    message waits, up to ``waits.charge_seconds``, for the charges that channel
    shows and the invoice was announced to have.
    """
    waited = delivery.waited(now)
    if (why := stop_reason(invoice, None)) is not None:
        return Suppress(why)
    if delivery.template not in templates.TEMPLATES:
        return Fail("unknown_template", f"no template named {delivery.template!r}")
    if delivery.action not in SUPPORTED_ACTIONS:
        return Fail("unsupported_action", f"action {delivery.action!r}")
    if invoice is None or not invoice.issued:
        if waited < waits.invoice_seconds:
            return Wait("invoice")
        return Fail("invoice_unknown", f"no invoice data after {waited:.0f}s")
    if debtor is None:
        if waited < waits.invoice_seconds:
            return Wait("debtor")
        return Fail("debtor_unknown", f"no debtor data after {waited:.0f}s")

    exhausted: set[Channel] = {ch for ch in CHANNELS if ch not in providers}
    exhausted |= {a.channel for a in attempts if a.status in ("failed", "sent")}
    channel = next_channel(delivery.channels, debtor.contacts, exhausted)
    if channel is None:
        if not attempts:
            return Fail("no_consented_channel")
        return Fail("all_channels_failed", channel=max(attempts, key=lambda a: a.updated_at).channel)

    # Charges come on another topic than step-due: hold the message until the
    # codes its channel shows are known, up to the charge wait.
    missing = instruments_awaited(
        templates.PROMISED_INSTRUMENTS[channel],
        invoice.charge_methods,
        frozenset(c.method for c in charges),
    )
    if missing and waited < waits.charge_seconds:
        return Wait("charges")
    return Send(channel, missing)
