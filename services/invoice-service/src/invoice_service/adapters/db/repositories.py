"""Every query of invoice-service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Date,
    DateTime,
    RowMapping,
    Select,
    String,
    and_,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_service.adapters.db.tables import (
    consent_changes,
    debtors,
    invoices,
    payment_reversals,
    payments,
    rejected_agreement_events,
    tenant_settings,
    unmatched_payment_events,
)
from invoice_service.domain.consent import ConsentBasis, ConsentChange
from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.domain.models import AppliedPayment, Channel, Debtor, Invoice, TenantSettings
from invoice_service.domain.money import Rates


def _debtor(row: RowMapping | Mapping[str, Any]) -> Debtor:
    return Debtor(**{k: v for k, v in row.items() if k != "seq"})


def _invoice(row: RowMapping | Mapping[str, Any]) -> Invoice:
    return Invoice(**{k: v for k, v in row.items() if k != "seq"})


_APPLIED_COLUMNS = (
    payments.c.payment_id,
    payments.c.invoice_id,
    payments.c.paid_on,
    payments.c.amount_cents,
    payments.c.reversed_cents,
)


class TenantSettingsRepository:
    def __init__(self, session: AsyncSession, default_timezone: str) -> None:
        self._session = session
        self._default_timezone = default_timezone

    async def get(self, tenant_id: UUID) -> TenantSettings:
        row = (
            (
                await self._session.execute(
                    select(tenant_settings).where(tenant_settings.c.tenant_id == tenant_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return TenantSettings(timezone=self._default_timezone)
        return TenantSettings(
            timezone=row["timezone"],
            rates=Rates(late_fine_bps=row["late_fine_bps"], monthly_interest_bps=row["monthly_interest_bps"]),
            holidays=tuple(sorted(row["holidays"])),
        )

    async def put(self, tenant_id: UUID, value: TenantSettings, *, now: datetime) -> None:
        values = {
            "timezone": value.timezone,
            "late_fine_bps": value.rates.late_fine_bps,
            "monthly_interest_bps": value.rates.monthly_interest_bps,
            "holidays": sorted(value.holidays),
            "updated_at": now,
        }
        await self._session.execute(
            pg_insert(tenant_settings)
            .values(tenant_id=tenant_id, **values)
            .on_conflict_do_update(index_elements=[tenant_settings.c.tenant_id], set_=values)
        )


class DebtorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_absent(self, values: Mapping[str, Any]) -> bool:
        """Insert unless the tenant already has this external id; True when inserted."""
        result = await self._session.execute(
            pg_insert(debtors)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[debtors.c.tenant_id, debtors.c.external_id])
            .returning(debtors.c.id)
        )
        return result.first() is not None

    async def get(self, tenant_id: UUID, debtor_id: UUID, *, for_update: bool = False) -> Debtor | None:
        query = select(debtors).where(debtors.c.tenant_id == tenant_id, debtors.c.id == debtor_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        return _debtor(row) if row else None

    async def get_by_external_id(self, tenant_id: UUID, external_id: str) -> Debtor | None:
        query = select(debtors).where(debtors.c.tenant_id == tenant_id, debtors.c.external_id == external_id)
        row = (await self._session.execute(query)).mappings().first()
        return _debtor(row) if row else None

    async def existing_ids(self, tenant_id: UUID, ids: Sequence[UUID]) -> set[UUID]:
        if not ids:
            return set()
        query = select(debtors.c.id).where(debtors.c.tenant_id == tenant_id, debtors.c.id.in_(set(ids)))
        return set((await self._session.execute(query)).scalars())

    async def page(self, tenant_id: UUID, *, after_seq: int | None, limit: int) -> list[tuple[int, Debtor]]:
        query = select(debtors).where(debtors.c.tenant_id == tenant_id).order_by(debtors.c.seq).limit(limit)
        if after_seq is not None:
            query = query.where(debtors.c.seq > after_seq)
        rows = (await self._session.execute(query)).mappings().all()
        return [(int(r["seq"]), _debtor(r)) for r in rows]

    async def update(self, tenant_id: UUID, debtor_id: UUID, values: Mapping[str, Any]) -> None:
        await self._session.execute(
            update(debtors)
            .where(debtors.c.tenant_id == tenant_id, debtors.c.id == debtor_id)
            .values(**values)
        )


class InvoiceRepository:
    """Invoices come with their payments (net of reversals): what the amount rule reads."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _with_payments(self, found: Sequence[Invoice]) -> list[Invoice]:
        if not found:
            return []
        query = (
            select(*_APPLIED_COLUMNS)
            .where(payments.c.invoice_id.in_({i.id for i in found}))
            .order_by(payments.c.paid_on, payments.c.paid_at, payments.c.payment_id)
        )
        by_invoice: dict[UUID, list[AppliedPayment]] = {}
        for row in (await self._session.execute(query)).mappings():
            by_invoice.setdefault(row["invoice_id"], []).append(AppliedPayment(**row))
        return [replace(i, payments=tuple(by_invoice.get(i.id, ()))) for i in found]

    async def _one(self, query: Select[Any]) -> Invoice | None:
        row = (await self._session.execute(query)).mappings().first()
        return (await self._with_payments([_invoice(row)]))[0] if row else None

    async def _many(self, rows: Sequence[RowMapping]) -> list[Invoice]:
        return await self._with_payments([_invoice(r) for r in rows])

    async def add_if_absent(self, values: Mapping[str, Any]) -> bool:
        result = await self._session.execute(
            pg_insert(invoices)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[invoices.c.tenant_id, invoices.c.external_id])
            .returning(invoices.c.id)
        )
        return result.first() is not None

    async def add_many_if_absent(self, rows: Sequence[Mapping[str, Any]]) -> list[Invoice]:
        """Insert the rows whose external id the tenant does not hold yet, in one
        ``INSERT … SELECT FROM unnest(<one array per column>)``: a statement of
        fixed shape (compiled once, cached) whatever the number of rows; the
        invoices inserted (no payments yet). Every row has the same keys."""
        if not rows:
            return []
        names = list(rows[0])
        arrays = [
            cast(literal([r[name] for r in rows], ARRAY(invoices.c[name].type)), ARRAY(invoices.c[name].type))
            for name in names
        ]
        source = func.unnest(*arrays).table_valued(*names).render_derived()
        result = await self._session.execute(
            pg_insert(invoices)
            .from_select(names, select(*source.c))
            .on_conflict_do_nothing(index_elements=[invoices.c.tenant_id, invoices.c.external_id])
            .returning(invoices)
        )
        return [_invoice(r) for r in result.mappings()]

    async def by_external_ids(self, tenant_id: UUID, external_ids: Sequence[str]) -> dict[str, Invoice]:
        """The tenant's invoices among ``external_ids``, by external id."""
        if not external_ids:
            return {}
        query = select(invoices).where(
            invoices.c.tenant_id == tenant_id, invoices.c.external_id.in_(set(external_ids))
        )
        found = await self._many((await self._session.execute(query)).mappings().all())
        return {i.external_id: i for i in found}

    async def get(self, tenant_id: UUID, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        query = select(invoices).where(invoices.c.tenant_id == tenant_id, invoices.c.id == invoice_id)
        if for_update:
            query = query.with_for_update()
        return await self._one(query)

    async def get_by_external_id(self, tenant_id: UUID, external_id: str) -> Invoice | None:
        query = select(invoices).where(
            invoices.c.tenant_id == tenant_id, invoices.c.external_id == external_id
        )
        return await self._one(query)

    async def page(
        self,
        tenant_id: UUID,
        *,
        status: InvoiceStatus | None,
        debtor_id: UUID | None,
        due_before: date | None,
        after_seq: int | None,
        limit: int,
        agreement_id: UUID | None = None,
    ) -> list[tuple[int, Invoice]]:
        query = select(invoices).where(invoices.c.tenant_id == tenant_id)
        if agreement_id is not None:
            query = query.where(invoices.c.agreement_id == agreement_id)
        if status is not None:
            query = query.where(invoices.c.status == status)
        if debtor_id is not None:
            query = query.where(invoices.c.debtor_id == debtor_id)
        if due_before is not None:
            query = query.where(invoices.c.due_date < due_before)
        if after_seq is not None:
            query = query.where(invoices.c.seq > after_seq)
        rows = (await self._session.execute(query.order_by(invoices.c.seq).limit(limit))).mappings().all()
        found = await self._many(rows)
        return [(int(r["seq"]), i) for r, i in zip(rows, found, strict=True)]

    async def lock_many(self, tenant_id: UUID, invoice_ids: Sequence[UUID]) -> list[Invoice]:
        """The tenant's invoices among ``invoice_ids``, locked in a fixed order
        (by id, so two transactions never deadlock), oldest due first."""
        if not invoice_ids:
            return []
        query = (
            select(invoices)
            .where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(set(invoice_ids)))
            .order_by(invoices.c.id)
            .with_for_update()
        )
        rows = (await self._session.execute(query)).mappings().all()
        return sorted(await self._many(rows), key=lambda i: (i.due_date, i.created_at, i.id))

    async def of_agreement(self, tenant_id: UUID, agreement_id: UUID) -> list[Invoice]:
        """The installment invoices of an agreement, locked, by due date."""
        query = (
            select(invoices)
            .where(invoices.c.tenant_id == tenant_id, invoices.c.agreement_id == agreement_id)
            .order_by(invoices.c.id)
            .with_for_update()
        )
        rows = (await self._session.execute(query)).mappings().all()
        return sorted(await self._many(rows), key=lambda i: (i.due_date, i.id))

    async def record_rejected_agreement(self, values: Mapping[str, Any]) -> None:
        await self._session.execute(
            pg_insert(rejected_agreement_events).values(**values).on_conflict_do_nothing()
        )

    async def update(self, tenant_id: UUID, invoice_id: UUID, values: Mapping[str, Any]) -> None:
        await self._session.execute(
            update(invoices)
            .where(invoices.c.tenant_id == tenant_id, invoices.c.id == invoice_id)
            .values(**values)
        )

    async def overdue_totals(self) -> tuple[int, int]:
        """Across tenants: how many invoices are overdue and unpaid, and the
        principal still open on them (amount less what was paid), in centavos."""
        query = select(
            func.count(),
            func.coalesce(func.sum(invoices.c.amount_cents - invoices.c.amount_paid_cents), 0),
        ).where(invoices.c.overdue_since.is_not(None), invoices.c.status.in_(["open", "partially_paid"]))
        count, cents = (await self._session.execute(query)).one()
        return int(count), int(cents)

    async def lock_newly_overdue(
        self, *, now: datetime, default_timezone: str, limit: int
    ) -> list[tuple[Invoice, str]]:
        """Collectable invoices whose due date has passed in their tenant's time
        zone and that were not flagged yet, locked; rows another transaction
        holds are skipped (several replicas never flag one invoice twice)."""
        zone = func.coalesce(tenant_settings.c.timezone, literal(default_timezone, String))
        local_today = cast(func.timezone(zone, literal(now, DateTime(timezone=True))), Date)
        query = (
            select(invoices, zone.label("tz"))
            .select_from(
                invoices.outerjoin(tenant_settings, tenant_settings.c.tenant_id == invoices.c.tenant_id)
            )
            .where(
                invoices.c.overdue_since.is_(None),
                invoices.c.status.in_(["open", "partially_paid"]),
                invoices.c.effective_due_date < local_today,
            )
            .order_by(invoices.c.effective_due_date)
            .limit(limit)
            .with_for_update(of=invoices, skip_locked=True)
        )
        rows = (await self._session.execute(query)).mappings().all()
        found = await self._with_payments([_invoice({k: v for k, v in r.items() if k != "tz"}) for r in rows])
        return [(i, str(r["tz"])) for r, i in zip(rows, found, strict=True)]


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_absent(self, values: Mapping[str, Any]) -> bool:
        result = await self._session.execute(
            pg_insert(payments)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[payments.c.payment_id])
            .returning(payments.c.payment_id)
        )
        return result.first() is not None

    async def get_for_update(self, tenant_id: UUID, payment_id: UUID) -> AppliedPayment | None:
        query = (
            select(*_APPLIED_COLUMNS)
            .where(and_(payments.c.tenant_id == tenant_id, payments.c.payment_id == payment_id))
            .with_for_update()
        )
        row = (await self._session.execute(query)).mappings().first()
        return AppliedPayment(**row) if row else None

    async def add_reversal_if_absent(self, values: Mapping[str, Any]) -> bool:
        result = await self._session.execute(
            pg_insert(payment_reversals)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[payment_reversals.c.reversal_id])
            .returning(payment_reversals.c.reversal_id)
        )
        return result.first() is not None

    async def add_reversed(self, tenant_id: UUID, payment_id: UUID, cents: int) -> None:
        await self._session.execute(
            update(payments)
            .where(payments.c.tenant_id == tenant_id, payments.c.payment_id == payment_id)
            .values(reversed_cents=payments.c.reversed_cents + cents)
        )

    async def record_unmatched(self, values: Mapping[str, Any]) -> None:
        await self._session.execute(insert(unmatched_payment_events).values(**values))


def _consent_change(row: RowMapping) -> ConsentChange:
    basis = (
        ConsentBasis(kind=row["basis_kind"], reference=row["basis_reference"])
        if row["basis_kind"] is not None
        else None
    )
    return ConsentChange(
        id=row["id"],
        tenant_id=row["tenant_id"],
        debtor_id=row["debtor_id"],
        channel=row["channel"],
        consent=row["consent"],
        source=row["source"],
        actor=row["actor"],
        basis=basis,
        changed_at=row["changed_at"],
        recorded_at=row["recorded_at"],
    )


class ConsentRepository:
    """The consent history of debtors (LGPD), append-only."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest(self, tenant_id: UUID, debtor_id: UUID) -> dict[Channel, ConsentChange]:
        """The last change of each channel of the debtor."""
        query = (
            select(consent_changes)
            .where(consent_changes.c.tenant_id == tenant_id, consent_changes.c.debtor_id == debtor_id)
            .order_by(consent_changes.c.channel, consent_changes.c.seq.desc())
            .distinct(consent_changes.c.channel)
        )
        rows = (await self._session.execute(query)).mappings().all()
        return {row["channel"]: _consent_change(row) for row in rows}

    async def add_many(self, changes: Sequence[ConsentChange]) -> None:
        if not changes:
            return
        await self._session.execute(
            insert(consent_changes),
            [
                {
                    "id": c.id,
                    "tenant_id": c.tenant_id,
                    "debtor_id": c.debtor_id,
                    "channel": c.channel,
                    "consent": c.consent,
                    "source": c.source,
                    "actor": c.actor,
                    "basis_kind": c.basis.kind if c.basis else None,
                    "basis_reference": c.basis.reference if c.basis else None,
                    "changed_at": c.changed_at,
                    "recorded_at": c.recorded_at,
                }
                for c in changes
            ],
        )

    async def page(
        self, tenant_id: UUID, debtor_id: UUID, *, after_seq: int | None, limit: int
    ) -> list[tuple[int, ConsentChange]]:
        query = (
            select(consent_changes)
            .where(consent_changes.c.tenant_id == tenant_id, consent_changes.c.debtor_id == debtor_id)
            .order_by(consent_changes.c.seq)
            .limit(limit)
        )
        if after_seq is not None:
            query = query.where(consent_changes.c.seq > after_seq)
        rows = (await self._session.execute(query)).mappings().all()
        return [(int(r["seq"]), _consent_change(r)) for r in rows]
