"""Use cases on invoices: issue, cancel, flag overdue, apply payments. Callers commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
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
from invoice_service.domain.money import signed_balance
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_br.amount_due import Breakdown
from regua_contracts.invoice.v1 import (
    AppliedPaymentV1,
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_platform.errors import Conflict, DomainError, NotFound, RuleViolated

UNKNOWN_DEBTOR = "debtor_id does not name a debtor of this tenant."


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


def _conflict(external_id: str) -> Conflict:
    return Conflict(f"An invoice with external_id {external_id!r} exists with different data.")


def _new_invoice(
    tenant_id: UUID,
    fields: InvoiceFields,
    *,
    settings: TenantSettings,
    now: datetime,
    invoice_id: UUID | None = None,
    agreement_id: UUID | None = None,
) -> dict[str, Any]:
    """The row of a new invoice: open, with the tenant's rates and business-day due date of today."""
    return {
        # An agreement's installments come with their ids (deterministic, idempotent).
        "id": invoice_id or uuid4(),
        "tenant_id": tenant_id,
        **asdict(fields),
        "effective_due_date": settings.effective_due_date(fields.due_date),
        "agreement_id": agreement_id,
        "status": "open",
        "overdue_since": None,
        "late_fine_bps": settings.rates.late_fine_bps,
        "monthly_interest_bps": settings.rates.monthly_interest_bps,
        "created_at": now,
        "updated_at": now,
    }


def _publish_issued(uow: InvoiceUnitOfWork, invoice: Invoice, *, now: datetime) -> None:
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
            effective_due_date=invoice.effective_due_date,
            fine_bps=invoice.late_fine_bps,
            monthly_interest_bps=invoice.monthly_interest_bps,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )


def _publish_overdue(uow: InvoiceUnitOfWork, invoice: Invoice, *, since: date, today: date) -> None:
    uow.publish(
        InvoiceOverdueV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            due_date=invoice.due_date,
            overdue_since=since,
            amount_due_cents=invoice.amount_on(today).due_cents,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )


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
        raise NotFound(UNKNOWN_DEBTOR)
    if settings is None:
        settings = await uow.tenant_settings.get(tenant_id)
    inserted = await uow.invoices.add_if_absent(
        _new_invoice(
            tenant_id, fields, settings=settings, now=now, invoice_id=invoice_id, agreement_id=agreement_id
        )
    )
    invoice = await uow.invoices.get_by_external_id(tenant_id, fields.external_id)
    assert invoice is not None
    if not inserted:
        if not _same(invoice, fields):
            raise _conflict(fields.external_id)
        return invoice, False
    _publish_issued(uow, invoice, now=now)
    today = settings.local_date(now)
    if is_overdue(invoice.effective_due_date, today):
        invoice = await _flag_overdue(uow, invoice, today=today, now=now)
    return invoice, True


@dataclass
class BatchOutcome:
    """What :func:`create_invoices` did with each row, by row number."""

    created: list[tuple[int, Invoice]] = field(default_factory=list)
    existing: list[tuple[int, Invoice]] = field(default_factory=list)
    errors: list[tuple[int, InvoiceFields, DomainError]] = field(default_factory=list)


async def create_invoices(
    uow: InvoiceUnitOfWork,
    tenant_id: UUID,
    rows: Sequence[tuple[int, InvoiceFields]],
    *,
    now: datetime,
) -> BatchOutcome:
    """Issue many invoices (a chunk of a bulk load) in the caller's transaction
    with a fixed number of statements: one debtor lookup, one multi-row insert,
    one read of the external ids already held. Each row ends as
    :func:`create_invoice` called on the rows in order would leave it: an
    unknown debtor is a 422; an external id already held (by the tenant, or by
    an earlier row of ``rows``) is *existing* with the same data and a 409
    otherwise. An invoice loaded already overdue is inserted flagged, and its
    ``invoice.overdue`` follows its ``invoice.issued``."""
    outcome = BatchOutcome()
    if not rows:
        return outcome
    known = await uow.debtors.existing_ids(tenant_id, [f.debtor_id for _, f in rows])
    settings = await uow.tenant_settings.get(tenant_id)
    today = settings.local_date(now)
    accepted: list[tuple[int, InvoiceFields]] = []
    for row, fields in rows:
        if fields.debtor_id in known:
            accepted.append((row, fields))
        else:
            outcome.errors.append((row, fields, NotFound(UNKNOWN_DEBTOR)))
    firsts: dict[str, InvoiceFields] = {}
    for _, fields in accepted:
        firsts.setdefault(fields.external_id, fields)
    new_rows: list[Mapping[str, Any]] = []
    for fields in firsts.values():
        values = _new_invoice(tenant_id, fields, settings=settings, now=now)
        if is_overdue(values["effective_due_date"], today):
            values |= {"status": "overdue", "overdue_since": overdue_since(values["effective_due_date"])}
        new_rows.append(values)
    inserted = {i.external_id: i for i in await uow.invoices.add_many_if_absent(new_rows)}
    held = await uow.invoices.by_external_ids(tenant_id, [e for e in firsts if e not in inserted])
    announced: set[str] = set()
    for row, fields in accepted:
        external_id = fields.external_id
        fresh = inserted.get(external_id)
        if fresh is not None and external_id not in announced:
            announced.add(external_id)
            outcome.created.append((row, fresh))
            _publish_issued(uow, fresh, now=now)
            if fresh.overdue_since is not None:
                _publish_overdue(uow, fresh, since=fresh.overdue_since, today=today)
            continue
        invoice = fresh or held.get(external_id)
        if invoice is not None and _same(invoice, fields):
            outcome.existing.append((row, invoice))
        else:
            outcome.errors.append((row, fields, _conflict(external_id)))
    return outcome


async def get_invoice(uow: InvoiceUnitOfWork, tenant_id: UUID, invoice_id: UUID) -> Invoice:
    invoice = await uow.invoices.get(tenant_id, invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


async def amount_due_on(
    uow: InvoiceUnitOfWork, tenant_id: UUID, invoice_id: UUID, *, on: date | None, now: datetime
) -> tuple[Invoice, Breakdown]:
    """The invoice and its breakdown by the amount rule on the tenant-local day
    ``on`` (today when None). A day before the invoice was issued is refused:
    Régua knows nothing of payments made before it held the invoice."""
    invoice = await get_invoice(uow, tenant_id, invoice_id)
    settings = await uow.tenant_settings.get(tenant_id)
    day = on or settings.local_date(now)
    issued_on = settings.local_date(invoice.created_at)
    if day < issued_on:
        raise RuleViolated(f"on must not precede the day the invoice was issued ({issued_on.isoformat()}).")
    return invoice, invoice.amount_on(day)


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
    await uow.invoices.update(
        invoice.tenant_id, invoice.id, {"status": "cancelled", "cancelled_at": now, "updated_at": now}
    )
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
    since = overdue_since(invoice.effective_due_date)
    status: InvoiceStatus = "overdue" if invoice.status == "open" else invoice.status
    await uow.invoices.update(
        invoice.tenant_id, invoice.id, {"overdue_since": since, "status": status, "updated_at": now}
    )
    _publish_overdue(uow, invoice, since=since, today=today)
    flagged = await uow.invoices.get(invoice.tenant_id, invoice.id)
    assert flagged is not None
    return flagged


async def reconcile_payments(
    uow: InvoiceUnitOfWork,
    before: Invoice,
    *,
    settings: TenantSettings,
    reason: str,
    now: datetime,
) -> Invoice:
    """After the payments of ``before`` changed (one applied, reversed or
    credited): record the new total paid and settlement day, move the status
    (settled when the payments cover what the rule asks on the day of the last
    one), publish ``invoice.status-changed`` when the status changes and
    ``invoice.balance-changed`` always, in the caller's transaction."""
    current = await get_invoice(uow, before.tenant_id, before.id)
    paid_cents = sum(p.cents for p in current.paid())
    settled_on = current.settlement_day()
    status = status_after_payments(
        current=before.status,
        settled=settled_on is not None,
        paid_cents=paid_cents,
        flagged_overdue=current.overdue_since is not None,
    )
    await uow.invoices.update(
        current.tenant_id,
        current.id,
        {"amount_paid_cents": paid_cents, "settled_on": settled_on, "status": status, "updated_at": now},
    )
    updated = await get_invoice(uow, before.tenant_id, before.id)
    if status != before.status:
        publish_status_changed(uow, updated, before.status, reason, settings=settings, now=now)
    publish_balance_changed(uow, updated, now=now)
    return updated


def publish_balance_changed(uow: InvoiceUnitOfWork, invoice: Invoice, *, now: datetime) -> None:
    """The full list of payments applied to ``invoice``, net of reversals."""
    uow.publish(
        InvoiceBalanceChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            payments=[
                AppliedPaymentV1(payment_id=p.payment_id, paid_on=p.paid_on, amount_cents=p.net_cents)
                for p in invoice.payments
                if p.net_cents > 0
            ],
            amount_paid_cents=invoice.amount_paid_cents,
            status=invoice.status,
            changed_at=now,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )


def publish_status_changed(
    uow: InvoiceUnitOfWork,
    invoice: Invoice,
    previous: InvoiceStatus,
    reason: str,
    *,
    settings: TenantSettings,
    now: datetime,
) -> None:
    amount = invoice.amount_on(settings.local_date(now))
    uow.publish(
        InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.id,
            previous_status=previous,
            status=invoice.status,
            reason=reason,
            amount_paid_cents=invoice.amount_paid_cents,
            # Signed: negative when the debtor paid more than was due.
            amount_due_cents=0 if invoice.status == "cancelled" else signed_balance(amount),
            changed_at=now,
        ),
        tenant_id=invoice.tenant_id,
        subject=str(invoice.id),
    )
