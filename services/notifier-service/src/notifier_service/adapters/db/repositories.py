"""Every query of notifier-service."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, Literal, cast
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier_service.adapters.db.tables import (
    charges,
    creditors,
    debtors,
    deliveries,
    delivery_attempts,
    invoices,
)
from notifier_service.domain.channels import Channel
from notifier_service.domain.delivery import AttemptStatus, DeliveryStatus
from notifier_service.domain.model import (
    ChargeView,
    Creditor,
    DebtorView,
    Delivery,
    DeliveryAttempt,
    InvoiceView,
    WaitingFor,
)
from regua_br.amount_due import Payment
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import (
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1

Row = sa.Row[Any]


def _debtor(row: Row) -> DebtorView:
    return DebtorView(
        debtor_id=row.debtor_id,
        tenant_id=row.tenant_id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        whatsapp=row.whatsapp,
        preferred_channels=tuple(row.preferred_channels),
        consents=dict(row.consents),
        updated_at=row.updated_at,
    )


def _invoice(row: Row) -> InvoiceView:
    return InvoiceView(
        invoice_id=row.invoice_id,
        tenant_id=row.tenant_id,
        debtor_id=row.debtor_id,
        external_id=row.external_id,
        amount_cents=row.amount_cents,
        due_date=row.due_date,
        status=row.status,
        status_changed_at=row.status_changed_at,
        amount_due_cents=row.amount_due_cents,
        payment_seen_at=row.payment_seen_at,
        charge_methods=None if row.charge_methods is None else frozenset(row.charge_methods),
        effective_due_date=row.effective_due_date,
        fine_bps=row.fine_bps,
        monthly_interest_bps=row.monthly_interest_bps,
        payments=tuple(
            Payment(on=date.fromisoformat(p["paid_on"]), cents=int(p["amount_cents"]))
            for p in row.payments
            if int(p["amount_cents"]) > 0
        ),
    )


def _charge(row: Row) -> ChargeView:
    return ChargeView(
        charge_id=row.charge_id,
        tenant_id=row.tenant_id,
        invoice_id=row.invoice_id,
        method=row.method,
        created_at=row.created_at,
        pix_copy_paste=row.pix_copy_paste,
        digitable_line=row.digitable_line,
        barcode=row.barcode,
        payment_url=row.payment_url,
        amount_cents=row.amount_cents,
        removed_at=row.removed_at,
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        message_id=row.message_id,
        tenant_id=row.tenant_id,
        step_id=row.step_id,
        invoice_id=row.invoice_id,
        debtor_id=row.debtor_id,
        template=row.template,
        tone=row.tone,
        action=row.action,
        channels=tuple(row.channels),
        status=cast(DeliveryStatus, row.status),
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        attempts=row.attempts,
        channel=row.channel,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        reason=row.reason,
        sent_at=row.sent_at,
        waiting_for=row.waiting_for,
        missing_instruments=None if row.missing_instruments is None else tuple(row.missing_instruments),
    )


def _attempt(row: Row) -> DeliveryAttempt:
    return DeliveryAttempt(
        step_id=row.step_id,
        channel=row.channel,
        idempotency_key=row.idempotency_key,
        status=cast(AttemptStatus, row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_error=row.last_error,
    )


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
                # An older update that arrives late must not undo a newer one (an opt-out,
                # say); another tenant's event naming this id changes nothing.
                where=(debtors.c.tenant_id == tenant_id) & (debtors.c.updated_at <= stmt.excluded.updated_at),
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
            effective_due_date=p.effective_due_date,
            fine_bps=p.fine_bps,
            monthly_interest_bps=p.monthly_interest_bps,
            status="open",
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "external_id": stmt.excluded.external_id,
                    "amount_cents": stmt.excluded.amount_cents,
                    "due_date": stmt.excluded.due_date,
                    "effective_due_date": stmt.excluded.effective_due_date,
                    "fine_bps": stmt.excluded.fine_bps,
                    "monthly_interest_bps": stmt.excluded.monthly_interest_bps,
                    "status": sa.func.coalesce(invoices.c.status, "open"),
                },
                where=invoices.c.tenant_id == tenant_id,
            )
        )

    async def balance_changed(self, tenant_id: UUID, p: InvoiceBalanceChangedV1) -> None:
        """The applied payments, replaced whole by the newest list (an older
        one arriving late is ignored); its status counts as a status change."""
        stmt = insert(invoices).values(
            invoice_id=p.invoice_id,
            tenant_id=tenant_id,
            debtor_id=p.debtor_id,
            status=p.status,
            status_changed_at=p.changed_at,
            payments=[pay.model_dump(mode="json") for pay in p.payments],
            payments_changed_at=p.changed_at,
        )
        excluded = stmt.excluded
        newer_payments = invoices.c.payments_changed_at.is_(None) | (
            invoices.c.payments_changed_at <= excluded.payments_changed_at
        )
        newer_status = invoices.c.status_changed_at.is_(None) | (
            invoices.c.status_changed_at <= excluded.status_changed_at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={
                    "payments": sa.case((newer_payments, excluded.payments), else_=invoices.c.payments),
                    "payments_changed_at": sa.func.greatest(
                        invoices.c.payments_changed_at, excluded.payments_changed_at
                    ),
                    "status": sa.case((newer_status, excluded.status), else_=invoices.c.status),
                    "status_changed_at": sa.func.greatest(
                        invoices.c.status_changed_at, excluded.status_changed_at
                    ),
                },
                where=invoices.c.tenant_id == tenant_id,
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
                        ((invoices.c.status == "open") | invoices.c.status.is_(None), "overdue"),
                        else_=invoices.c.status,
                    ),
                    "amount_due_cents": sa.case(
                        (invoices.c.status_changed_at.is_(None), stmt.excluded.amount_due_cents),
                        else_=invoices.c.amount_due_cents,
                    ),
                },
                where=invoices.c.tenant_id == tenant_id,
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
                where=(invoices.c.tenant_id == tenant_id)
                & (
                    invoices.c.status_changed_at.is_(None)
                    | (invoices.c.status_changed_at <= stmt.excluded.status_changed_at)
                ),
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
                where=invoices.c.tenant_id == tenant_id,
            )
        )

    async def add_charge(self, tenant_id: UUID, p: ChargeCreatedV1) -> None:
        """Keep the charge, and record the methods its invoice has charges for.

        ``invoice_methods`` lists every method the invoice has once the charge
        exists, so the newest charge-created's list is the invoice's (a
        revision that removed the cobv announces the boleto alone); an older
        event arriving late changes nothing. An older producer's event
        announces only its own method: those add up."""
        if p.invoice_methods is None:
            stmt = insert(invoices).values(
                invoice_id=p.invoice_id, tenant_id=tenant_id, debtor_id=p.debtor_id, charge_methods=[p.method]
            )
            methods: Any = sa.func.coalesce(invoices.c.charge_methods, sa.text("'[]'::jsonb")).op("||")(
                stmt.excluded.charge_methods
            )
            methods_at: Any = invoices.c.charge_methods_at
        else:
            stmt = insert(invoices).values(
                invoice_id=p.invoice_id,
                tenant_id=tenant_id,
                debtor_id=p.debtor_id,
                charge_methods=sorted(set(p.invoice_methods)),
                charge_methods_at=p.created_at,
            )
            newer = invoices.c.charge_methods_at.is_(None) | (
                invoices.c.charge_methods_at <= stmt.excluded.charge_methods_at
            )
            methods = sa.case((newer, stmt.excluded.charge_methods), else_=invoices.c.charge_methods)
            methods_at = sa.func.greatest(invoices.c.charge_methods_at, stmt.excluded.charge_methods_at)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[invoices.c.invoice_id],
                set_={"charge_methods": methods, "charge_methods_at": methods_at},
                where=invoices.c.tenant_id == tenant_id,
            )
        )
        charge = insert(charges).values(
            charge_id=p.charge_id,
            tenant_id=tenant_id,
            invoice_id=p.invoice_id,
            method=p.method,
            pix_copy_paste=p.pix_copy_paste,
            digitable_line=p.digitable_line,
            barcode=p.barcode,
            payment_url=p.payment_url,
            amount_cents=p.amount_cents,
            created_at=p.created_at,
        )
        # A charge-removed that came first left a row: fill in the codes, keep
        # the removal. A newer charge-created for the same charge (its terms
        # revised at the PSP) replaces the face value; an older one is ignored.
        await self.session.execute(
            charge.on_conflict_do_update(
                index_elements=[charges.c.charge_id],
                set_={
                    k: charge.excluded[k]
                    for k in (
                        "pix_copy_paste",
                        "digitable_line",
                        "barcode",
                        "payment_url",
                        "amount_cents",
                        "created_at",
                    )
                },
                where=(charges.c.tenant_id == tenant_id)
                & (charges.c.removed_at.is_not(None) | (charges.c.created_at < charge.excluded.created_at)),
            )
        )

    async def remove_charge(self, tenant_id: UUID, p: ChargeRemovedV1) -> None:
        """The charge can no longer be paid; kept (its codes never shown
        again) so a redelivered or late charge-created cannot revive it."""
        stmt = insert(charges).values(
            charge_id=p.charge_id,
            tenant_id=tenant_id,
            invoice_id=p.invoice_id,
            method=p.method,
            created_at=p.removed_at,
            removed_at=p.removed_at,
            removed_reason=p.reason,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[charges.c.charge_id],
                set_={
                    "removed_at": sa.func.coalesce(charges.c.removed_at, stmt.excluded.removed_at),
                    "removed_reason": sa.func.coalesce(
                        charges.c.removed_reason, stmt.excluded.removed_reason
                    ),
                },
                where=charges.c.tenant_id == tenant_id,
            )
        )

    async def debtor(self, tenant_id: UUID, debtor_id: UUID) -> DebtorView | None:
        result = await self.session.execute(
            sa.select(debtors).where(debtors.c.debtor_id == debtor_id, debtors.c.tenant_id == tenant_id)
        )
        row = result.first()
        return None if row is None else _debtor(row)

    async def invoice(self, tenant_id: UUID, invoice_id: UUID) -> InvoiceView | None:
        result = await self.session.execute(
            sa.select(invoices).where(invoices.c.invoice_id == invoice_id, invoices.c.tenant_id == tenant_id)
        )
        row = result.first()
        return None if row is None else _invoice(row)

    async def charges_of(self, tenant_id: UUID, invoice_id: UUID) -> list[ChargeView]:
        """The invoice's charges, newest first."""
        result = await self.session.execute(
            sa.select(charges)
            .where(charges.c.invoice_id == invoice_id, charges.c.tenant_id == tenant_id)
            .order_by(charges.c.created_at.desc())
        )
        return [_charge(row) for row in result]


class CreditorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: UUID) -> Creditor | None:
        """The tenant's own creditor, or None while it has not set one."""
        result = await self.session.execute(sa.select(creditors).where(creditors.c.tenant_id == tenant_id))
        row = result.first()
        if row is None:
            return None
        return Creditor(
            name=row.name, document=row.document, address=row.address, portal_base_url=row.portal_base_url
        )

    async def put(self, tenant_id: UUID, creditor: Creditor, *, now: datetime) -> None:
        stmt = insert(creditors).values(
            tenant_id=tenant_id,
            name=creditor.name,
            document=creditor.document,
            address=creditor.address,
            portal_base_url=creditor.portal_base_url,
            updated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[creditors.c.tenant_id],
                set_={
                    "name": stmt.excluded.name,
                    "document": stmt.excluded.document,
                    "address": stmt.excluded.address,
                    "portal_base_url": stmt.excluded.portal_base_url,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, delivery: Delivery) -> bool:
        """Insert a pending delivery; False when the step already has one."""
        result = await self.session.execute(
            insert(deliveries)
            .values(
                message_id=delivery.message_id,
                tenant_id=delivery.tenant_id,
                step_id=delivery.step_id,
                invoice_id=delivery.invoice_id,
                debtor_id=delivery.debtor_id,
                template=delivery.template,
                tone=delivery.tone,
                action=delivery.action,
                channels=list(delivery.channels),
                status=delivery.status,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                created_at=delivery.created_at,
                updated_at=delivery.updated_at,
            )
            .on_conflict_do_nothing(index_elements=[deliveries.c.step_id])
            .returning(deliveries.c.message_id)
        )
        return result.first() is not None

    async def claim_due(
        self, now: datetime, limit: int, *, channel: Channel | Literal["unrouted"] | None = None
    ) -> list[Delivery]:
        """Pending deliveries whose time has come, locked; rows another worker
        holds are skipped, not waited for. ``channel``: only those queued for
        that channel; ``"unrouted"``: only those no channel is decided for
        yet; None: all."""
        query = sa.select(deliveries).where(
            deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now
        )
        if channel == "unrouted":
            query = query.where(deliveries.c.next_channel.is_(None))
        elif channel is not None:
            query = query.where(deliveries.c.next_channel == channel)
        result = await self.session.execute(
            query.order_by(deliveries.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
        )
        return [_delivery(row) for row in result]

    async def route(self, message_id: UUID, channel: Channel, *, now: datetime) -> None:
        """Queue the delivery for ``channel``'s loop (due as it is)."""
        await self._update(message_id, next_channel=channel, waiting_for=None, updated_at=now)

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

    async def get_for_update(self, message_id: UUID) -> Delivery | None:
        result = await self.session.execute(
            sa.select(deliveries).where(deliveries.c.message_id == message_id).with_for_update()
        )
        row = result.first()
        return None if row is None else _delivery(row)

    async def postpone(
        self, message_id: UUID, *, until: datetime, waiting_for: WaitingFor, now: datetime
    ) -> None:
        """Still pending, due again at ``until`` (or when ``waiting_for``
        arrives), undecided: the router looks at it then."""
        await self._update(
            message_id, next_attempt_at=until, waiting_for=waiting_for, next_channel=None, updated_at=now
        )

    async def suppress(self, message_id: UUID, *, reason: str, now: datetime) -> bool:
        """Pending → suppressed; False when it had already left ``pending`` (so
        the suppression is announced once, whatever retries or races)."""
        result = await self.session.execute(
            sa.update(deliveries)
            .where(deliveries.c.message_id == message_id, deliveries.c.status == "pending")
            .values(status="suppressed", reason=reason, waiting_for=None, updated_at=now)
            .returning(deliveries.c.message_id)
        )
        return result.first() is not None

    async def fail(self, message_id: UUID, *, reason: str, now: datetime) -> None:
        await self._update(message_id, status="failed", reason=reason, updated_at=now)

    async def start_send(
        self,
        message_id: UUID,
        *,
        channel: Channel,
        lease_until: datetime,
        missing_instruments: Collection[str],
        now: datetime,
    ) -> None:
        """A send on ``channel`` is under way: due again at ``lease_until``
        only if its outcome is never recorded (a crash)."""
        await self._update(
            message_id,
            channel=channel,
            next_channel=channel,
            next_attempt_at=lease_until,
            waiting_for=None,
            missing_instruments=sorted(missing_instruments) or None,
            updated_at=now,
        )

    async def mark_sent(
        self, message_id: UUID, *, provider: str, provider_message_id: str | None, now: datetime
    ) -> None:
        await self._update(
            message_id,
            status="sent",
            provider=provider,
            provider_message_id=provider_message_id,
            sent_at=now,
            reason=None,
            updated_at=now,
        )

    async def count_attempt(self, message_id: UUID, *, now: datetime) -> None:
        """The provider is about to be called: one more attempt."""
        await self._update(message_id, attempts=deliveries.c.attempts + 1, updated_at=now)

    async def release(self, message_id: UUID, *, now: datetime) -> None:
        """Give the send lease back unused: the next pass decides again."""
        await self._update(message_id, next_attempt_at=now, updated_at=now)

    async def retry_at(
        self, message_id: UUID, *, at: datetime, reason: str, now: datetime, channel_done: bool = False
    ) -> None:
        """Still pending, due again at ``at`` after a provider error: on the
        same channel, or (``channel_done``) undecided, so the router picks the
        next channel."""
        values: dict[str, object] = {"next_attempt_at": at, "reason": reason, "updated_at": now}
        if channel_done:
            values["next_channel"] = None
        await self._update(message_id, **values)

    async def _update(self, message_id: UUID, **values: object) -> None:
        await self.session.execute(
            sa.update(deliveries).where(deliveries.c.message_id == message_id).values(**values)
        )

    async def attempts(self, step_ids: Sequence[UUID]) -> list[DeliveryAttempt]:
        """The attempts of these steps, oldest first."""
        if not step_ids:
            return []
        result = await self.session.execute(
            sa.select(delivery_attempts)
            .where(delivery_attempts.c.step_id.in_(step_ids))
            .order_by(delivery_attempts.c.created_at)
        )
        return [_attempt(row) for row in result]

    async def start_attempt(self, step_id: UUID, channel: Channel, key: str, now: datetime) -> int:
        """Record (before calling the provider) one more attempt on (step,
        channel); returns that channel's attempt count."""
        # Plain SQL: SQLAlchemy 2.0 compiles a postgresql ``insert`` again on
        # every call (it is not cacheable), and this runs once per message.
        result = await self.session.execute(
            _START_ATTEMPT,
            {"step_id": step_id, "channel": channel, "key": key, "now": now},
        )
        return int(result.scalar_one())

    async def finish_attempt(
        self, step_id: UUID, channel: Channel, *, status: AttemptStatus, error: str | None, now: datetime
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
    ) -> list[Delivery]:
        """The tenant's deliveries (of one invoice), newest first, after a cursor."""
        query = sa.select(deliveries).where(deliveries.c.tenant_id == tenant_id)
        if invoice_id is not None:
            query = query.where(deliveries.c.invoice_id == invoice_id)
        if after is not None:
            query = query.where(
                sa.tuple_(deliveries.c.created_at, deliveries.c.message_id)
                < sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
            )
        query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.message_id.desc()).limit(limit)
        return [_delivery(row) for row in await self.session.execute(query)]


_START_ATTEMPT = sa.text(
    f"""
    insert into {delivery_attempts.fullname}
      (step_id, channel, idempotency_key, status, attempts, created_at, updated_at)
    values (:step_id, :channel, :key, 'sending', 1, :now, :now)
    on conflict (step_id, channel) do update
      set attempts = {delivery_attempts.name}.attempts + 1, status = 'sending', updated_at = :now
    returning attempts
    """  # noqa: S608 (our own table name)
)
