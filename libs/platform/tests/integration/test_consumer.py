"""The consumer runner against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import insert, text

from regua_contracts import Envelope, new_envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.topics import INVOICE_EVENTS, dlq_topic, namespaced
from regua_devtools.testing import wait_for
from regua_platform.consumer import DLQ_ATTEMPTS, DLQ_ERROR, DLQ_TOPIC, ConsumerRunner, redrive
from regua_platform.handlers import EventMeta, bind_handlers
from regua_platform.kafka import idempotent_producer
from regua_platform.settings import KafkaSettings
from regua_platform.uow import UnitOfWork

from .conftest import TENANT, Store
from .events import issued

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs."""


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    p = idempotent_producer(kafka_settings, client_id="test")
    await p.start()
    yield p
    await p.stop()


def topic(kafka: KafkaSettings, name: str = INVOICE_EVENTS) -> str:
    return namespaced(name, kafka.topic_namespace)


async def send(producer: AIOKafkaProducer, kafka: KafkaSettings, value: bytes, key: bytes = b"k") -> None:
    await producer.send_and_wait(topic(kafka), value=value, key=key)


def an_event() -> Envelope:
    return new_envelope(
        issued(uuid4(), 1), tenant_id=TENANT, source="/test", time=issued(uuid4(), 1).issued_at
    )


def recording_handler(store: Store, calls: list[str]) -> Any:
    async def on_invoice_issued_record(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        calls.append(meta.id)
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="x"))

    return on_invoice_issued_record


def runner(
    store: Store,
    kafka: KafkaSettings,
    producer: AIOKafkaProducer,
    handler: Any,
    cls: type[ConsumerRunner] = ConsumerRunner,
    **kafka_overrides: Any,
) -> ConsumerRunner:
    return cls(
        service="consumer-test",
        topics=[INVOICE_EVENTS],
        handlers=bind_handlers([handler]).handlers,
        uow_factory=lambda: store.uow(kafka.topic_namespace),
        kafka=kafka.model_copy(update=kafka_overrides),
        dlq_producer=producer,
    )


async def run_until(r: ConsumerRunner, condition: Any, timeout: float = 30) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(r.run(stop))
    try:
        await wait_for(condition, timeout=timeout)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


async def dead_letters(kafka: KafkaSettings) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(dlq_topic(topic(kafka)), p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records += batch
        return records
    finally:
        await consumer.stop()


async def test_crash_after_transaction_before_offset_commit_has_no_second_effect(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    calls: list[str] = []
    handler = recording_handler(store, calls)

    class DiesBeforeOffsetCommit(ConsumerRunner):
        async def _commit(self, consumer: Any, offsets: Any) -> None:
            raise Killed

    event = an_event()
    await send(producer, kafka_settings, event.to_json())

    first = runner(store, kafka_settings, producer, handler, DiesBeforeOffsetCommit)
    with pytest.raises(Killed):
        await asyncio.wait_for(first.run(asyncio.Event()), timeout=60)
    assert calls == [event.id]
    assert await store.effect_count(event.id) == 1

    # The restarted consumer gets the same record again (its offset was never
    # committed) and the inbox turns it into a no-op.
    outcomes: list[str] = []

    class Watching(ConsumerRunner):
        def on_outcome(self, record: Any, outcome: str, seconds: float) -> None:
            super().on_outcome(record, outcome, seconds)
            outcomes.append(outcome)

    second = runner(store, kafka_settings, producer, handler, Watching)
    await run_until(second, lambda: outcomes)
    assert outcomes == ["duplicate"]
    assert calls == [event.id]
    assert await store.effect_count(event.id) == 1


async def test_poison_event_goes_to_dlq_after_bounded_retries_and_redrive_works(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    broken = True
    attempts: list[str] = []

    async def on_invoice_issued_flaky(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        attempts.append(meta.id)
        if broken:
            raise RuntimeError("template store unavailable")
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="ok"))

    event = an_event()
    await send(producer, kafka_settings, event.to_json())
    r = runner(store, kafka_settings, producer, on_invoice_issued_flaky, max_attempts=3)
    stop = asyncio.Event()
    task = asyncio.create_task(r.run(stop))
    try:
        await wait_for(lambda: _has_dead_letters(kafka_settings))
        assert attempts == [event.id] * 3
        [letter] = await dead_letters(kafka_settings)
        headers = dict(letter.headers)
        assert b"RuntimeError: template store unavailable" in headers[DLQ_ERROR]
        assert headers[DLQ_ATTEMPTS] == b"3"
        assert headers[DLQ_TOPIC] == topic(kafka_settings).encode()
        assert letter.value == event.to_json()
        assert await store.effect_count() == 0  # failed attempts left nothing behind

        broken = False
        moved = await redrive(kafka_settings, INVOICE_EVENTS)
        assert moved == 1
        await wait_for(lambda: _effect_exists(store, event.id))
        # A second re-drive finds nothing new.
        assert await redrive(kafka_settings, INVOICE_EVENTS) == 0
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
    assert await store.effect_count(event.id) == 1


async def test_an_event_that_breaks_its_contract_goes_to_dlq_at_once(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    calls: list[str] = []
    body = an_event().model_dump(mode="json")
    body["data"]["amount_cents"] = 10.5
    import orjson

    await send(producer, kafka_settings, orjson.dumps(body))
    await send(producer, kafka_settings, b"not json at all")
    r = runner(store, kafka_settings, producer, recording_handler(store, calls))
    await run_until(r, lambda: _has_dead_letters(kafka_settings, 2))
    letters = await dead_letters(kafka_settings)
    errors = sorted(dict(x.headers)[DLQ_ERROR].decode() for x in letters)
    assert "amount_cents" in errors[0]
    assert "not JSON" in errors[1]
    assert all(dict(x.headers)[DLQ_ATTEMPTS] == b"1" for x in letters)
    assert calls == []


async def _has_dead_letters(kafka: KafkaSettings, n: int = 1) -> bool:
    return len(await dead_letters(kafka)) >= n


async def _effect_exists(store: Store, event_id: str) -> bool:
    return await store.effect_count(event_id) > 0


async def test_a_batch_is_one_transaction_and_a_poison_record_does_not_sink_it(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    events = [an_event() for _ in range(6)]
    poison = events[3].id
    calls: list[str] = []
    transactions: list[int] = []

    async def on_invoice_issued_note_txid(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        calls.append(meta.id)
        transactions.append((await uow.session.execute(text("select txid_current()"))).scalar_one())
        if meta.id == poison:
            raise RuntimeError("poison")
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="x"))

    # Sent before the consumer starts, on one key: they come in one batch.
    for event in events:
        await send(producer, kafka_settings, event.to_json())
    outcomes: list[str] = []

    class Watching(ConsumerRunner):
        def on_outcome(self, record: Any, outcome: str, seconds: float) -> None:
            super().on_outcome(record, outcome, seconds)
            outcomes.append(outcome)

    r = runner(store, kafka_settings, producer, on_invoice_issued_note_txid, Watching, max_attempts=2)
    await run_until(r, lambda: len(outcomes) == len(events))

    assert outcomes == ["handled"] * 3 + ["dead_lettered"] + ["handled"] * 2
    for event in events:
        assert await store.effect_count(event.id) == (0 if event.id == poison else 1)
    # The batch ran up to the poison in one transaction (rolled back), then
    # record by record, each in its own: the poison 1 + max_attempts times.
    ids = [e.id for e in events]
    assert calls == ids[:4] + ids[:3] + [poison, poison] + ids[4:]
    assert len(set(transactions[:4])) == 1
    assert len(set(transactions[4:])) == len(transactions[4:])
    [letter] = await dead_letters(kafka_settings)
    assert letter.value == events[3].to_json()


async def test_a_clean_batch_commits_once_for_all_its_events(
    store: Store, kafka_settings: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    events = [an_event() for _ in range(20)]
    transactions: dict[str, int] = {}

    async def on_invoice_issued_note_txid(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        transactions[meta.id] = (await uow.session.execute(text("select txid_current()"))).scalar_one()
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="x"))

    for event in events:
        await send(producer, kafka_settings, event.to_json())
    r = runner(store, kafka_settings, producer, on_invoice_issued_note_txid)
    await run_until(r, lambda: len(transactions) == len(events))
    assert len(set(transactions.values())) == 1
    for event in events:
        assert await store.effect_count(event.id) == 1
