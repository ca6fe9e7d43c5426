"""Event handlers: ``on_<event>_<effect>(envelope, uow)``, inside the
consumer's transaction after the inbox claim. None calls a provider."""

from __future__ import annotations

from notifier_service.service_layer.sender import create_delivery
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from regua_contracts import Envelope
from regua_contracts.debtor.v1 import DebtorConsentChangedV1, DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, PaymentReceivedV1
from regua_platform.consumer import Handlers


async def on_debtor_updated_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, DebtorUpdatedV1)
    await uow.projections.upsert_debtor(envelope.tenantid, payload)
    await uow.deliveries.wake(envelope.tenantid, uow.clock.now(), debtor_id=payload.debtor_id)


async def on_debtor_consent_changed_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    """An opt-out from the portal: the next message already skips that channel."""
    payload = envelope.payload
    assert isinstance(payload, DebtorConsentChangedV1)
    await uow.projections.set_consent(
        envelope.tenantid, payload.debtor_id, payload.channel, payload.consent, payload.changed_at
    )


async def on_invoice_issued_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, InvoiceIssuedV1)
    await uow.projections.invoice_issued(envelope.tenantid, payload)
    await uow.deliveries.wake(envelope.tenantid, uow.clock.now(), invoice_id=payload.invoice_id)


async def on_invoice_overdue_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, InvoiceOverdueV1)
    await uow.projections.invoice_overdue(envelope.tenantid, payload)


async def on_invoice_status_changed_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, InvoiceStatusChangedV1)
    await uow.projections.invoice_status_changed(envelope.tenantid, payload)


async def on_charge_created_project(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, ChargeCreatedV1)
    await uow.projections.add_charge(envelope.tenantid, payload)
    await uow.deliveries.wake(envelope.tenantid, uow.clock.now(), invoice_id=payload.invoice_id)


async def on_payment_received_stop_sending(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    """Stop on pay: from now on every step of this invoice is suppressed, until
    invoice-service says otherwise (a partial payment re-opens it)."""
    payload = envelope.payload
    assert isinstance(payload, PaymentReceivedV1)
    await uow.projections.payment_seen(
        envelope.tenantid, payload.invoice_id, payload.debtor_id, payload.paid_at
    )


async def on_step_due_create_delivery(envelope: Envelope, uow: NotifierUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, StepDueV1)
    await create_delivery(uow, envelope.tenantid, payload, uow.clock.now())


HANDLERS: Handlers = {
    "br.regua.debtor.updated.v1": [on_debtor_updated_project],
    "br.regua.debtor.consent-changed.v1": [on_debtor_consent_changed_project],
    "br.regua.invoice.issued.v1": [on_invoice_issued_project],
    "br.regua.invoice.overdue.v1": [on_invoice_overdue_project],
    "br.regua.invoice.status-changed.v1": [on_invoice_status_changed_project],
    "br.regua.payment.charge-created.v1": [on_charge_created_project],
    "br.regua.payment.received.v1": [on_payment_received_stop_sending],
    "br.regua.dunning.step-due.v1": [on_step_due_create_delivery],
}
