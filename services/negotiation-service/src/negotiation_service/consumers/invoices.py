"""Invoice events: keep the local projection of the debtor's invoices (the
inputs of the amount-due rule: principal, due dates, frozen rates, applied
payments), and recognise paid installment invoices (their id is the
installment id)."""

from __future__ import annotations

from negotiation_service.service_layer.agreements import installment_paid
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts.invoice.v1 import (
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_platform.handlers import EventMeta


async def on_invoice_issued_project(
    event: InvoiceIssuedV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    await uow.invoices.upsert_issued(
        invoice_id=event.invoice_id,
        tenant_id=meta.tenant_id,
        debtor_id=event.debtor_id,
        amount_cents=event.amount_cents,
        due_date=event.due_date,
        effective_due_date=event.effective_due_date,
        fine_bps=event.fine_bps,
        monthly_interest_bps=event.monthly_interest_bps,
        agreement_id=event.agreement_id,
        now=uow.clock.now(),
    )


async def on_invoice_balance_changed_project(
    event: InvoiceBalanceChangedV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    """The full list of applied payments replaces the one kept."""
    await uow.invoices.replace_payments(
        event.invoice_id,
        meta.tenant_id,
        [(p.payment_id, p.paid_on, p.amount_cents) for p in event.payments],
        event.changed_at,
        uow.clock.now(),
    )


async def on_invoice_overdue_project(
    event: InvoiceOverdueV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    await uow.invoices.mark_overdue(
        event.invoice_id, meta.tenant_id, amount_due_cents=event.amount_due_cents, now=uow.clock.now()
    )


async def on_invoice_status_changed_project_and_settle(
    event: InvoiceStatusChangedV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    now = uow.clock.now()
    await uow.invoices.update(
        event.invoice_id,
        meta.tenant_id,
        amount_due_cents=max(0, event.amount_due_cents),
        status=event.status,
        now=now,
    )
    if event.status == "paid":
        await installment_paid(uow, meta.tenant_id, event.invoice_id, now)
