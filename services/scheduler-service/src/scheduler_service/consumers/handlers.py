"""Kafka handlers of scheduler-service: ``on_<event>_<effect>(envelope, uow)``.

They run inside the consumer's transaction, after the inbox claim, and never commit.
"""

from __future__ import annotations

import logging

from regua_contracts import Envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1
from regua_platform.consumer import Handlers
from scheduler_service.service_layer import plans
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork

log = logging.getLogger("scheduler.consumers")


async def on_invoice_issued_plan_steps(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    event = envelope.payload
    assert isinstance(event, InvoiceIssuedV1)
    await plans.plan_invoice(
        uow,
        tenant_id=envelope.tenantid,
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        due_date=event.due_date,
    )


async def on_invoice_overdue_ensure_planned(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    # Normally planned on ``issued`` already; this covers an ``issued`` this
    # service never saw (e.g. loaded before the scheduler was deployed).
    event = envelope.payload
    assert isinstance(event, InvoiceOverdueV1)
    await plans.plan_invoice(
        uow,
        tenant_id=envelope.tenantid,
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        due_date=event.due_date,
    )


async def on_invoice_status_changed_stop_steps(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    event = envelope.payload
    assert isinstance(event, InvoiceStatusChangedV1)
    await plans.stop_dunning(
        uow, tenant_id=envelope.tenantid, invoice_id=event.invoice_id, status=event.status
    )


async def on_invoice_status_changed_resume_steps(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    # An agreement broke: the invoice is collectable again and its paused steps resume.
    event = envelope.payload
    assert isinstance(event, InvoiceStatusChangedV1)
    await plans.resume_dunning(
        uow,
        tenant_id=envelope.tenantid,
        invoice_id=event.invoice_id,
        previous_status=event.previous_status,
        status=event.status,
    )


async def on_message_sent_mark_step(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    event = envelope.payload
    assert isinstance(event, MessageSentV1)
    if not await plans.record_sent(uow, tenant_id=envelope.tenantid, step_id=event.step_id):
        log.info("scheduler.step.sent_ignored", extra={"step_id": str(event.step_id)})


async def on_message_failed_mark_step(envelope: Envelope, uow: SchedulerUnitOfWork) -> None:
    event = envelope.payload
    assert isinstance(event, MessageFailedV1)
    reason = event.reason if not event.detail else f"{event.reason}: {event.detail}"
    if not await plans.record_failed(
        uow, tenant_id=envelope.tenantid, step_id=event.step_id, reason=reason[:300]
    ):
        log.info("scheduler.step.failed_ignored", extra={"step_id": str(event.step_id)})


HANDLERS: Handlers = {
    "br.regua.invoice.issued.v1": [on_invoice_issued_plan_steps],
    "br.regua.invoice.overdue.v1": [on_invoice_overdue_ensure_planned],
    "br.regua.invoice.status-changed.v1": [
        on_invoice_status_changed_stop_steps,
        on_invoice_status_changed_resume_steps,
    ],
    "br.regua.notification.message-sent.v1": [on_message_sent_mark_step],
    "br.regua.notification.message-failed.v1": [on_message_failed_mark_step],
}
