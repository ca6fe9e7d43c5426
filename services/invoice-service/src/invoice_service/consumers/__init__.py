"""Kafka handlers of invoice-service; the platform subscribes to their events' topics."""

from __future__ import annotations

from invoice_service.consumers.agreements import (
    on_agreement_broken_restore_invoices,
    on_agreement_completed_settle_invoices,
    on_agreement_created_renegotiate_invoices,
    on_agreement_prepaid_issue_payoff,
)
from invoice_service.consumers.debtors import on_debtor_consent_changed_record
from invoice_service.consumers.payments import (
    on_payment_received_apply_to_invoice,
    on_payment_reversed_reopen_invoice,
)

#: The charge events of payments-service (created, removed) share its topic and are ignored on purpose.
HANDLERS = (
    on_payment_received_apply_to_invoice,
    on_payment_reversed_reopen_invoice,
    on_agreement_created_renegotiate_invoices,
    on_agreement_broken_restore_invoices,
    on_agreement_completed_settle_invoices,
    on_agreement_prepaid_issue_payoff,
    on_debtor_consent_changed_record,
)
