"""Every query of payments-service. Repositories run inside the unit of work's
transaction and never commit."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, and_, or_, select, update
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
from payments_service.domain.charges import Charge


class PixSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, tenant_id: UUID) -> RowMapping | None:
        result = await self._s.execute(select(pix_settings).where(pix_settings.c.tenant_id == tenant_id))
        return result.mappings().first()

    async def put(self, tenant_id: UUID, values: dict[str, Any]) -> None:
        stmt = insert(pix_settings).values(tenant_id=tenant_id, **values)
        await self._s.execute(
            stmt.on_conflict_do_update(index_elements=[pix_settings.c.tenant_id], set_=values)
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

    async def get(self, tenant_id: UUID, charge_id: UUID) -> RowMapping | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.id == charge_id)
        )
        return result.mappings().first()

    async def by_txid(self, tenant_id: UUID, txid: str) -> RowMapping | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.txid == txid)
        )
        return result.mappings().first()

    async def by_barcode(self, tenant_id: UUID, barcode: str) -> RowMapping | None:
        result = await self._s.execute(
            select(charges).where(charges.c.tenant_id == tenant_id, charges.c.barcode == barcode)
        )
        return result.mappings().first()

    async def page(
        self,
        tenant_id: UUID,
        *,
        invoice_id: UUID | None,
        after: tuple[datetime, UUID] | None,
        limit: int,
    ) -> list[RowMapping]:
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
        return list((await self._s.execute(query)).mappings())


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, values: dict[str, Any]) -> bool:
        """Record a payment; False when its gateway reference was already recorded."""
        stmt = (
            insert(payments)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[payments.c.tenant_id, payments.c.method, payments.c.gateway_reference]
            )
            .returning(payments.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def get(self, tenant_id: UUID, payment_id: UUID, *, for_update: bool = False) -> RowMapping | None:
        query = select(payments).where(payments.c.tenant_id == tenant_id, payments.c.id == payment_id)
        if for_update:
            query = query.with_for_update()
        return (await self._s.execute(query)).mappings().first()

    async def by_reference(
        self, tenant_id: UUID, method: str, reference: str, *, for_update: bool = False
    ) -> RowMapping | None:
        query = select(payments).where(
            payments.c.tenant_id == tenant_id,
            payments.c.method == method,
            payments.c.gateway_reference == reference,
        )
        if for_update:
            query = query.with_for_update()
        return (await self._s.execute(query)).mappings().first()

    async def of_invoice(self, tenant_id: UUID, invoice_id: UUID) -> list[RowMapping]:
        query = (
            select(payments)
            .where(payments.c.tenant_id == tenant_id, payments.c.invoice_id == invoice_id)
            .order_by(payments.c.paid_at, payments.c.id)
        )
        return list((await self._s.execute(query)).mappings())

    async def add_reversed(self, payment_id: UUID, amount_cents: int) -> None:
        await self._s.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(reversed_cents=payments.c.reversed_cents + amount_cents)
        )


class ReversalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, values: dict[str, Any]) -> bool:
        """Record a reversal; False when its gateway reference was already recorded."""
        stmt = (
            insert(reversals)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[reversals.c.tenant_id, reversals.c.gateway_reference])
            .returning(reversals.c.id)
        )
        return (await self._s.execute(stmt)).first() is not None

    async def by_reference(self, tenant_id: UUID, reference: str) -> RowMapping | None:
        result = await self._s.execute(
            select(reversals).where(
                reversals.c.tenant_id == tenant_id, reversals.c.gateway_reference == reference
            )
        )
        return result.mappings().first()


class RejectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, values: dict[str, Any]) -> None:
        await self._s.execute(insert(webhook_rejections).values(**values))

    async def of_tenant(self, tenant_id: UUID) -> list[RowMapping]:
        query = select(webhook_rejections).where(webhook_rejections.c.tenant_id == tenant_id)
        return list((await self._s.execute(query.order_by(webhook_rejections.c.id))).mappings())
