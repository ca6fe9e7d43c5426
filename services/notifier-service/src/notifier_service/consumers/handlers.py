"""Event handlers: ``on_<event>_<effect>(event, meta, uow)``, inside the
consumer's transaction after the inbox claim. None calls a provider."""

from __future__ import annotations

from notifier_service.service_layer.sender import create_delivery, wake_waiting
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from regua_contracts.debtor.v1 import DebtorConsentChangedV1, DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import (
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1, PaymentReceivedV1
from regua_platform.handlers import EventMeta


async def on_debtor_updated_project(event: DebtorUpdatedV1, meta: EventMeta, uow: NotifierUnitOfWork) -> None:
    await uow.projections.upsert_debtor(meta.tenant_id, event)
    await wake_waiting(uow, meta.tenant_id, debtor_id=event.debtor_id)


async def on_debtor_consent_changed_project(
    event: DebtorConsentChangedV1, meta: EventMeta, uow: NotifierUnitOfWork
) -> None:
    """An opt-out from the portal: the next message already skips that channel."""
    await uow.projections.set_consent(
        meta.tenant_id, event.debtor_id, event.channel, event.consent, event.changed_at
    )


async def on_invoice_issued_project(event: InvoiceIssuedV1, meta: EventMeta, uow: NotifierUnitOfWork) -> None:
    await uow.projections.invoice_issued(meta.tenant_id, event)
    await wake_waiting(uow, meta.tenant_id, invoice_id=event.invoice_id)


async def on_invoice_overdue_project(
    event: InvoiceOverdueV1, meta: EventMeta, uow: NotifierUnitOfWork
) -> None:
    await uow.projections.invoice_overdue(meta.tenant_id, event)


async def on_invoice_status_changed_project(
    event: InvoiceStatusChangedV1, meta: EventMeta, uow: NotifierUnitOfWork
) -> None:
    await uow.projections.invoice_status_changed(meta.tenant_id, event)


async def on_invoice_balance_changed_project(
    event: InvoiceBalanceChangedV1, meta: EventMeta, uow: NotifierUnitOfWork
) -> None:
    """The payments a message's amount is computed from (at send time, for that day)."""
    await uow.projections.balance_changed(meta.tenant_id, event)
    await wake_waiting(uow, meta.tenant_id, invoice_id=event.invoice_id)


async def on_charge_created_project(event: ChargeCreatedV1, meta: EventMeta, uow: NotifierUnitOfWork) -> None:
    await uow.projections.add_charge(meta.tenant_id, event)
    await wake_waiting(uow, meta.tenant_id, invoice_id=event.invoice_id)


async def on_charge_removed_project(event: ChargeRemovedV1, meta: EventMeta, uow: NotifierUnitOfWork) -> None:
    """A removed charge's codes are never shown again."""
    await uow.projections.remove_charge(meta.tenant_id, event)


async def on_payment_received_stop_sending(
    event: PaymentReceivedV1, meta: EventMeta, uow: NotifierUnitOfWork
) -> None:
    """Stop on pay: from now on every step of this invoice is suppressed, until
    invoice-service says otherwise (a partial payment re-opens it)."""
    await uow.projections.payment_seen(meta.tenant_id, event.invoice_id, event.debtor_id, event.paid_at)


async def on_step_due_create_delivery(event: StepDueV1, meta: EventMeta, uow: NotifierUnitOfWork) -> None:
    await create_delivery(uow, meta.tenant_id, event, uow.clock.now())


HANDLERS = (
    on_debtor_updated_project,
    on_debtor_consent_changed_project,
    on_invoice_issued_project,
    on_invoice_overdue_project,
    on_invoice_status_changed_project,
    on_invoice_balance_changed_project,
    on_charge_created_project,
    on_charge_removed_project,
    on_payment_received_stop_sending,
    on_step_due_create_delivery,
)
