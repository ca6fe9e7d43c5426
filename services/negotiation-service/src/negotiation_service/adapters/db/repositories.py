"""Every query of negotiation-service. Reads return the domain's objects, never rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, exists, func, insert, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from negotiation_service.adapters.db.tables import (
    agreement_invoices,
    agreements,
    charges,
    debtors,
    installments,
    invoices,
    offer_rules,
    portal_link_attempts,
    portal_revocations,
    portal_settings,
)
from negotiation_service.domain.agreements import Agreement, AgreementInstallment
from negotiation_service.domain.invoices import DebtorInvoice, Invoice
from negotiation_service.domain.offers import OfferRules, rules_from_dict, rules_to_dict
from negotiation_service.domain.portal import Charge, Debtor, PayableInstallment, PortalSettings
from regua_br.amount_due import Payment


def _payments(stored: Any) -> tuple[Payment, ...]:
    return tuple(
        Payment(date.fromisoformat(p["paid_on"]), int(p["amount_cents"]))
        for p in stored or ()
        if int(p["amount_cents"]) > 0
    )


def _invoice(row: Any) -> Invoice:
    return Invoice(
        id=row.id,
        tenant_id=row.tenant_id,
        debtor_id=row.debtor_id,
        amount_cents=int(row.amount_cents),
        due_date=row.due_date,
        status=row.status,
        agreement_id=row.agreement_id,
        updated_at=row.updated_at,
        effective_due_date=row.effective_due_date,
        fine_bps=row.fine_bps,
        monthly_interest_bps=row.monthly_interest_bps,
        payments=_payments(row.payments),
        reported_due_cents=int(row.amount_due_cents),
    )


def _agreement(row: Any) -> Agreement:
    return Agreement(
        id=row.id,
        seq=int(row.seq),
        tenant_id=row.tenant_id,
        debtor_id=row.debtor_id,
        status=row.status,
        kind=row.kind,
        invoice_ids=tuple(UUID(i) for i in row.invoice_ids),
        original_cents=int(row.original_cents),
        discount_cents=int(row.discount_cents),
        total_cents=int(row.total_cents),
        monthly_rate=row.monthly_rate,
        tolerance_days=int(row.tolerance_days),
        reason=row.reason,
        created_at=row.created_at,
        closed_at=row.closed_at,
        start_date=row.start_date,
    )


def _installment(row: Any) -> AgreementInstallment:
    return AgreementInstallment(
        id=row.id,
        agreement_id=row.agreement_id,
        tenant_id=row.tenant_id,
        number=int(row.number),
        due_date=row.due_date,
        amount_cents=int(row.amount_cents),
        paid_at=row.paid_at,
        payoff=bool(row.payoff),
        replaced_at=row.replaced_at,
    )


def _charge(row: Any) -> Charge:
    return Charge(
        id=row.id,
        tenant_id=row.tenant_id,
        invoice_id=row.invoice_id,
        method=row.method,
        amount_cents=int(row.amount_cents),
        txid=row.txid,
        pix_copy_paste=row.pix_copy_paste,
        digitable_line=row.digitable_line,
        barcode=row.barcode,
        created_at=row.created_at,
        removed_at=row.removed_at,
    )


class _Changed(Exception):
    """Rolls a savepoint back: the rows changed under the statement."""


class _Labelled:
    """One table's columns in a joined row, where they were labelled ``prefix + name``."""

    def __init__(self, row: Any, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def _debtor(row: Any) -> Debtor:
    return Debtor(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        consents=dict(row.consents),
        segment=row.segment,
        challenge_digest=row.challenge_digest,
    )


class PortalSettingsRepository:
    """Who is collecting, per tenant (the portal's creditor block)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: UUID) -> PortalSettings | None:
        query = select(portal_settings).where(portal_settings.c.tenant_id == tenant_id)
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return PortalSettings(
            creditor_name=row.creditor_name,
            creditor_document=row.creditor_document,
            creditor_address=row.creditor_address,
            contact_email=row.contact_email,
            contact_phone=row.contact_phone,
        )

    async def put(self, tenant_id: UUID, settings: PortalSettings, now: datetime) -> None:
        values = {**asdict(settings), "updated_at": now}
        stmt = pg_insert(portal_settings).values(tenant_id=tenant_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[portal_settings.c.tenant_id], set_=values)
        )


class OfferRulesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: UUID) -> OfferRules | None:
        """The tenant's rules; None when it set none (the defaults apply)."""
        row = (
            await self.session.execute(
                select(offer_rules.c.rules).where(offer_rules.c.tenant_id == tenant_id)
            )
        ).first()
        return rules_from_dict(dict(row.rules)) if row else None

    async def put(self, tenant_id: UUID, rules: OfferRules, now: datetime) -> None:
        stored = rules_to_dict(rules)
        stmt = pg_insert(offer_rules).values(tenant_id=tenant_id, rules=stored, updated_at=now)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[offer_rules.c.tenant_id], set_={"rules": stored, "updated_at": now}
            )
        )


class InvoiceProjection:
    """The last known state of invoice-service's invoices."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_issued(
        self,
        *,
        invoice_id: UUID,
        tenant_id: UUID,
        debtor_id: UUID,
        amount_cents: int,
        due_date: date,
        effective_due_date: date | None,
        fine_bps: int | None,
        monthly_interest_bps: int | None,
        agreement_id: UUID | None,
        now: datetime,
    ) -> None:
        stmt = pg_insert(invoices).values(
            id=invoice_id,
            tenant_id=tenant_id,
            debtor_id=debtor_id,
            amount_cents=amount_cents,
            amount_due_cents=amount_cents,
            due_date=due_date,
            effective_due_date=effective_due_date,
            fine_bps=fine_bps,
            monthly_interest_bps=monthly_interest_bps,
            status="open",
            agreement_id=agreement_id,
            updated_at=now,
        )
        # A redelivered issued event must not reset a later status.
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=[invoices.c.id]))

    async def replace_payments(
        self,
        invoice_id: UUID,
        tenant_id: UUID,
        payments: Sequence[tuple[UUID, date, int]],
        changed_at: datetime,
        now: datetime,
    ) -> None:
        """Replace the applied payments with the list of a newer balance-changed
        (an older one, redelivered late, changes nothing)."""
        stored = [
            {"payment_id": str(pid), "paid_on": on.isoformat(), "amount_cents": amount}
            for pid, on, amount in payments
        ]
        await self.session.execute(
            update(invoices)
            .where(
                invoices.c.id == invoice_id,
                invoices.c.tenant_id == tenant_id,
                or_(
                    invoices.c.payments_changed_at.is_(None),
                    invoices.c.payments_changed_at <= changed_at,
                ),
            )
            .values(payments=stored, payments_changed_at=changed_at, updated_at=now)
        )

    async def update(
        self, invoice_id: UUID, tenant_id: UUID, *, amount_due_cents: int, status: str | None, now: datetime
    ) -> None:
        values: dict[str, Any] = {"amount_due_cents": amount_due_cents, "updated_at": now}
        if status is not None:
            values["status"] = status
        await self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice_id, invoices.c.tenant_id == tenant_id)
            .values(**values)
        )

    async def mark_overdue(
        self, invoice_id: UUID, tenant_id: UUID, *, amount_due_cents: int, now: datetime
    ) -> None:
        await self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice_id, invoices.c.tenant_id == tenant_id)
            .values(
                amount_due_cents=amount_due_cents,
                status=case((invoices.c.status == "open", "overdue"), else_=invoices.c.status),
                updated_at=now,
            )
        )

    async def lock_many(self, tenant_id: UUID, ids: Sequence[UUID]) -> list[Invoice]:
        """The invoices, locked in id order (a fixed order: racing requests cannot deadlock)."""
        query = (
            select(invoices)
            .where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(list(ids)))
            .order_by(invoices.c.id)
            .with_for_update()
        )
        return [_invoice(r) for r in await self.session.execute(query)]

    async def get_many(self, tenant_id: UUID, ids: Sequence[UUID]) -> list[Invoice]:
        query = select(invoices).where(invoices.c.tenant_id == tenant_id, invoices.c.id.in_(list(ids)))
        return [_invoice(r) for r in await self.session.execute(query)]


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def invoices_in_active_agreements(self, tenant_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
        query = select(agreement_invoices.c.invoice_id).where(
            agreement_invoices.c.tenant_id == tenant_id,
            agreement_invoices.c.invoice_id.in_(list(ids)),
            agreement_invoices.c.active,
        )
        return list((await self.session.execute(query)).scalars())

    async def add(self, agreement: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
        """Store the agreement, its installments and its invoices; False (and
        nothing stored) when another agreement took one of the invoices first
        (the partial unique index on agreement_invoices)."""
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(agreements).values(**agreement))
                await self.session.execute(insert(installments), rows)
                await self.session.execute(
                    insert(agreement_invoices),
                    [
                        {
                            "tenant_id": agreement["tenant_id"],
                            "invoice_id": UUID(i),
                            "agreement_id": agreement["id"],
                            "active": True,
                        }
                        for i in agreement["invoice_ids"]
                    ],
                )
        except IntegrityError:
            return False
        return True

    async def get(self, tenant_id: UUID, agreement_id: UUID, *, lock: bool = False) -> Agreement | None:
        query = select(agreements).where(agreements.c.id == agreement_id, agreements.c.tenant_id == tenant_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _agreement(row) if row else None

    async def installments_of(self, agreement_id: UUID) -> list[AgreementInstallment]:
        query = (
            select(installments)
            .where(installments.c.agreement_id == agreement_id)
            .order_by(installments.c.number)
        )
        return [_installment(r) for r in await self.session.execute(query)]

    async def installments_of_many(
        self, agreement_ids: Sequence[UUID]
    ) -> dict[UUID, list[AgreementInstallment]]:
        """The installments of each agreement, in order, in one query (agreements without any are absent)."""
        query = (
            select(installments)
            .where(installments.c.agreement_id.in_(list(agreement_ids)))
            .order_by(installments.c.agreement_id, installments.c.number)
        )
        found: dict[UUID, list[AgreementInstallment]] = {}
        for row in await self.session.execute(query):
            found.setdefault(row.agreement_id, []).append(_installment(row))
        return found

    async def list_for_debtor(
        self, tenant_id: UUID, debtor_id: UUID | None, after_seq: int | None, limit: int
    ) -> list[Agreement]:
        query = select(agreements).where(agreements.c.tenant_id == tenant_id)
        if debtor_id is not None:
            query = query.where(agreements.c.debtor_id == debtor_id)
        if after_seq is not None:
            query = query.where(agreements.c.seq > after_seq)
        return [
            _agreement(r) for r in await self.session.execute(query.order_by(agreements.c.seq).limit(limit))
        ]

    async def mark_installment_paid(
        self, installment_id: UUID, tenant_id: UUID, now: datetime
    ) -> UUID | None:
        """The installment's agreement id when this marked it paid (None: unknown or already paid)."""
        result = await self.session.execute(
            update(installments)
            .where(
                installments.c.id == installment_id,
                installments.c.tenant_id == tenant_id,
                installments.c.paid_at.is_(None),
            )
            .values(paid_at=now)
            .returning(installments.c.agreement_id)
        )
        return result.scalar_one_or_none()

    async def add_payoff(
        self, tenant_id: UUID, payoff: dict[str, Any], replaced: Sequence[UUID], now: datetime
    ) -> bool:
        """Mark ``replaced`` replaced and store the ``payoff`` installment; False
        (and nothing changed) when one of them was paid or replaced meanwhile."""
        try:
            async with self.session.begin_nested():
                result = await self.session.execute(
                    update(installments)
                    .where(
                        installments.c.id.in_(list(replaced)),
                        installments.c.tenant_id == tenant_id,
                        installments.c.paid_at.is_(None),
                        installments.c.replaced_at.is_(None),
                    )
                    .values(replaced_at=now)
                    .returning(installments.c.id)
                )
                if len(result.scalars().all()) != len(set(replaced)):
                    raise _Changed
                await self.session.execute(insert(installments).values(**payoff, payoff=True))
        except _Changed:
            return False
        return True

    async def close(self, agreement_id: UUID, *, status: str, reason: str | None, now: datetime) -> None:
        await self.session.execute(
            update(agreements)
            .where(agreements.c.id == agreement_id)
            .values(status=status, reason=reason, closed_at=now)
        )
        if status == "broken":
            # The original invoices are free to be renegotiated again.
            await self.session.execute(
                update(agreement_invoices)
                .where(agreement_invoices.c.agreement_id == agreement_id)
                .values(active=False)
            )

    async def lock_breakable(self, today: date, limit: int) -> list[Agreement]:
        """Active agreements with an unpaid installment past due date + tolerance,
        locked with SKIP LOCKED so concurrent workers share them and never both break one."""
        overdue = exists().where(
            and_(
                installments.c.agreement_id == agreements.c.id,
                installments.c.paid_at.is_(None),
                installments.c.replaced_at.is_(None),
                installments.c.due_date + agreements.c.tolerance_days < today,
            )
        )
        query = (
            select(agreements)
            .where(agreements.c.status == "active", overdue)
            .order_by(agreements.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_agreement(r) for r in await self.session.execute(query)]


class PortalRepository:
    """What the debtor portal reads: the debtor, their invoices, charges and agreements."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_charge(self, charge: Charge) -> None:
        stmt = pg_insert(charges).values(**asdict(charge))
        # A newer charge-created for the same charge (terms revised at the PSP)
        # replaces the face value; a removal is kept.
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[charges.c.id],
                set_={"amount_cents": stmt.excluded.amount_cents, "created_at": stmt.excluded.created_at},
                where=(charges.c.tenant_id == charge.tenant_id)
                & (charges.c.created_at < stmt.excluded.created_at),
            )
        )

    async def remove_charge(self, charge_id: UUID, tenant_id: UUID, now: datetime) -> None:
        await self.session.execute(
            update(charges)
            .where(
                charges.c.id == charge_id, charges.c.tenant_id == tenant_id, charges.c.removed_at.is_(None)
            )
            .values(removed_at=now)
        )

    async def upsert_debtor(
        self,
        debtor_id: UUID,
        tenant_id: UUID,
        name: str,
        consents: dict[str, bool],
        segment: str | None,
        challenge_digest: str | None,
        now: datetime,
    ) -> None:
        """Another tenant's event naming this debtor's id changes nothing."""
        values = {
            "name": name,
            "consents": consents,
            "segment": segment,
            "challenge_digest": challenge_digest,
            "updated_at": now,
        }
        stmt = pg_insert(debtors).values(id=debtor_id, tenant_id=tenant_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[debtors.c.id], set_=values, where=debtors.c.tenant_id == tenant_id
            )
        )

    async def revoked_before(self, tenant_id: UUID, debtor_id: UUID) -> datetime | None:
        query = select(portal_revocations.c.revoked_before).where(
            portal_revocations.c.tenant_id == tenant_id, portal_revocations.c.debtor_id == debtor_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def revoke(self, tenant_id: UUID, debtor_id: UUID, at: datetime) -> datetime:
        """Void what was issued up to ``at`` (never earlier than an earlier revocation said)."""
        stmt = pg_insert(portal_revocations).values(
            tenant_id=tenant_id, debtor_id=debtor_id, revoked_before=at
        )
        result = await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[portal_revocations.c.tenant_id, portal_revocations.c.debtor_id],
                set_={
                    "revoked_before": func.greatest(
                        portal_revocations.c.revoked_before, stmt.excluded.revoked_before
                    )
                },
            ).returning(portal_revocations.c.revoked_before)
        )
        revoked: datetime = result.scalar_one()
        return revoked

    async def link_locked(self, link_id: str) -> bool:
        query = select(portal_link_attempts.c.locked_at).where(portal_link_attempts.c.link_id == link_id)
        return (await self.session.execute(query)).scalar_one_or_none() is not None

    async def count_wrong_answer(
        self, link_id: str, tenant_id: UUID, debtor_id: UUID, *, lock_at: int, now: datetime
    ) -> int:
        """One more wrong answer to the link's challenge (atomic); the link is
        locked when they reach ``lock_at``. The failures so far."""
        stmt = pg_insert(portal_link_attempts).values(
            link_id=link_id,
            tenant_id=tenant_id,
            debtor_id=debtor_id,
            failures=1,
            locked_at=now if lock_at <= 1 else None,
            updated_at=now,
        )
        failures = portal_link_attempts.c.failures + 1
        result = await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[portal_link_attempts.c.link_id],
                set_={
                    "failures": failures,
                    "locked_at": func.coalesce(
                        portal_link_attempts.c.locked_at, case((failures >= lock_at, now), else_=None)
                    ),
                    "updated_at": now,
                },
            ).returning(portal_link_attempts.c.failures)
        )
        counted: int = result.scalar_one()
        return counted

    async def debtor(self, tenant_id: UUID, debtor_id: UUID) -> Debtor | None:
        query = select(debtors).where(debtors.c.id == debtor_id, debtors.c.tenant_id == tenant_id)
        row = (await self.session.execute(query)).first()
        return _debtor(row) if row else None

    async def set_consent(
        self, tenant_id: UUID, debtor_id: UUID, channel: str, consent: bool, now: datetime
    ) -> None:
        debtor = await self.debtor(tenant_id, debtor_id)
        consents = dict(debtor.consents) if debtor else {}
        consents[channel] = consent
        stmt = pg_insert(debtors).values(
            id=debtor_id, tenant_id=tenant_id, name="", consents=consents, updated_at=now
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[debtors.c.id],
                set_={"consents": consents, "updated_at": now},
                where=debtors.c.tenant_id == tenant_id,
            )
        )

    async def open_invoices(
        self, tenant_id: UUID, debtor_id: UUID, statuses: Sequence[str]
    ) -> list[DebtorInvoice]:
        """The debtor's invoices in these statuses, with whether an active agreement holds them."""
        taken = exists().where(
            agreement_invoices.c.tenant_id == invoices.c.tenant_id,
            agreement_invoices.c.invoice_id == invoices.c.id,
            agreement_invoices.c.active,
        )
        query = (
            select(invoices, taken.label("in_agreement"))
            .where(
                invoices.c.tenant_id == tenant_id,
                invoices.c.debtor_id == debtor_id,
                invoices.c.status.in_(list(statuses)),
            )
            .order_by(invoices.c.due_date, invoices.c.id)
        )
        return [DebtorInvoice(_invoice(r), bool(r.in_agreement)) for r in await self.session.execute(query)]

    async def invoice(self, tenant_id: UUID, debtor_id: UUID, invoice_id: UUID) -> Invoice | None:
        query = select(invoices).where(
            invoices.c.id == invoice_id, invoices.c.tenant_id == tenant_id, invoices.c.debtor_id == debtor_id
        )
        row = (await self.session.execute(query)).first()
        return _invoice(row) if row else None

    async def charges_of(self, tenant_id: UUID, invoice_ids: Sequence[UUID]) -> list[Charge]:
        """The invoices' charges, oldest first."""
        query = (
            select(charges)
            .where(charges.c.tenant_id == tenant_id, charges.c.invoice_id.in_(list(invoice_ids)))
            .order_by(charges.c.created_at)
        )
        return [_charge(r) for r in await self.session.execute(query)]

    async def installments_to_pay(
        self, tenant_id: UUID, debtor_id: UUID, agreement_id: UUID
    ) -> list[PayableInstallment]:
        """The agreement's installments in order, each with its invoice once it
        reached this debtor and its charges (oldest first), in one query."""
        invoice = invoices.alias("invoice")
        charge = charges.alias("charge")
        query = (
            select(
                installments,
                *(c.label(f"invoice_{c.name}") for c in invoice.c),
                *(c.label(f"charge_{c.name}") for c in charge.c),
            )
            .select_from(
                installments.outerjoin(
                    invoice,
                    and_(
                        invoice.c.id == installments.c.id,
                        invoice.c.tenant_id == tenant_id,
                        invoice.c.debtor_id == debtor_id,
                    ),
                ).outerjoin(
                    charge, and_(charge.c.tenant_id == tenant_id, charge.c.invoice_id == installments.c.id)
                )
            )
            .where(installments.c.agreement_id == agreement_id, installments.c.tenant_id == tenant_id)
            .order_by(installments.c.number, charge.c.created_at)
        )
        found: dict[UUID, tuple[AgreementInstallment, Invoice | None, list[Charge]]] = {}
        for row in await self.session.execute(query):
            issued = _invoice(_Labelled(row, "invoice_")) if row.invoice_id is not None else None
            _, _, of_it = found.setdefault(row.id, (_installment(row), issued, []))
            if row.charge_id is not None:
                of_it.append(_charge(_Labelled(row, "charge_")))
        return [PayableInstallment(i, invoice, tuple(c)) for i, invoice, c in found.values()]

    async def agreements_of(self, tenant_id: UUID, debtor_id: UUID) -> list[Agreement]:
        query = (
            select(agreements)
            .where(
                agreements.c.tenant_id == tenant_id,
                agreements.c.debtor_id == debtor_id,
                not_(agreements.c.status == "broken"),
            )
            .order_by(agreements.c.seq.desc())
        )
        return [_agreement(r) for r in await self.session.execute(query)]
