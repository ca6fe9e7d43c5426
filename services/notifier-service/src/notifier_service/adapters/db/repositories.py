"""Every query of notifier-service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from notifier_service.adapters.db.tables import (
    charges,
    creditors,
    debtors,
    deliveries,
    delivery_attempts,
    invoices,
)
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.payment.v1 import ChargeCreatedV1


class ProjectionRepository:
    """Debtors, invoices and charges as the events describe them. Events of
    different topics arrive in any order: every write is an upsert that only
    fills or advances what it knows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_debtor(self, tenant_id: UUID, p: DebtorUpdatedV1) -> None:
        values = {
            "debtor_id": p.debtor_id,
            "tenant_id": tenant_id,
            "name": p.name,
            "email": p.email,
            "phone": p.phone,
            "whatsapp": p.whatsapp,
            "preferred_channels": list(p.preferred_channels),
            "consents": dict(p.consents),
            "updated_at": p.updated_at,
        }
        stmt = insert(debtors).values(values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[debtors.c.debtor_id],
                set_={k: stmt.excluded[k] for k in values if k not in ("debtor_id", "tenant_id")},
                # An older update that arrives late must not undo a newer one (an opt-out, say).
                where=debtors.c.updated_at <= stmt.excluded.updated_at,
            )
        )

    async def set_consent(
        self, tenant_id: UUID, debtor_id: UUID, channel: str, consent: bool, changed_at: datetime
    ) -> None:
        """The debtor's own choice for one channel (portal), applied at once.
        ``updated_at`` advances so an older debtor.updated arriving late cannot undo it."""
        await self.session.execute(
            sa.update(debtors)
            .where(debtors.c.debtor_id == debtor_id, debtors.c.tenant_id == tenant_id)
            .values(
                consents=debtors.c.consents.op("||")(sa.func.jsonb_build_object(channel, consent)),
                updated_at=sa.func.greatest(debtors.c.updated_at, changed_at),
            )
        )

    async def invoice_issued(self, tenant_id: UUID, p: InvoiceIssuedV1) -> None:
        stmt = insert(invoices).values(
            invoice_id=p.invoice_id,
            tenant_id=tenant_id,
            debtor_id=p.debtor_id,
            external_id=p.external_id,
            amount_cents=p.amount_cents,
            due_date=p.due_date,
            status="open",
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "external_id": stmt.excluded.external_id,
                    "amount_cents": stmt.excluded.amount_cents,
                    "due_date": stmt.excluded.due_date,
                    "status": sa.func.coalesce(invoices.c.status, "open"),
                },
            )
        )

    async def invoice_overdue(self, tenant_id: UUID, p: InvoiceOverdueV1) -> None:
        stmt = insert(invoices).values(
            invoice_id=p.invoice_id,
            tenant_id=tenant_id,
            debtor_id=p.debtor_id,
            due_date=p.due_date,
            status="overdue",
            amount_due_cents=p.amount_due_cents,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "due_date": sa.func.coalesce(invoices.c.due_date, stmt.excluded.due_date),
                    # Only an open invoice becomes overdue; a paid one stays paid.
                    "status": sa.case(
                        (invoices.c.status.in_(["open"]) | invoices.c.status.is_(None), "overdue"),
                        else_=invoices.c.status,
                    ),
                    "amount_due_cents": sa.case(
                        (invoices.c.status_changed_at.is_(None), stmt.excluded.amount_due_cents),
                        else_=invoices.c.amount_due_cents,
                    ),
                },
            )
        )

    async def invoice_status_changed(self, tenant_id: UUID, p: InvoiceStatusChangedV1) -> None:
        stmt = insert(invoices).values(
            invoice_id=p.invoice_id,
            tenant_id=tenant_id,
            debtor_id=p.debtor_id,
            status=p.status,
            status_changed_at=p.changed_at,
            amount_due_cents=p.amount_due_cents,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "status": stmt.excluded.status,
                    "status_changed_at": stmt.excluded.status_changed_at,
                    "amount_due_cents": stmt.excluded.amount_due_cents,
                },
                where=invoices.c.status_changed_at.is_(None)
                | (invoices.c.status_changed_at <= stmt.excluded.status_changed_at),
            )
        )

    async def payment_seen(self, tenant_id: UUID, invoice_id: UUID, debtor_id: UUID, at: datetime) -> None:
        stmt = insert(invoices).values(
            invoice_id=invoice_id, tenant_id=tenant_id, debtor_id=debtor_id, payment_seen_at=at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "payment_seen_at": sa.func.greatest(
                        invoices.c.payment_seen_at, stmt.excluded.payment_seen_at
                    )
                },
            )
        )

    async def add_charge(self, tenant_id: UUID, p: ChargeCreatedV1) -> None:
        """Keep the charge, and add the methods it announces to its invoice's
        ``charge_methods`` (an older producer's event announces its own)."""
        announced = sorted(set(p.invoice_methods or [p.method]))
        stmt = insert(invoices).values(
            invoice_id=p.invoice_id, tenant_id=tenant_id, debtor_id=p.debtor_id, charge_methods=announced
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "charge_methods": sa.func.coalesce(invoices.c.charge_methods, sa.text("'[]'::jsonb")).op(
                        "||"
                    )(stmt.excluded.charge_methods)
                },
                where=invoices.c.tenant_id == tenant_id,
            )
        )
        await self.session.execute(
            insert(charges)
            .values(
                charge_id=p.charge_id,
                tenant_id=tenant_id,
                invoice_id=p.invoice_id,
                method=p.method,
                pix_copy_paste=p.pix_copy_paste,
                digitable_line=p.digitable_line,
                barcode=p.barcode,
                payment_url=p.payment_url,
                created_at=p.created_at,
            )
            .on_conflict_do_nothing(index_elements=[charges.c.charge_id])
        )

    async def debtor(self, tenant_id: UUID, debtor_id: UUID) -> RowMapping | None:
        result = await self.session.execute(
            sa.select(debtors).where(debtors.c.debtor_id == debtor_id, debtors.c.tenant_id == tenant_id)
        )
        return result.mappings().first()

    async def invoice(self, tenant_id: UUID, invoice_id: UUID) -> RowMapping | None:
        result = await self.session.execute(
            sa.select(invoices).where(invoices.c.invoice_id == invoice_id, invoices.c.tenant_id == tenant_id)
        )
        return result.mappings().first()

    async def charges_of(self, tenant_id: UUID, invoice_id: UUID) -> Sequence[RowMapping]:
        result = await self.session.execute(
            sa.select(charges)
            .where(charges.c.invoice_id == invoice_id, charges.c.tenant_id == tenant_id)
            .order_by(charges.c.created_at.desc())
        )
        return result.mappings().all()


class CreditorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: UUID) -> RowMapping | None:
        result = await self.session.execute(sa.select(creditors).where(creditors.c.tenant_id == tenant_id))
        return result.mappings().first()

    async def put(self, tenant_id: UUID, values: dict[str, Any]) -> None:
        stmt = insert(creditors).values(tenant_id=tenant_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[creditors.c.tenant_id], set_={k: stmt.excluded[k] for k in values}
            )
        )


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, values: dict[str, Any]) -> bool:
        """Insert a pending delivery; False when the step already has one."""
        result = await self.session.execute(
            insert(deliveries)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[deliveries.c.step_id])
            .returning(deliveries.c.message_id)
        )
        return result.first() is not None

    async def claim_due(self, now: datetime, limit: int) -> Sequence[RowMapping]:
        """Pending deliveries whose time has come, locked; rows another worker
        holds are skipped, not waited for."""
        result = await self.session.execute(
            sa.select(deliveries)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return result.mappings().all()

    async def wake(
        self, tenant_id: UUID, now: datetime, *, invoice_id: UUID | None = None, debtor_id: UUID | None = None
    ) -> None:
        """Make the deliveries waiting for news of this invoice (or debtor) due
        now: the event they waited for may have arrived. Deliveries under a
        send lease have no ``waiting_for`` and are left alone."""
        query = sa.update(deliveries).where(
            deliveries.c.tenant_id == tenant_id,
            deliveries.c.status == "pending",
            deliveries.c.waiting_for.is_not(None),
            deliveries.c.next_attempt_at > now,
        )
        if invoice_id is not None:
            query = query.where(deliveries.c.invoice_id == invoice_id)
        if debtor_id is not None:
            query = query.where(deliveries.c.debtor_id == debtor_id)
        await self.session.execute(query.values(next_attempt_at=now))

    async def get_for_update(self, message_id: UUID) -> RowMapping | None:
        result = await self.session.execute(
            sa.select(deliveries).where(deliveries.c.message_id == message_id).with_for_update()
        )
        return result.mappings().first()

    async def update(self, message_id: UUID, **values: Any) -> None:
        await self.session.execute(
            sa.update(deliveries).where(deliveries.c.message_id == message_id).values(**values)
        )

    async def attempts(self, step_ids: Sequence[UUID]) -> Sequence[RowMapping]:
        if not step_ids:
            return []
        result = await self.session.execute(
            sa.select(delivery_attempts)
            .where(delivery_attempts.c.step_id.in_(step_ids))
            .order_by(delivery_attempts.c.created_at)
        )
        return result.mappings().all()

    async def start_attempt(self, step_id: UUID, channel: str, key: str, now: datetime) -> int:
        """Record (before calling the provider) one more attempt on (step,
        channel); returns that channel's attempt count."""
        stmt = insert(delivery_attempts).values(
            step_id=step_id,
            channel=channel,
            idempotency_key=key,
            status="sending",
            attempts=1,
            created_at=now,
            updated_at=now,
        )
        result = await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[delivery_attempts.c.step_id, delivery_attempts.c.channel],
                set_={
                    "attempts": delivery_attempts.c.attempts + 1,
                    "status": "sending",
                    "updated_at": now,
                },
            ).returning(delivery_attempts.c.attempts)
        )
        return int(result.scalar_one())

    async def finish_attempt(
        self, step_id: UUID, channel: str, *, status: str, error: str | None, now: datetime
    ) -> None:
        await self.session.execute(
            sa.update(delivery_attempts)
            .where(delivery_attempts.c.step_id == step_id, delivery_attempts.c.channel == channel)
            .values(status=status, last_error=error, updated_at=now)
        )

    async def page(
        self,
        tenant_id: UUID,
        *,
        invoice_id: UUID | None,
        limit: int,
        after: tuple[datetime, UUID] | None,
    ) -> Sequence[RowMapping]:
        query = sa.select(deliveries).where(deliveries.c.tenant_id == tenant_id)
        if invoice_id is not None:
            query = query.where(deliveries.c.invoice_id == invoice_id)
        if after is not None:
            query = query.where(
                sa.tuple_(deliveries.c.created_at, deliveries.c.message_id)
                < sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
            )
        query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.message_id.desc()).limit(limit)
        return (await self.session.execute(query)).mappings().all()
