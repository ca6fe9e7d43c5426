"""Kafka handlers of scheduler-service: ``on_<event>_<effect>(event, meta, uow)``.

They run inside the consumer's transaction, after the inbox claim, and never commit.
"""

from __future__ import annotations

import logging

from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1, MessageSuppressedV1
from regua_platform.handlers import EventMeta
from scheduler_service.service_layer import plans
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork

log = logging.getLogger("scheduler.consumers")


async def on_invoice_issued_plan_steps(
    event: InvoiceIssuedV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    await plans.plan_invoice(
        uow,
        tenant_id=meta.tenant_id,
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        due_date=event.due_date,
    )


async def on_invoice_overdue_ensure_planned(
    event: InvoiceOverdueV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    # Normally planned on ``issued`` already; this covers an ``issued`` this
    # service never saw (e.g. loaded before the scheduler was deployed).
    await plans.plan_invoice(
        uow,
        tenant_id=meta.tenant_id,
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        due_date=event.due_date,
    )


async def on_invoice_status_changed_stop_steps(
    event: InvoiceStatusChangedV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    await plans.stop_dunning(uow, tenant_id=meta.tenant_id, invoice_id=event.invoice_id, status=event.status)


async def on_invoice_status_changed_resume_steps(
    event: InvoiceStatusChangedV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    # An agreement broke: the invoice is collectable again and its paused steps resume.
    await plans.resume_dunning(
        uow,
        tenant_id=meta.tenant_id,
        invoice_id=event.invoice_id,
        previous_status=event.previous_status,
        status=event.status,
    )


async def on_message_sent_mark_step(event: MessageSentV1, meta: EventMeta, uow: SchedulerUnitOfWork) -> None:
    if not await plans.record_sent(uow, tenant_id=meta.tenant_id, step_id=event.step_id):
        log.info("scheduler.step.sent_ignored", extra={"step_id": str(event.step_id)})


async def on_message_failed_mark_step(
    event: MessageFailedV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    reason = event.reason if not event.detail else f"{event.reason}: {event.detail}"
    if not await plans.record_failed(
        uow, tenant_id=meta.tenant_id, step_id=event.step_id, reason=reason[:300]
    ):
        log.info("scheduler.step.failed_ignored", extra={"step_id": str(event.step_id)})


async def on_message_suppressed_end_step(
    event: MessageSuppressedV1, meta: EventMeta, uow: SchedulerUnitOfWork
) -> None:
    """A step the notifier did not send (paid, closed, nothing due) ends
    ``suppressed`` with the notifier's reason instead of staying ``due``."""
    if not await plans.record_suppressed(
        uow, tenant_id=meta.tenant_id, step_id=event.step_id, reason=event.reason
    ):
        log.info("scheduler.step.suppressed_ignored", extra={"step_id": str(event.step_id)})


#: In order: the two status-changed handlers run in this order, in one transaction.
HANDLERS = (
    on_invoice_issued_plan_steps,
    on_invoice_overdue_ensure_planned,
    on_invoice_status_changed_stop_steps,
    on_invoice_status_changed_resume_steps,
    on_message_sent_mark_step,
    on_message_failed_mark_step,
    on_message_suppressed_end_step,
)
