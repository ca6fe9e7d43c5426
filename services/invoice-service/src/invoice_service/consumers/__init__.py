"""Kafka handlers of invoice-service and the table that routes events to them."""

from __future__ import annotations

from invoice_service.consumers.agreements import (
    on_agreement_broken_restore_invoices,
    on_agreement_completed_settle_invoices,
    on_agreement_created_renegotiate_invoices,
)
from invoice_service.consumers.debtors import on_debtor_consent_changed_record
from invoice_service.consumers.payments import (
    on_payment_received_apply_to_invoice,
    on_payment_reversed_reopen_invoice,
)
from regua_platform.consumer import Handlers

#: ``br.regua.payment.charge-created.v1`` shares the topic and is ignored on purpose.
HANDLERS: Handlers = {
    "br.regua.payment.received.v1": [on_payment_received_apply_to_invoice],
    "br.regua.payment.reversed.v1": [on_payment_reversed_reopen_invoice],
    "br.regua.agreement.created.v1": [on_agreement_created_renegotiate_invoices],
    "br.regua.agreement.broken.v1": [on_agreement_broken_restore_invoices],
    "br.regua.agreement.completed.v1": [on_agreement_completed_settle_invoices],
    "br.regua.debtor.consent-changed.v1": [on_debtor_consent_changed_record],
}
