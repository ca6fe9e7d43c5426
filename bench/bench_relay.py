"""Benchmark: outbox relay throughput against a bare Kafka producer.

Writes N events to an outbox (in transactions of 500, as use cases would),
measures how fast the relay publishes them exactly-once (transactional batches
+ checkpoint + delete), and, in the same run on the same broker, how fast a
bare idempotent producer sends the same records: the ratio is the price of
the guarantees. Usage: python bench/bench_relay.py [N]
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from datetime import UTC, date, datetime
from uuid import uuid4

import asyncpg
from sqlalchemy import func, select, text

from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.topics import INVOICE_EVENTS, namespaced
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.testing import drop_namespace, fresh_namespace
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker, service_metadata
from regua_platform.kafka import idempotent_producer
from regua_platform.messaging import messaging_tables
from regua_platform.relay import OutboxRelay
from regua_platform.settings import DatabaseSettings, KafkaSettings
from regua_platform.uow import UnitOfWork


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
    finally:
        await drop_namespace(infra.bootstrap_servers, ns)
        await engine.dispose()
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()
        infra.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
