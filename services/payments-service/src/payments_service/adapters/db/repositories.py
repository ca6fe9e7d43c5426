"""Every query of payments-service. Repositories run inside the unit of work's
transaction and never commit; they take and return the domain's values, never rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payments_service.adapters.db.tables import (
    boleto_sequences,
    charges,
    payments,
    pix_settings,
    reversals,
    webhook_rejections,
)
from payments_service.domain.charges import Charge, Method
from payments_service.domain.payments import Payment, Reversal
from payments_service.domain.pix_settings import PixSettings
from payments_service.domain.webhooks import WebhookRejection


class PixSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, tenant_id: UUID) -> PixSettings | None:
        result = await self._s.execute(select(pix_settings).where(pix_settings.c.tenant_id == tenant_id))
        row = result.mappings().first()
        return PixSettings(**row) if row else None

    async def put(self, settings: PixSettings) -> None:
        """Create or replace the tenant's settings."""
        values = asdict(settings)
        changed = {k: v for k, v in values.items() if k != "tenant_id"}
        stmt = insert(pix_settings).values(**values)
        await self._s.execute(
            stmt.on_conflict_do_update(index_elements=[pix_settings.c.tenant_id], set_=changed)
        )


class ChargeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def next_nosso_numero(self, tenant_id: UUID) -> int:
        """The tenant's next boleto number; the row lock serialises concurrent issuers."""
        stmt = (
            insert(boleto_sequences)
            .values(tenant_id=tenant_id, last_number=1)
            .on_conflict_do_update(
                index_elements=[boleto_sequences.c.tenant_id],
                set_={"last_number": boleto_sequences.c.last_number + 1},
            )
            .returning(boleto_sequences.c.last_number)
        )
        return int((await self._s.execute(stmt)).scalar_one())

    async def methods_of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> set[str]:
        result = await self._s.execute(
            select(charges.c.method).where(
                charges.c.tenant_id == tenant_id, charges.c.invoice_id == invoice_id
            )
        )
        return set(result.scalars())

    async def add(self, charge: Charge) -> bool:
        """Store ``charge``; False when the invoice already has a charge of that method."""
        stmt = (
            insert(charges)
            .values(**asdict(charge))
            .on_conflict_do_nothing(
                index_elements=[charges.c.tenant_id, charges.c.invoice_id, charges.c.method]
            )
            .returning(charges.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def get(self, tenant_id: UUID, charge_id: UUID) -> Charge | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.id == charge_id)
        )
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def by_txid(self, tenant_id: UUID, txid: str) -> Charge | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.txid == txid)
        )
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def by_barcode(self, tenant_id: UUID, barcode: str) -> Charge | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.barcode == barcode)
        )
        row = result.mappings().first()
        return Charge(**row) if row else None

    async def page(
        self,
        tenant_id: UUID,
        *,
        invoice_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[Charge]:
        query = select(charges).where(charges.c.tenant_id == tenant_id)
        if invoice_id is not None:
            query = query.where(charges.c.invoice_id == invoice_id)
        if after is not None:
            created_at, charge_id = after
            query = query.where(
                or_(
                    charges.c.created_at > created_at,
                    and_(charges.c.created_at == created_at, charges.c.id > charge_id),
                )
            )
        query = query.order_by(charges.c.created_at, charges.c.id).limit(limit)
        return [Charge(**row) for row in (await self._s.execute(query)).mappings()]


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, payment: Payment) -> bool:
        """Record a payment; False when its gateway reference was already recorded."""
        stmt = (
            insert(payments)
            .values(**asdict(payment))
            .on_conflict_do_nothing(
                index_elements=[payments.c.tenant_id, payments.c.method, payments.c.gateway_reference]
            )
            .returning(payments.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def get(self, tenant_id: UUID, payment_id: UUID, *, for_update: bool = False) -> Payment | None:
        query = select(payments).where(payments.c.tenant_id == tenant_id, payments.c.id == payment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).mappings().first()
        return Payment(**row) if row else None

    async def by_reference(
        self, tenant_id: UUID, method: Method, reference: str, *, for_update: bool = False
    ) -> Payment | None:
        query = select(payments).where(
            payments.c.tenant_id == tenant_id,
            payments.c.method == method,
            payments.c.gateway_reference == reference,
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._s.execute(query)).mappings().first()
        return Payment(**row) if row else None

    async def of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[Payment]:
        query = (
            select(payments)
            .where(payments.c.tenant_id == tenant_id, payments.c.invoice_id == invoice_id)
            .order_by(payments.c.paid_at, payments.c.id)
        )
        return [Payment(**row) for row in (await self._s.execute(query)).mappings()]

    async def add_reversed(self, payment_id: UUID, amount_cents: int) -> None:
        await self._s.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(reversed_cents=payments.c.reversed_cents + amount_cents)
        )


class ReversalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, reversal: Reversal) -> bool:
        """Record a reversal; False when its gateway reference was already recorded."""
        stmt = (
            insert(reversals)
            .values(**asdict(reversal))
            .on_conflict_do_nothing(index_elements=[reversals.c.tenant_id, reversals.c.gateway_reference])
            .returning(reversals.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def by_reference(self, tenant_id: UUID, reference: str) -> Reversal | None:
        result = await self._s.execute(
            select(reversals).where(
                reversals.c.tenant_id == tenant_id, reversals.c.gateway_reference == reference
            )
        )
        row = result.mappings().first()
        return Reversal(**row) if row else None


class RejectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, rejection: WebhookRejection) -> None:
        """Store ``rejection``; the database numbers it (its ``id`` is ignored)."""
        values = {k: v for k, v in asdict(rejection).items() if k != "id"}
        await self._s.execute(insert(webhook_rejections).values(**values))

    async def of_tenant(self, tenant_id: UUID) -> list[WebhookRejection]:
        query = select(webhook_rejections).where(webhook_rejections.c.tenant_id == tenant_id)
        rows = (await self._s.execute(query.order_by(webhook_rejections.c.id))).mappings()
        return [WebhookRejection(**row) for row in rows]
