"""Benchmark: outbox relay throughput against a bare Kafka producer.

Writes N events to an outbox (in transactions of 500, as use cases would),
measures how fast the relay publishes them exactly-once (transactional batches
+ checkpoint + delete), and, in the same run on the same broker, how fast a
bare idempotent producer sends the same records: the ratio is the price of
the guarantees. Usage: python bench/bench_relay.py [N]
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import BigInteger, Column, Identity, LargeBinary, String, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from regua_contracts import new_envelope
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.topics import INVOICE_EVENTS, namespaced
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.testing import drop_namespace, fresh_namespace
from regua_platform import metrics
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker, service_metadata
from regua_platform.kafka import idempotent_producer
from regua_platform.messaging import MessagingTables, messaging_tables, outbox_channel
from regua_platform.relay import OutboxRelay
from regua_platform.settings import DatabaseSettings, KafkaSettings
from regua_platform.uow import UnitOfWork
from regua_platform.wakeup import Listener

#: The relay settings the services run with (the pre-filled run above uses larger batches).
DEFAULT_RELAY = {
    name: KafkaSettings.model_fields[name].default
    for name in ("relay_batch_size", "relay_poll_interval_ms", "relay_idle_max_ms", "relay_linger_ms")
}
WRITERS = 8
TRAFFIC_S = 10.0


def issued_event(tenant: UUID, debtor: UUID, n: int) -> tuple[InvoiceIssuedV1, UUID]:
    return (
        InvoiceIssuedV1(
            debtor_id=debtor,
            invoice_id=uuid4(),
            external_id=f"t{n}",
            amount_cents=1000 + n,
            due_date=date(2026, 12, 1),
            issued_at=datetime.now(UTC),
        ),
        tenant,
    )


async def real_traffic(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    messaging: MessagingTables,
    kafka: KafkaSettings,
    tenant: UUID,
    debtors: list[UUID],
) -> None:
    """What the services really produce: many small transactions (1-4 events,
    as a request or a consumed event commits), 8 writers at once for 10 s, the
    relay with its default settings woken by NOTIFY. The peer: the same
    writers commit the same rows to a plain table and then publish each
    transaction's events with a bare idempotent producer, waiting for the
    acknowledgement (what a service without an outbox would do)."""
    rng = random.Random(3)  # noqa: S311 (sizes, not secrets)
    namespace = kafka.topic_namespace
    topic = namespaced(INVOICE_EVENTS, namespace)

    async def outbox_writer(deadline: float, committed: dict[str, float]) -> None:
        n = 0
        while time.perf_counter() < deadline:
            async with UnitOfWork(
                sessions,
                messaging,
                source="/bench",
                clock=SystemClock(),
                topic_namespace=kafka.topic_namespace,
            ) as uow:
                ids = []
                for _ in range(rng.randint(1, 4)):
                    payload, tenant_id = issued_event(tenant, debtors[n % len(debtors)], n)
                    ids.append(uow.publish(payload, tenant_id=tenant_id).id)
                    n += 1
                await uow.commit()
            now = time.time()
            committed.update(dict.fromkeys(ids, now))

    channel = outbox_channel(messaging)
    listener = Listener(str(engine.url.render_as_string(hide_password=False)), [channel])
    relay = OutboxRelay(
        service="bench-traffic", engine=engine, messaging=messaging, kafka=kafka, wake=listener.event(channel)
    )
    stop = asyncio.Event()
    background = [asyncio.create_task(listener.run(stop)), asyncio.create_task(relay.run(stop))]
    committed: dict[str, float] = {}
    began = time.perf_counter()
    await asyncio.gather(*(outbox_writer(began + TRAFFIC_S, committed) for _ in range(WRITERS)))
    while True:
        async with engine.connect() as conn:
            if not (await conn.execute(select(func.count()).select_from(messaging.outbox))).scalar():
                break
        await asyncio.sleep(0.01)
    outbox_s = time.perf_counter() - began
    stop.set()
    await asyncio.gather(*background)
    published = await record_times(kafka, topic, set(committed))
    outbox_latency = [published[i] - committed[i] for i in committed if i in published]
    batches = metrics.OUTBOX_BATCH.labels("bench-traffic")
    count, total = _histogram(batches)

    plain = Table(
        "plain_events",
        messaging.outbox.metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", String(100), nullable=False, unique=True),
        Column("value", LargeBinary, nullable=False),
        schema=messaging.outbox.schema,
    )
    async with engine.begin() as conn:
        await conn.run_sync(plain.create)
    producer = idempotent_producer(kafka, client_id="bench-bare")
    await producer.start()
    acked: dict[str, float] = {}
    bare_committed: dict[str, float] = {}

    async def bare_writer(deadline: float) -> None:
        n = 0
        while time.perf_counter() < deadline:
            envelopes = []
            for _ in range(rng.randint(1, 4)):
                payload, tenant_id = issued_event(tenant, debtors[n % len(debtors)], n)
                envelopes.append(
                    new_envelope(payload, tenant_id=tenant_id, source="/bench", time=datetime.now(UTC))
                )
                n += 1
            async with sessions() as session, session.begin():
                await session.execute(
                    insert(plain), [{"event_id": e.id, "value": e.to_json()} for e in envelopes]
                )
            now = time.time()
            bare_committed.update({e.id: now for e in envelopes})
            sent = [await producer.send(topic, value=e.to_json(), key=e.key) for e in envelopes]
            await asyncio.gather(*sent)
            now = time.time()
            acked.update({e.id: now for e in envelopes})

    began = time.perf_counter()
    try:
        await asyncio.gather(*(bare_writer(began + TRAFFIC_S) for _ in range(WRITERS)))
    finally:
        await producer.stop()
    bare_s = time.perf_counter() - began
    bare_latency = [acked[i] - bare_committed[i] for i in acked]

    outbox_rate, bare_rate = len(committed) / outbox_s, len(acked) / bare_s
    print(
        f"real traffic: {WRITERS} writers, transactions of 1-4 events for {TRAFFIC_S:.0f} s,"
        f" default relay settings {DEFAULT_RELAY}"
    )
    print(
        f"  outbox + relay: {len(committed):,} events, {outbox_rate:,.0f} events/s on Kafka;"
        f" commit -> on Kafka p50 {pct(outbox_latency, 0.5) * 1000:.0f} ms,"
        f" p99 {pct(outbox_latency, 0.99) * 1000:.0f} ms;"
        f" {total / max(count, 1):.1f} events per Kafka transaction"
    )
    print(
        f"  bare producer:  {len(acked):,} events, {bare_rate:,.0f} events/s on Kafka;"
        f" commit -> acknowledged p50 {pct(bare_latency, 0.5) * 1000:.0f} ms,"
        f" p99 {pct(bare_latency, 0.99) * 1000:.0f} ms"
    )
    print(f"  relay / bare producer throughput ratio under real traffic: {outbox_rate / bare_rate:.2f}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def _histogram(child: Any) -> tuple[float, float]:
    count = total = 0.0
    for metric in child.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                count = sample.value
            elif sample.name.endswith("_sum"):
                total = sample.value
    return count, total


async def record_times(kafka: KafkaSettings, topic: str, ids: set[str]) -> dict[str, float]:
    """When each event of ``ids`` reached ``topic`` (the record's timestamp)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id=None, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        seen: dict[str, float] = {}
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    event_id = orjson.loads(r.value)["id"]
                    if event_id in ids:
                        seen[event_id] = r.timestamp / 1000
        return seen
    finally:
        await consumer.stop()


async def main(n: int) -> None:
    infra = ensure_infra()
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(infra.database_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = infra.database_url.rpartition("/")[0] + "/" + db
    ns = await fresh_namespace(infra.bootstrap_servers, "bench")
    kafka = KafkaSettings(
        bootstrap_servers=infra.bootstrap_servers,
        topic_namespace=ns,
        relay_batch_size=1000,
        relay_poll_interval_ms=10,
    )
    metadata = service_metadata("bench")
    messaging = messaging_tables(metadata)
    engine = create_engine(DatabaseSettings(url=url), application_name="bench")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("create schema bench"))
            await conn.run_sync(metadata.create_all)
        sessions = create_sessionmaker(engine)
        tenant, debtors = uuid4(), [uuid4() for _ in range(100)]
        values: list[tuple[bytes, bytes]] = []
        began = time.perf_counter()
        for start in range(0, n, 500):
            async with UnitOfWork(
                sessions, messaging, source="/bench", clock=SystemClock(), topic_namespace=ns
            ) as uow:
                for i in range(start, min(start + 500, n)):
                    env = uow.publish(
                        InvoiceIssuedV1(
                            debtor_id=debtors[i % 100],
                            invoice_id=uuid4(),
                            external_id=f"b{i}",
                            amount_cents=1000 + i,
                            due_date=date(2026, 12, 1),
                            issued_at=datetime.now(UTC),
                        ),
                        tenant_id=tenant,
                    )
                    values.append((env.key, env.to_json()))
                await uow.commit()
        write_s = time.perf_counter() - began

        relay = OutboxRelay(service="bench", engine=engine, messaging=messaging, kafka=kafka)
        stop = asyncio.Event()
        began = time.perf_counter()
        task = asyncio.create_task(relay.run(stop))
        while True:
            async with engine.connect() as conn:
                left = (await conn.execute(select(func.count()).select_from(messaging.outbox))).scalar()
            if not left:
                break
            await asyncio.sleep(0.01)
        relay_s = time.perf_counter() - began
        stop.set()
        await task

        producer = idempotent_producer(kafka, client_id="bench-raw")
        await producer.start()
        topic = namespaced(INVOICE_EVENTS, ns)
        began = time.perf_counter()
        futures = [await producer.send(topic, value=v, key=k) for k, v in values]
        await asyncio.gather(*futures)
        raw_s = time.perf_counter() - began
        await producer.stop()

        print(f"events: {n}")
        print(f"outbox write (use-case transactions of 500): {n / write_s:,.0f} events/s")
        print(f"outbox relay, exactly-once:                  {n / relay_s:,.0f} events/s ({relay_s:.2f} s)")
        print(f"bare idempotent producer (peer):              {n / raw_s:,.0f} events/s ({raw_s:.2f} s)")
        print(f"relay / bare producer throughput ratio:       {raw_s / relay_s:.2f}")

        await real_traffic(
            engine, sessions, messaging, kafka.model_copy(update=DEFAULT_RELAY), tenant, debtors
        )
    finally:
        await drop_namespace(infra.bootstrap_servers, ns)
        await engine.dispose()
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()
        infra.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
