"""The sender's last look before the provider call (``Sender.recheck``), on
real PostgreSQL: a payment the notifier learns of after the message was
prepared, but before the call, stops it; the suppression is announced once.

These drive the service layer directly (no worker, so nothing races the
steps), on a database of their own so no other test's delivery is claimed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

import regua_platform.migrations
from notifier_service.adapters.db.tables import deliveries, messaging
from notifier_service.entrypoints.sender import link_keys
from notifier_service.main import DEFINITION
from notifier_service.service_layer.sender import PreparedSend, Sender, create_delivery
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceStatusChangedV1
from regua_devtools.testing import Infra, fresh_database
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import AuthSettings, DatabaseSettings

from .conftest import PORTAL_KEYS, SECRET
from .test_delivery import now, step, unique_email

pytestmark = [pytest.mark.postgres]

SUPPRESSED = "br.regua.notification.message-suppressed.v1"


class World:
    def __init__(self, url: str) -> None:
        self.settings = Settings(
            auth=AuthSettings(jwt_secret=SECRET),
            portal_keys=PORTAL_KEYS,
            database=DatabaseSettings(url=url),
            sender={"charge_wait_seconds": 0},
        )
        self.engine = create_engine(self.settings.database, application_name="notifier-recheck-test")
        self.sessions = create_sessionmaker(self.engine)
        self.sender = Sender(self.settings, link_keys(self.settings), lambda channel: True)
        self.tenant = uuid4()

    def uow(self) -> NotifierUnitOfWork:
        return NotifierUnitOfWork(
            self.sessions, messaging, source="/regua/notifier-service", clock=SystemClock()
        )

    async def prepared_email(self) -> PreparedSend:
        """An issued open invoice of R$ 1.234,56, its debtor, a step due and
        the sender's *prepare*: the one send it returns."""
        debtor_id, invoice_id = uuid4(), uuid4()
        async with self.uow() as uow:
            await uow.projections.upsert_debtor(
                self.tenant,
                DebtorUpdatedV1(
                    debtor_id=debtor_id,
                    external_id="c-1",
                    name="Maria Aparecida Souza",
                    document="52998224725",
                    email=unique_email(),
                    preferred_channels=[],
                    consents={},
                    updated_at=now(),
                ),
            )
            await uow.projections.invoice_issued(
                self.tenant,
                InvoiceIssuedV1(
                    debtor_id=debtor_id,
                    invoice_id=invoice_id,
                    external_id="NF-2026-0042",
                    amount_cents=123456,
                    due_date=date(2026, 12, 10),
                    issued_at=now(),
                ),
            )
            await create_delivery(uow, self.tenant, step(debtor_id, invoice_id), now())
            await uow.commit()
        async with self.uow() as uow:
            [send] = await self.sender.prepare(uow, now())
            await uow.commit()
        assert send.attempt == 0
        return send

    async def recheck(self, send: PreparedSend) -> PreparedSend | None:
        async with self.uow() as uow:
            result = await self.sender.recheck(uow, send, now())
            await uow.commit()
        return result

    async def delivery(self, message_id: UUID) -> sa.Row[tuple[object, ...]]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(deliveries).where(deliveries.c.message_id == message_id))
            ).one()
        return row

    async def suppressed_events(self) -> list[dict[str, object]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(messaging.outbox.c.value).where(messaging.outbox.c.event_type == SUPPRESSED)
            )
            return [json.loads(r.value)["data"] for r in rows]


@pytest.fixture
async def world(infra: Infra) -> AsyncIterator[World]:
    async with fresh_database(infra) as url:
        await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, url)
        w = World(url)
        try:
            yield w
        finally:
            await w.engine.dispose()


async def test_a_payment_seen_between_prepare_and_call_suppresses_once(world: World) -> None:
    send = await world.prepared_email()
    # The payment consumer runs while the send waits for its rate limit.
    async with world.uow() as uow:
        await uow.projections.payment_seen(world.tenant, send.invoice_id, send.debtor_id, now())
        await uow.commit()

    assert await world.recheck(send) is None
    row = await world.delivery(send.message_id)
    assert (row.status, row.reason, row.attempts) == ("suppressed", "suppressed_paid", 0)
    [event] = await world.suppressed_events()
    assert event["step_id"] == str(send.step_id)
    assert event["reason"] == "suppressed_paid"

    # Asked again (a retry, another worker's stale send): nothing more.
    assert await world.recheck(send) is None
    async with world.uow() as uow:
        assert await world.sender.prepare(uow, now()) == []
        await uow.commit()
    assert len(await world.suppressed_events()) == 1


async def test_nothing_new_lets_the_call_go_with_its_attempt_recorded(world: World) -> None:
    send = await world.prepared_email()
    confirmed = await world.recheck(send)
    assert confirmed is not None
    assert confirmed.attempt == 1
    assert confirmed.message == send.message
    row = await world.delivery(send.message_id)
    assert (row.status, row.attempts, row.channel) == ("pending", 1, "email")
    assert await world.suppressed_events() == []


async def test_an_amount_changed_since_rendering_gives_the_lease_back(world: World) -> None:
    send = await world.prepared_email()
    assert send.amount_cents == 123456
    # A partial payment: R$ 1.234,56 - R$ 234,56 = R$ 1.000,00 still due.
    async with world.uow() as uow:
        await uow.projections.invoice_status_changed(
            world.tenant,
            InvoiceStatusChangedV1(
                debtor_id=send.debtor_id,
                invoice_id=send.invoice_id,
                previous_status="open",
                status="partially_paid",
                reason="payment",
                amount_paid_cents=23456,
                amount_due_cents=100000,
                changed_at=now(),
            ),
        )
        await uow.commit()

    assert await world.recheck(send) is None
    row = await world.delivery(send.message_id)
    assert (row.status, row.attempts) == ("pending", 0)
    # The next pass renders it again with the new amount.
    async with world.uow() as uow:
        [again] = await world.sender.prepare(uow, now())
        await uow.commit()
    assert again.amount_cents == 100000
    assert "R$ 1.000,00" in again.message.body
    assert await world.suppressed_events() == []
