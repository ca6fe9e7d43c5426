"""Lanes against real Kafka and PostgreSQL: a backlog on the bulk lane never
delays the priority lane, a new lane's group starts where the service's group
stood, and records of types nobody here handles are skipped unparsed and
committed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import uuid4

import orjson
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from sqlalchemy import insert

from regua_contracts import new_envelope
from regua_contracts.base import Payload
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_contracts.topics import DUNNING_STEP_DUE, INVOICE_EVENTS, PAYMENT_EVENTS, namespaced
from regua_devtools.testing import wait_committed, wait_for
from regua_platform.consumer import TYPE_HEADER, ConsumerRunner, lane_runners
from regua_platform.handlers import EventMeta, Lane, bind_handlers
from regua_platform.kafka import idempotent_producer
from regua_platform.settings import KafkaSettings
from regua_platform.uow import UnitOfWork

from .conftest import TENANT, Store
from .events import issued, payment_received, step_due

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SERVICE = "lanes-test"
LANES = (Lane("priority", (INVOICE_EVENTS, PAYMENT_EVENTS)), Lane("bulk", (DUNNING_STEP_DUE,)))


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    p = idempotent_producer(kafka_settings, client_id="test")
    await p.start()
    yield p
    await p.stop()


class Watching(ConsumerRunner):
    """Notes each record's outcome."""

    outcomes: list[str]

    def on_outcome(self, record: Any, outcome: str, seconds: float) -> None:
        super().on_outcome(record, outcome, seconds)
        self.outcomes.append(outcome)


def runners(
    store: Store,
    kafka: KafkaSettings,
    producer: AIOKafkaProducer,
    handlers: Sequence[Any],
    lanes: Sequence[Lane],
) -> list[Watching]:
    """One runner per lane, wired as the service app wires them."""
    built = lane_runners(
        service=SERVICE,
        subscriptions=bind_handlers(handlers),
        lanes=lanes,
        uow_factory=lambda: store.uow(kafka.topic_namespace),
        kafka=kafka,
        dlq_producer=producer,
        runner=Watching,
    )
    for runner in built:
        runner.outcomes = []
    return built  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def running(*rs: ConsumerRunner) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in rs]
    try:
        await wait_for(lambda: all(r.ready.is_set() or t.done() for r, t in zip(rs, tasks, strict=True)))
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)


async def send(
    producer: AIOKafkaProducer, kafka: KafkaSettings, payload: Payload, *, key: bytes = b"k"
) -> tuple[str, Any]:
    envelope = new_envelope(payload, tenant_id=TENANT, source="/test", time=issued(uuid4(), 1).issued_at)
    meta = await producer.send_and_wait(
        namespaced(envelope.topic, kafka.topic_namespace), value=envelope.to_json(), key=key
    )
    return envelope.id, meta


async def write_effect(store: Store, meta: EventMeta, uow: UnitOfWork) -> None:
    await uow.session.execute(insert(store.effects).values(event_id=meta.id, note=meta.type))


async def test_a_backlog_on_the_bulk_lane_does_not_delay_a_payment_on_the_priority_lane(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    gate = asyncio.Event()
    entered: list[str] = []

    async def on_step_due_deliver(event: StepDueV1, meta: EventMeta, uow: UnitOfWork) -> None:
        entered.append(meta.id)
        await gate.wait()  # the bulk lane is busy until the test says otherwise
        await write_effect(store, meta, uow)

    async def on_payment_received_stop(event: PaymentReceivedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        await write_effect(store, meta, uow)

    backlog = 300
    last: dict[TopicPartition, int] = {}
    for n in range(backlog):
        _, meta = await send(producer, kafka_settings, step_due(n), key=f"d{n % 7}".encode())
        last[TopicPartition(meta.topic, meta.partition)] = meta.offset
    priority, bulk = runners(
        store, kafka_settings, producer, [on_step_due_deliver, on_payment_received_stop], LANES
    )
    async with running(priority, bulk):
        await wait_for(lambda: entered)  # the bulk lane is working through its backlog
        paid, paid_meta = await send(producer, kafka_settings, payment_received(uuid4()))
        await wait_for(lambda: _effects(store, paid))
        # The payment's effect is stored while the whole backlog still waits.
        assert await store.effect_count() == 1
        assert len(entered) == 1
        gate.set()
        await wait_committed(kafka_settings.bootstrap_servers, bulk.group_id, last, timeout=60)
        await wait_committed(
            kafka_settings.bootstrap_servers,
            priority.group_id,
            {TopicPartition(paid_meta.topic, paid_meta.partition): paid_meta.offset},
        )
    assert await store.effect_count() == backlog + 1
    assert priority.group_id == f"{kafka_settings.topic_namespace}{SERVICE}"
    assert bulk.group_id == f"{kafka_settings.topic_namespace}{SERVICE}.bulk"
    assert priority.outcomes == ["handled"]
    assert bulk.outcomes == ["handled"] * backlog


async def test_a_new_lane_starts_where_the_service_group_had_committed(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    """Upgrading from one consumer to lanes: step-due moves from the service's
    group to ``<service>.bulk`` and neither re-reads nor skips a record."""

    async def on_step_due_deliver(event: StepDueV1, meta: EventMeta, uow: UnitOfWork) -> None:
        await write_effect(store, meta, uow)

    before = []
    for n in range(3):
        before.append(await send(producer, kafka_settings, step_due(n)))
    [single] = runners(store, kafka_settings, producer, [on_step_due_deliver], ())
    async with running(single):
        _, meta = before[-1]
        await wait_committed(
            kafka_settings.bootstrap_servers,
            single.group_id,
            {TopicPartition(meta.topic, meta.partition): meta.offset},
        )
    assert single.outcomes == ["handled"] * 3

    [bulk] = runners(store, kafka_settings, producer, [on_step_due_deliver], LANES)
    assert bulk.group_id.endswith(".bulk")
    async with running(bulk):
        after, meta = await send(producer, kafka_settings, step_due(3))
        await wait_committed(
            kafka_settings.bootstrap_servers,
            bulk.group_id,
            {TopicPartition(meta.topic, meta.partition): meta.offset},
        )
    assert bulk.outcomes == ["handled"]  # no "duplicate": the first three were not read again
    assert await store.effect_count(after) == 1
    assert await store.effect_count() == 4


async def test_types_nobody_here_handles_are_skipped_unparsed_and_committed(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:

    async def on_invoice_issued_record(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        await write_effect(store, meta, uow)

    topic = namespaced(INVOICE_EVENTS, kafka_settings.topic_namespace)
    # No header, a body of a type not handled here whose data would not even validate.
    unhandled = new_envelope(
        issued(uuid4(), 1), tenant_id=TENANT, source="/test", time=issued(uuid4(), 1).issued_at
    )
    body = unhandled.model_dump(mode="json")
    body["type"] = "br.regua.invoice.overdue.v1"
    body["data"] = {"amount_cents": 10.5}
    await producer.send_and_wait(topic, value=orjson.dumps(body), key=b"k")
    # The type header decides before the body is looked at (here not even JSON).
    await producer.send_and_wait(
        topic, value=b"not json at all", key=b"k", headers=[(TYPE_HEADER, b"br.regua.debtor.updated.v1")]
    )
    handled, meta = await send(producer, kafka_settings, issued(uuid4(), 2))

    [runner] = runners(store, kafka_settings, producer, [on_invoice_issued_record], ())
    async with running(runner):
        await wait_committed(
            kafka_settings.bootstrap_servers,
            runner.group_id,
            {TopicPartition(meta.topic, meta.partition): meta.offset},
        )
    assert runner.outcomes == ["ignored", "ignored", "handled"]
    assert await store.effect_count(handled) == 1
    assert await store.effect_count() == 1


async def _effects(store: Store, event_id: str) -> bool:
    return await store.effect_count(event_id) > 0
