"""Kafka handlers of negotiation-service; the platform subscribes to their events' topics."""

from __future__ import annotations

from negotiation_service.consumers.invoices import (
    on_invoice_balance_changed_project,
    on_invoice_issued_project,
    on_invoice_overdue_project,
    on_invoice_status_changed_project_and_settle,
)
from negotiation_service.consumers.portal import (
    on_charge_created_project,
    on_charge_removed_project,
    on_debtor_updated_project,
)

HANDLERS = (
    on_invoice_issued_project,
    on_invoice_overdue_project,
    on_invoice_status_changed_project_and_settle,
    on_invoice_balance_changed_project,
    on_charge_created_project,
    on_charge_removed_project,
    on_debtor_updated_project,
)
