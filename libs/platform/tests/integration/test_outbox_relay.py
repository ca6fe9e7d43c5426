"""The outbox relay against real Kafka and PostgreSQL: killed with SIGKILL at
the worst moments and restarted, every event is published exactly once and in
order per debtor."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path
from uuid import uuid4

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from regua_contracts.topics import INVOICE_EVENTS, namespaced
from regua_devtools.testing import wait_for
from regua_platform.messaging import outbox_channel
from regua_platform.relay import OutboxRelay
from regua_platform.settings import KafkaSettings
from regua_platform.wakeup import Listener

from .conftest import TENANT, Store
from .events import issued

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

VICTIM = Path(__file__).with_name("relay_victim.py")
EVENTS = 120


async def fill_outbox(store: Store, namespace: str) -> list[str]:
    debtors = [uuid4() for _ in range(6)]
    ids: list[str] = []
    for start in range(0, EVENTS, 20):  # several transactions
        async with store.uow(namespace) as uow:
            for n in range(start, start + 20):
                ids.append(uow.publish(issued(debtors[n % 6], n), tenant_id=TENANT).id)
            await uow.commit()
    return ids


async def read_topic(kafka: KafkaSettings, topic: str) -> list[dict[str, object]]:
    """Everything committed on ``topic``, partition by partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[dict[str, object]] = []
        deadline = asyncio.get_running_loop().time() + 20
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            assert asyncio.get_running_loop().time() < deadline, "topic not readable to its end"
            for records in (await consumer.getmany(timeout_ms=200)).values():
                out += [orjson.loads(r.value) for r in records]
        return out
    finally:
        await consumer.stop()


async def kill_victim_at(mode: str, store: Store, kafka: KafkaSettings) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(VICTIM),
        mode,
        store.database_url,
        kafka.bootstrap_servers,
        kafka.topic_namespace,
        store.schema,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert line.strip() == {"mid-batch": b"MID-BATCH", "after-commit": b"COMMITTED"}[mode]
    finally:
        proc.kill()  # SIGKILL: no clean-up runs in the victim
        await proc.wait()


async def relay_until_empty(store: Store, kafka: KafkaSettings) -> None:
    relay = OutboxRelay(service="relay-test", engine=store.engine, messaging=store.messaging, kafka=kafka)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_for(lambda: _empty(store), timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


async def _empty(store: Store) -> bool:
    return await store.outbox_size() == 0


def assert_exactly_once_in_order(published: list[dict[str, object]], ids: list[str]) -> None:
    seen = [str(e["id"]) for e in published]
    assert len(seen) == len(ids), f"{len(seen)} published for {len(ids)} events"
    assert set(seen) == set(ids)
    per_debtor: dict[str, list[str]] = defaultdict(list)
    for event in published:
        data = event["data"]
        assert isinstance(data, dict)
        per_debtor[data["debtor_id"]].append(data["external_id"])
    for sequence in per_debtor.values():
        assert sequence == sorted(sequence), "events of one debtor were reordered"


@pytest.mark.parametrize("mode", ["mid-batch", "after-commit"])
async def test_relay_killed_and_restarted_publishes_each_event_exactly_once(
    mode: str, store: Store, kafka_settings: KafkaSettings
) -> None:
    ids = await fill_outbox(store, kafka_settings.topic_namespace)
    await kill_victim_at(mode, store, kafka_settings)
    if mode == "after-commit":
        # The killed relay committed its first batch to Kafka but kept the rows.
        assert await store.outbox_size() == EVENTS

    await relay_until_empty(store, kafka_settings)

    topic = namespaced(INVOICE_EVENTS, kafka_settings.topic_namespace)
    assert_exactly_once_in_order(await read_topic(kafka_settings, topic), ids)


async def test_relay_carries_trace_context_and_key(store: Store, kafka_settings: KafkaSettings) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    debtor = uuid4()
    with tracer.start_as_current_span("request") as span:
        async with store.uow(kafka_settings.topic_namespace) as uow:
            uow.publish(issued(debtor, 1), tenant_id=TENANT)
            await uow.commit()
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert trace.get_current_span() is not span
    await relay_until_empty(store, kafka_settings)

    consumer = AIOKafkaConsumer(
        namespaced(INVOICE_EVENTS, kafka_settings.topic_namespace),
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=f"g{uuid4().hex}",
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=20)
    finally:
        await consumer.stop()
    assert record.key == str(debtor).encode()
    headers = dict(record.headers)
    assert trace_id in headers["traceparent"].decode()


async def test_an_idle_relay_wakes_on_the_commit_not_on_its_next_poll(
    store: Store, kafka_settings: KafkaSettings
) -> None:
    # Polls 60 s apart: only the commit's NOTIFY can bring the event out within the wait below.
    kafka = kafka_settings.model_copy(update={"relay_poll_interval_ms": 60_000, "relay_idle_max_ms": 60_000})
    channel = outbox_channel(store.messaging)
    listener = Listener(store.database_url, [channel])
    relay = OutboxRelay(
        service="relay-test",
        engine=store.engine,
        messaging=store.messaging,
        kafka=kafka,
        wake=listener.event(channel),
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(listener.run(stop)), asyncio.create_task(relay.run(stop))]
    try:
        for n in range(3):  # each after the relay emptied the outbox and went idle
            await wait_for(lambda: listener.connected and relay.is_leader, timeout=30)
            async with store.uow(kafka.topic_namespace) as uow:
                uow.publish(issued(uuid4(), n), tenant_id=TENANT)
                await uow.commit()
            await wait_for(lambda: _empty(store), timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
    published = await read_topic(kafka, namespaced(INVOICE_EVENTS, kafka.topic_namespace))
    assert len(published) == 3
