"""Use cases on invoices: issue, cancel, flag overdue, apply payments. Callers commit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from invoice_service.domain.invoices import (
    COLLECTABLE,
    REASON_CANCELLED,
    InvoiceStatus,
    is_overdue,
    overdue_since,
    status_after_payments,
)
from invoice_service.domain.models import Invoice, TenantSettings
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_platform.errors import Conflict, NotFound, RuleViolated


@dataclass(frozen=True)
class InvoiceFields:
    """An invoice as posted, already validated."""

    external_id: str
    debtor_id: UUID
    amount_cents: int
    due_date: date
    description: str | None = None


def _same(invoice: Invoice, fields: InvoiceFields) -> bool:
    return all(getattr(invoice, name) == value for name, value in asdict(fields).items())


async def create_invoice(
    uow: InvoiceUnitOfWork,
    tenant_id: UUID,
    fields: InvoiceFields,
    *,
    now: datetime,
    known_debtors: set[UUID] | None = None,
    settings: TenantSettings | None = None,
    invoice_id: UUID | None = None,
    agreement_id: UUID | None = None,
) -> tuple[Invoice, bool]:
    """The invoice and whether it was created now (same idempotency rule as
    debtors). Publishes ``invoice.issued``, and ``invoice.overdue`` at once when
    it is loaded already overdue."""
    if known_debtors is None:
        known_debtors = await uow.debtors.existing_ids(tenant_id, [fields.debtor_id])
    if fields.debtor_id not in known_debtors:
        raise RuleViolated("debtor_id does not name a debtor of this tenant.")
    if settings is None:
        settings = await uow.tenant_settings.get(tenant_id)
    inserted = await uow.invoices.add_if_absent(
        {
            # An agreement's installments come with their ids (deterministic, idempotent).
            "id": invoice_id or uuid4(),
            "tenant_id": tenant_id,
            **asdict(fields),
            "agreement_id": agreement_id,
            "status": "open",
            "late_fine_bps": settings.rates.late_fine_bps,
            "monthly_interest_bps": settings.rates.monthly_interest_bps,
            "created_at": now,
            "updated_at": now,
        }
    )
    invoice = await uow.invoices.get_by_external_id(tenant_id, fields.external_id)
    assert invoice is not None
    if not inserted:
        if not _same(invoice, fields):
            raise Conflict(f"An invoice with external_id {fields.external_id!r} exists with different data.")
        return invoice, False
    uow.publish(
        InvoiceIssuedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            external_id=invoice.external_id,
            amount_cents=invoice.amount_cents,
            due_date=invoice.due_date,
            issued_at=now,
            description=invoice.description,
            agreement_id=invoice.agreement_id,
        ),
        tenant_id=tenant_id,
        subject=str(invoice.id),
    )
    today = settings.local_date(now)
    if is_overdue(invoice.due_date, today):
        invoice = await _flag_overdue(uow, invoice, today=today, now=now)
    return invoice, True


async def get_invoice(uow: InvoiceUnitOfWork, tenant_id: UUID, invoice_id: UUID) -> Invoice:
    invoice = await uow.invoices.get(tenant_id, invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


async def cancel_invoice(
    uow: InvoiceUnitOfWork, tenant_id: UUID, invoice_id: UUID, *, now: datetime
) -> Invoice:
    """Cancel a collectable invoice; cancelling a cancelled one is a no-op, a paid one a conflict."""
    invoice = await uow.invoices.get(tenant_id, invoice_id, for_update=True)
    if invoice is None:
        raise NotFound("No such invoice.")
    if invoice.status == "cancelled":
        return invoice
    if invoice.status not in COLLECTABLE:
        raise Conflict(f"An invoice that is {invoice.status} cannot be cancelled.")
    settings = await uow.tenant_settings.get(tenant_id)
    await uow.invoices.update(invoice.id, {"status": "cancelled", "cancelled_at": now, "updated_at": now})
    cancelled = await get_invoice(uow, tenant_id, invoice_id)
    publish_status_changed(uow, cancelled, invoice.status, REASON_CANCELLED, settings=settings, now=now)
    return cancelled


async def flag_overdue_invoices(
    uow: InvoiceUnitOfWork, *, now: datetime, default_timezone: str, limit: int
) -> int:
    """Flag every invoice whose due date has passed in its tenant's time zone and
    publish ``invoice.overdue`` for it, once; returns how many."""
    locked = await uow.invoices.lock_newly_overdue(now=now, default_timezone=default_timezone, limit=limit)
    for invoice, timezone in locked:
        await _flag_overdue(uow, invoice, today=TenantSettings(timezone=timezone).local_date(now), now=now)
    return len(locked)


async def _flag_overdue(uow: InvoiceUnitOfWork, invoice: Invoice, *, today: date, now: datetime) -> Invoice:
    since = overdue_since(invoice.due_date)
    status: InvoiceStatus = "overdue" if invoice.status == "open" else invoice.status
    await uow.invoices.update(invoice.id, {"overdue_since": since, "status": status, "updated_at": now})
    uow.publish(
        InvoiceOverdueV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            due_date=invoice.due_date,
            overdue_since=since,
            amount_due_cents=invoice.amount_on(today).amount_due_cents,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )
    flagged = await uow.invoices.get(invoice.tenant_id, invoice.id)
    assert flagged is not None
    return flagged


async def reconcile_payments(
    uow: InvoiceUnitOfWork,
    invoice: Invoice,
    *,
    paid_cents: int,
    on: date,
    settings: TenantSettings,
    reason: str,
    now: datetime,
) -> Invoice:
    """Record the invoice's new total paid and move its status: settled when the
    total covers what was due on the tenant-local date ``on``. Publishes
    ``invoice.status-changed`` when the status changes."""
    settled_on = invoice.settled_on
    if settled_on is not None and not invoice.amount_on(settled_on, paid_cents=paid_cents).settled:
        settled_on = None
    if settled_on is None and invoice.amount_on(on, paid_cents=paid_cents).settled:
        settled_on = on
    status = status_after_payments(
        current=invoice.status,
        settled=settled_on is not None,
        paid_cents=paid_cents,
        flagged_overdue=invoice.overdue_since is not None,
    )
    await uow.invoices.update(
        invoice.id,
        {"amount_paid_cents": paid_cents, "settled_on": settled_on, "status": status, "updated_at": now},
    )
    updated = await uow.invoices.get(invoice.tenant_id, invoice.id)
    assert updated is not None
    if status != invoice.status:
        publish_status_changed(uow, updated, invoice.status, reason, settings=settings, now=now)
    return updated


def publish_status_changed(
    uow: InvoiceUnitOfWork,
    invoice: Invoice,
    previous: InvoiceStatus,
    reason: str,
    *,
    settings: TenantSettings,
    now: datetime,
) -> None:
    amount = invoice.amount_today(settings.local_date(now))
    uow.publish(
        InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            previous_status=previous,
            status=invoice.status,
            reason=reason,
            amount_paid_cents=invoice.amount_paid_cents,
            # Signed: negative when the debtor paid more than was due.
            amount_due_cents=0 if invoice.status == "cancelled" else amount.balance_cents,
            changed_at=now,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )
