"""A consumer batch of events in one transaction (as the platform consumer hands
them): charges of every invoice issued in it are stored in one statement at
commit, yet an invoice announced again gets nothing twice, and a later event
of the same batch sees the charges of an earlier one. A commit that queues
gateway work wakes the gateway worker (NOTIFY)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest
from sqlalchemy import func, select

from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.db.tables import charges as charges_table
from payments_service.adapters.db.tables import messaging
from payments_service.domain.pix_settings import PixSettings
from payments_service.main import charge_policy
from payments_service.service_layer.charges import close_charges, create_charges_for_invoice
from payments_service.service_layer.unit_of_work import GATEWAY_CHANNEL, PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceStatusChangedV1
from regua_devtools.testing import truncate
from regua_platform.clock import FixedClock, SystemClock
from regua_platform.db import create_engine, create_sessionmaker, normalise_url
from regua_platform.settings import KafkaSettings

from .conftest import TABLES, settings_for

pytestmark = [pytest.mark.postgres]

CHARGE_CREATED = "br.regua.payment.charge-created.v1"


@pytest.fixture
async def setup(migrated: str) -> AsyncIterator[tuple[Settings, object]]:
    await truncate(migrated, "payments", *TABLES)
    settings = settings_for(migrated, KafkaSettings())
    engine = create_engine(settings.database, application_name="batch-test")
    try:
        yield settings, create_sessionmaker(engine)
    finally:
        await engine.dispose()


def issued(debtor: UUID, invoice_id: UUID, clock: FixedClock) -> InvoiceIssuedV1:
    due = clock.now().date() + timedelta(days=10)
    return InvoiceIssuedV1(
        debtor_id=debtor,
        invoice_id=invoice_id,
        external_id=f"NF-{invoice_id.hex[:6]}",
        amount_cents=12_345,
        due_date=due,
        issued_at=clock.now(),
        effective_due_date=due,
        fine_bps=200,
        monthly_interest_bps=100,
    )


async def test_a_batch_stores_each_invoice_once_and_later_events_see_its_charges(
    setup: tuple[Settings, object],
) -> None:
    settings, sessions = setup
    clock = FixedClock(SystemClock().now())

    def uow() -> PaymentsUnitOfWork:
        return PaymentsUnitOfWork(sessions, messaging, source="/test", clock=clock, topic_namespace="t.")  # type: ignore[arg-type]

    tenant, debtor = uuid4(), uuid4()
    policy = charge_policy(settings)
    box = SecretBox(settings.encryption_keys)
    known, paid, plain = uuid4(), uuid4(), uuid4()
    async with uow() as u:
        await u.pix_settings.put(
            PixSettings(
                tenant, "pix@loja.example", "Loja Teste", "Sao Paulo", True,
                box.encrypt("whsec-0123456789abcdef"), "cdef", clock.now(),
            )
        )  # fmt: skip
        await create_charges_for_invoice(
            u, tenant_id=tenant, invoice=issued(debtor, known, clock), policy=policy
        )
        await u.commit()

    # One batch: the known invoice again, two new ones (one of them twice), then one paid.
    async with uow() as u:
        for invoice_id in (known, paid, plain, plain):
            await create_charges_for_invoice(
                u, tenant_id=tenant, invoice=issued(debtor, invoice_id, clock), policy=policy
            )
        await close_charges(
            u,
            tenant_id=tenant,
            event=InvoiceStatusChangedV1(
                debtor_id=debtor,
                invoice_id=paid,
                previous_status="open",
                status="paid",
                reason="payment",
                amount_paid_cents=12_345,
                amount_due_cents=0,
                changed_at=clock.now(),
            ),
            policy=policy,
        )
        await u.commit()

    async with uow() as u:
        rows = (
            await u.session.execute(
                select(charges_table.c.invoice_id, charges_table.c.kind, charges_table.c.status).where(
                    charges_table.c.tenant_id == tenant
                )
            )
        ).all()
        created = (
            await u.session.execute(
                select(func.count())
                .select_from(messaging.outbox)
                .where(messaging.outbox.c.event_type == CHARGE_CREATED)
            )
        ).scalar()
    by_invoice: dict[UUID, list[tuple[str, str]]] = {}
    for invoice_id, kind, status in rows:
        by_invoice.setdefault(invoice_id, []).append((kind, status))
    # Each invoice: one static code, one boleto not configured (no bank account).
    assert sorted(by_invoice[known]) == [("boleto", "not_configured"), ("static", "active")]
    assert sorted(by_invoice[plain]) == [("boleto", "not_configured"), ("static", "active")]
    # The paid one's code, made earlier in the same batch, was withdrawn by the later event.
    assert sorted(by_invoice[paid]) == [("boleto", "not_configured"), ("static", "removed")]
    assert created == 3  # known (first batch), paid, plain: never twice


async def test_a_commit_that_queues_gateway_work_notifies_the_worker(
    setup: tuple[Settings, object], migrated: str
) -> None:
    _, sessions = setup
    clock = FixedClock(SystemClock().now())
    conn = await asyncpg.connect(normalise_url(migrated).replace("postgresql+asyncpg://", "postgresql://", 1))
    woke = asyncio.Event()
    await conn.add_listener(GATEWAY_CHANNEL, lambda *_: woke.set())
    try:
        async with PaymentsUnitOfWork(
            sessions,  # type: ignore[arg-type]
            messaging,
            source="/test",
            clock=clock,
            topic_namespace="t.",
        ) as u:
            await u.charges.wake_waiting_for_debtor(uuid4(), uuid4(), clock.now())
            assert not woke.is_set()
            await u.commit()
        await asyncio.wait_for(woke.wait(), timeout=10)
    finally:
        await conn.close()
