"""Agreement events (negotiation-service): renegotiate, restore or settle invoices."""

from __future__ import annotations

from invoice_service.service_layer.agreements import (
    apply_agreement_broken,
    apply_agreement_completed,
    apply_agreement_created,
)
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts import Envelope
from regua_contracts.agreement.v1 import AgreementBrokenV1, AgreementCompletedV1, AgreementCreatedV1


async def on_agreement_created_renegotiate_invoices(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, AgreementCreatedV1)
    await apply_agreement_created(uow, envelope, payload)


async def on_agreement_broken_restore_invoices(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, AgreementBrokenV1)
    await apply_agreement_broken(uow, envelope, payload)


async def on_agreement_completed_settle_invoices(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    payload = envelope.payload
    assert isinstance(payload, AgreementCompletedV1)
    await apply_agreement_completed(uow, envelope, payload)
