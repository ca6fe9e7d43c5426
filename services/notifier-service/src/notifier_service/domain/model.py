"""What notifier-service keeps, as plain typed values.

``DebtorView``, ``InvoiceView`` and ``ChargeView`` are the local projections of
other services' events (each filled as its events arrive, in any order);
``Delivery`` is one dunning step's message and ``DeliveryAttempt`` one
(step, channel) try at it. Repositories return these, never rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from notifier_service.domain.channels import Channel, Contacts
from notifier_service.domain.delivery import AttemptStatus, DeliveryStatus
from regua_br.amount_due import Payment

#: What a pending delivery waits for: an event bringing it wakes the delivery.
WaitingFor = Literal["invoice", "debtor", "charges"]


@dataclass(frozen=True, slots=True)
class DebtorView:
    """A debtor as ``debtor.updated`` and ``debtor.consent-changed`` describe it."""

    debtor_id: UUID
    tenant_id: UUID
    name: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    preferred_channels: tuple[Channel, ...]
    #: ``False`` is an opt-out; absent means no recorded objection.
    consents: Mapping[Channel, bool]
    updated_at: datetime

    @property
    def contacts(self) -> Contacts:
        return Contacts(
            email=self.email,
            phone=self.phone,
            whatsapp=self.whatsapp,
            preferred_channels=self.preferred_channels,
            consents=self.consents,
        )


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice as its events describe it so far. ``external_id``,
    ``amount_cents`` and ``due_date`` are None until ``invoice.issued`` arrives
    (which brings all three); the other events may come first.

    ``effective_due_date``, ``fine_bps`` and ``monthly_interest_bps`` come with
    ``invoice.issued`` too (None from older producers) and ``payments`` with
    ``invoice.balance-changed``: the inputs of the amount due on any day.
    ``amount_due_cents`` is the figure ``invoice.overdue`` / ``status-changed``
    froze when they were published; it is shown only for invoices issued
    without rates (see :func:`notifier_service.domain.amount.amount_shown`)."""

    invoice_id: UUID
    tenant_id: UUID
    debtor_id: UUID
    external_id: str | None = None
    amount_cents: int | None = None
    due_date: date | None = None
    status: str | None = None
    status_changed_at: datetime | None = None
    amount_due_cents: int | None = None
    payment_seen_at: datetime | None = None
    #: The charge methods payments-service announced for the invoice (the
    #: newest ``charge.created``'s ``invoice_methods``); None until the first one.
    charge_methods: frozenset[str] | None = None
    effective_due_date: date | None = None
    fine_bps: int | None = None
    monthly_interest_bps: int | None = None
    #: The payments applied to the invoice, net of reversals (the last
    #: ``invoice.balance-changed``'s full list).
    payments: tuple[Payment, ...] = ()

    @property
    def issued(self) -> bool:
        """``invoice.issued`` has arrived: the amount, reference and due date are known."""
        return self.amount_cents is not None

    @property
    def priced(self) -> bool:
        """Its rates are known: the amount due can be computed for any day."""
        return self.issued and self.fine_bps is not None and self.monthly_interest_bps is not None

    @property
    def amount_to_pay_cents(self) -> int | None:
        """The figure of older producers' events: the amount due when
        invoice-service last told it (frozen then), else the issued amount;
        never negative."""
        amount = self.amount_due_cents if self.amount_due_cents is not None else self.amount_cents
        return None if amount is None else max(amount, 0)


@dataclass(frozen=True, slots=True)
class ChargeView:
    """One charge (Pix or boleto) payments-service created for an invoice;
    ``removed_at`` set once ``charge-removed`` said it can no longer be paid."""

    charge_id: UUID
    tenant_id: UUID
    invoice_id: UUID
    method: str
    created_at: datetime
    pix_copy_paste: str | None = None
    digitable_line: str | None = None
    barcode: str | None = None
    payment_url: str | None = None
    #: The charge's face amount (cobv ``valor.original``, boleto amount); None in rows of older events.
    amount_cents: int | None = None
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Creditor:
    """The creditor a tenant's messages name (CDC art. 42-A)."""

    name: str
    document: str
    address: str
    portal_base_url: str
    #: True for the service's demo default, while the tenant has not set its own.
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """One dunning step's message: pending until sent, failed or suppressed."""

    message_id: UUID
    tenant_id: UUID
    step_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    template: str
    tone: str
    action: str
    channels: tuple[Channel, ...]
    status: DeliveryStatus
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    channel: Channel | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    reason: str | None = None
    sent_at: datetime | None = None
    waiting_for: WaitingFor | None = None
    #: What the message went out without, its wait for the charges having run out.
    missing_instruments: tuple[str, ...] | None = None

    def waited(self, now: datetime) -> float:
        """Seconds since the step came due (its delivery was created)."""
        return (now - self.created_at).total_seconds()


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """The tries on one (step, channel), recorded before any provider call."""

    step_id: UUID
    channel: Channel
    idempotency_key: str
    status: AttemptStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
