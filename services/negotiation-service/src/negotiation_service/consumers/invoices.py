"""Invoice events: keep the local projection of the debtor's invoices, and
recognise paid installment invoices (their id is the installment id)."""

from __future__ import annotations

from negotiation_service.service_layer.agreements import installment_paid
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts import Envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1


async def on_invoice_issued_project(envelope: Envelope, uow: NegotiationUnitOfWork) -> None:
    p = envelope.payload
    assert isinstance(p, InvoiceIssuedV1)
    await uow.invoices.upsert_issued(
        invoice_id=p.invoice_id,
        tenant_id=envelope.tenantid,
        debtor_id=p.debtor_id,
        amount_cents=p.amount_cents,
        due_date=p.due_date,
        agreement_id=p.agreement_id,
        now=uow.clock.now(),
    )


async def on_invoice_overdue_project(envelope: Envelope, uow: NegotiationUnitOfWork) -> None:
    p = envelope.payload
    assert isinstance(p, InvoiceOverdueV1)
    await uow.invoices.mark_overdue(
        p.invoice_id, envelope.tenantid, amount_due_cents=p.amount_due_cents, now=uow.clock.now()
    )


async def on_invoice_status_changed_project_and_settle(
    envelope: Envelope, uow: NegotiationUnitOfWork
) -> None:
    p = envelope.payload
    assert isinstance(p, InvoiceStatusChangedV1)
    now = uow.clock.now()
    await uow.invoices.update(
        p.invoice_id, envelope.tenantid, amount_due_cents=max(0, p.amount_due_cents), status=p.status, now=now
    )
    if p.status == "paid":
        await installment_paid(uow, envelope.tenantid, p.invoice_id, now)
