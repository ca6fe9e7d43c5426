"""The catalogue of event types: type name → payload model and topic."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from regua_contracts import topics
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    AgreementPrepaidV1,
)
from regua_contracts.base import Payload
from regua_contracts.debtor.v1 import DebtorConsentChangedV1, DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import (
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1, MessageSuppressedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1, PaymentReceivedV1, PaymentReversedV1


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type: its CloudEvents ``type``, payload model and topic."""

    type: str
    model: builtins.type[Payload]
    topic: str
    description: str
    #: The service that publishes it (consumers subscribe only to what someone publishes).
    producer: str

    @property
    def dataschema(self) -> str:
        """Relative URI of the exported JSON Schema of this payload."""
        return f"schemas/{self.type}.json"


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "br.regua.invoice.issued.v1",
        InvoiceIssuedV1,
        topics.INVOICE_EVENTS,
        "An invoice was loaded and is open.",
        "invoice-service",
    ),
    EventSpec(
        "br.regua.invoice.overdue.v1",
        InvoiceOverdueV1,
        topics.INVOICE_EVENTS,
        "The due date passed in the tenant's time zone; sent once per invoice.",
        "invoice-service",
    ),
    EventSpec(
        "br.regua.invoice.status-changed.v1",
        InvoiceStatusChangedV1,
        topics.INVOICE_EVENTS,
        "Paid, partially paid, cancelled, renegotiated or reopened.",
        "invoice-service",
    ),
    EventSpec(
        "br.regua.invoice.balance-changed.v1",
        InvoiceBalanceChangedV1,
        topics.INVOICE_EVENTS,
        "A payment was applied to an invoice or reversed: the full list of applied payments.",
        "invoice-service",
    ),
    EventSpec(
        "br.regua.debtor.updated.v1",
        DebtorUpdatedV1,
        topics.INVOICE_EVENTS,
        "A debtor was created or changed: contacts, channel preferences, consents.",
        "invoice-service",
    ),
    EventSpec(
        "br.regua.debtor.consent-changed.v1",
        DebtorConsentChangedV1,
        topics.INVOICE_EVENTS,
        "A debtor opted in or out of one channel (from the portal).",
        "negotiation-service",
    ),
    EventSpec(
        "br.regua.dunning.step-due.v1",
        StepDueV1,
        topics.DUNNING_STEP_DUE,
        "A planned dunning step's time has come; emitted at most once per step.",
        "scheduler-service",
    ),
    EventSpec(
        "br.regua.notification.message-sent.v1",
        MessageSentV1,
        topics.NOTIFICATION_EVENTS,
        "A message left on a channel.",
        "notifier-service",
    ),
    EventSpec(
        "br.regua.notification.message-failed.v1",
        MessageFailedV1,
        topics.NOTIFICATION_EVENTS,
        "No channel could carry a step's message.",
        "notifier-service",
    ),
    EventSpec(
        "br.regua.notification.message-suppressed.v1",
        MessageSuppressedV1,
        topics.NOTIFICATION_EVENTS,
        "A step's message was deliberately not sent (invoice paid or closed, nothing due).",
        "notifier-service",
    ),
    EventSpec(
        "br.regua.payment.received.v1",
        PaymentReceivedV1,
        topics.PAYMENT_EVENTS,
        "A payment was confirmed by a gateway and matched to an invoice.",
        "payments-service",
    ),
    EventSpec(
        "br.regua.payment.charge-created.v1",
        ChargeCreatedV1,
        topics.PAYMENT_EVENTS,
        "A Pix charge, boleto or card link was created for an invoice.",
        "payments-service",
    ),
    EventSpec(
        "br.regua.payment.charge-removed.v1",
        ChargeRemovedV1,
        topics.PAYMENT_EVENTS,
        "A charge can no longer be paid (cobv removed, boleto written off).",
        "payments-service",
    ),
    EventSpec(
        "br.regua.payment.reversed.v1",
        PaymentReversedV1,
        topics.PAYMENT_EVENTS,
        "A refund or chargeback undid (part of) a payment.",
        "payments-service",
    ),
    EventSpec(
        "br.regua.agreement.created.v1",
        AgreementCreatedV1,
        topics.AGREEMENT_EVENTS,
        "A debtor accepted a renegotiation offer.",
        "negotiation-service",
    ),
    EventSpec(
        "br.regua.agreement.broken.v1",
        AgreementBrokenV1,
        topics.AGREEMENT_EVENTS,
        "An installment stayed unpaid beyond tolerance; the original debt is restored.",
        "negotiation-service",
    ),
    EventSpec(
        "br.regua.agreement.completed.v1",
        AgreementCompletedV1,
        topics.AGREEMENT_EVENTS,
        "Every installment of an agreement was paid.",
        "negotiation-service",
    ),
    EventSpec(
        "br.regua.agreement.prepaid.v1",
        AgreementPrepaidV1,
        topics.AGREEMENT_EVENTS,
        "The debtor pays the rest of an agreement early: unpaid installments replaced by one payoff.",
        "negotiation-service",
    ),
)

_BY_TYPE = {spec.type: spec for spec in EVENTS}
_BY_MODEL = {spec.model: spec for spec in EVENTS}


def spec_for(event_type: str) -> EventSpec:
    """The spec of ``event_type``; ``KeyError`` names the known types when unknown."""
    try:
        return _BY_TYPE[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None


def spec_of(model: type[Payload]) -> EventSpec:
    """The spec whose payload model is ``model``."""
    return _BY_MODEL[model]
