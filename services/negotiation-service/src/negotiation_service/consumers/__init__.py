"""Kafka handlers of negotiation-service and the table that routes events to them."""

from __future__ import annotations

from negotiation_service.consumers.invoices import (
    on_invoice_issued_project,
    on_invoice_overdue_project,
    on_invoice_status_changed_project_and_settle,
)
from negotiation_service.consumers.portal import on_charge_created_project, on_debtor_updated_project
from regua_platform.consumer import Handlers

HANDLERS: Handlers = {
    "br.regua.invoice.issued.v1": [on_invoice_issued_project],
    "br.regua.invoice.overdue.v1": [on_invoice_overdue_project],
    "br.regua.invoice.status-changed.v1": [on_invoice_status_changed_project_and_settle],
    "br.regua.payment.charge-created.v1": [on_charge_created_project],
    "br.regua.debtor.updated.v1": [on_debtor_updated_project],
}
