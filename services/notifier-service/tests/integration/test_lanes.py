"""Stop on pay under load: the notifier learns of a payment on its priority
lane while a backlog of step-due waits on the bulk lane (docs/stop-on-pay.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notifier_service.adapters.db.tables import deliveries, invoices
from regua_contracts import new_envelope
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_contracts.topics import namespaced
from regua_devtools.testing import wait_for
from regua_platform.db import create_engine
from regua_platform.settings import DatabaseSettings

from .conftest import Notifier

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def engine(migrated: str) -> AsyncIterator[AsyncEngine]:
    e = create_engine(DatabaseSettings(url=migrated), application_name="notifier-lanes-test")
    yield e
    await e.dispose()


def step_due(n: int) -> StepDueV1:
    now = datetime.now(UTC)
    return StepDueV1(
        debtor_id=uuid4(),
        step_id=uuid4(),
        invoice_id=uuid4(),
        policy_id=uuid4(),
        step_name="lembrete",
        step_index=n,
        template="reminder",
        tone="friendly",
        action="message",
        channels=["email"],
        planned_for=now,
        due_at=now,
    )


async def publish_backlog(notifier: Notifier, size: int) -> None:
    """``size`` step-due on Kafka, sent in one go (as the timer's burst)."""
    sent = []
    for n in range(size):
        envelope = new_envelope(
            step_due(n),
            tenant_id=notifier.tenant,
            source="/regua/scheduler-service",
            time=notifier.clock.now(),
        )
        topic = namespaced(envelope.topic, notifier.kafka.topic_namespace)
        sent.append(await notifier.producer.send(topic, value=envelope.to_json(), key=envelope.key))
    for meta in await asyncio.gather(*sent):
        notifier.settler.record(meta)


async def handled_steps(engine: AsyncEngine, tenant: UUID) -> int:
    query = select(func.count()).select_from(deliveries).where(deliveries.c.tenant_id == tenant)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def payment_known(engine: AsyncEngine, invoice_id: UUID) -> bool:
    query = select(invoices.c.payment_seen_at).where(invoices.c.invoice_id == invoice_id)
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar_one_or_none() is not None


async def pay_behind_a_backlog(notifier: Notifier, engine: AsyncEngine, backlog: int) -> tuple[float, int]:
    """Publish ``backlog`` step-due, then, once the notifier works on them, a
    payment; return the seconds from the payment's acknowledgement by Kafka to
    the notifier knowing of it, and how many steps it had handled by then."""
    await publish_backlog(notifier, backlog)
    await wait_for(lambda: handled_steps(engine, notifier.tenant), timeout=60)
    invoice_id = uuid4()
    paid = PaymentReceivedV1(
        debtor_id=uuid4(),
        payment_id=uuid4(),
        invoice_id=invoice_id,
        method="pix",
        amount_cents=10_000,
        gateway_reference="E00000000202612020800000000000001",
        paid_at=notifier.clock.now(),
    )
    await notifier.publish(paid)
    acknowledged = time.perf_counter()
    await wait_for(lambda: payment_known(engine, invoice_id), timeout=120, interval=0.005)
    waited = time.perf_counter() - acknowledged
    return waited, await handled_steps(engine, notifier.tenant)


async def test_a_payment_is_known_while_most_of_a_step_due_backlog_still_waits(
    notifier: Notifier, engine: AsyncEngine
) -> None:
    backlog = 1000
    _, handled = await pay_behind_a_backlog(notifier, engine, backlog)
    assert handled < backlog // 2
    await notifier.consumed()  # both lanes' groups committed past everything
    assert await handled_steps(engine, notifier.tenant) == backlog
    # The backlog's steps wait for invoices that never come: leave none to the
    # tests after this one (they share the database and the sender's queue).
    async with engine.begin() as conn:
        await conn.execute(delete(deliveries).where(deliveries.c.tenant_id == notifier.tenant))
