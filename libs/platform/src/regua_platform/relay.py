"""The outbox relay: publishes outbox rows to Kafka exactly once, in order.

One relay per service is active at a time (a PostgreSQL advisory lock elects
it). It publishes each batch inside a Kafka transaction that also records the
batch's outbox ids in a compacted checkpoint topic, then deletes the rows. If it
dies after the Kafka commit and before the delete, the next leader reads the
checkpoint and deletes those rows instead of publishing them again; if it dies
before the commit, the transaction is aborted (fenced) and read-committed
consumers never see it. Rows are published in id order, so events about one
debtor keep their order.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from regua_contracts.topics import OUTBOX_RELAY_CHECKPOINTS, namespaced
from regua_platform import metrics
from regua_platform.aio import sleep_unless, wait_for_work
from regua_platform.kafka import connection_options, headers_from_carrier
from regua_platform.messaging import MessagingTables
from regua_platform.settings import KafkaSettings

log = logging.getLogger("regua.relay")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    topic: str
    key: bytes
    value: bytes
    headers: dict[str, str]


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        messaging: MessagingTables,
        kafka: KafkaSettings,
        producer_factory: Callable[[str], AIOKafkaProducer] | None = None,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.service = service
        self._engine = engine
        self._outbox = messaging.outbox
        self._kafka = kafka
        self._checkpoint_topic = namespaced(OUTBOX_RELAY_CHECKPOINTS, kafka.topic_namespace)
        self._transactional_id = f"{kafka.topic_namespace}{service}-outbox-relay"
        # Advisory lock key: stable per (namespace, service, schema).
        digest = hashlib.sha256(f"{self._transactional_id}:{self._outbox.schema}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._producer_factory = producer_factory or self._default_producer
        self.is_leader = False
        self._wake = wake

    def _default_producer(self, transactional_id: str) -> AIOKafkaProducer:
        from regua_platform.kafka import transactional_producer

        return transactional_producer(
            self._kafka, client_id=f"{self.service}-relay", transactional_id=transactional_id
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; the batch in flight is finished first."""
        backoff = 0.2
        while not stop.is_set():
            try:
                async with self._engine.connect() as lock_conn:
                    if not await self._try_lock(lock_conn):
                        self.is_leader = False
                        await sleep_unless(stop, 1.0)
                        continue
                    self.is_leader = True
                    log.info("outbox.relay.leader", extra={"service": self.service})
                    try:
                        await self._lead(stop)
                    finally:
                        self.is_leader = False
                        await lock_conn.execute(text("select pg_advisory_unlock(:k)"), {"k": self._lock_key})
                backoff = 0.2
            except (TimeoutError, KafkaError, OSError) as exc:
                log.warning(
                    "outbox.relay.retrying",
                    extra={"service": self.service, "error": type(exc).__name__, "backoff_s": backoff},
                )
                await sleep_unless(stop, backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                log.exception("outbox.relay.failed", extra={"service": self.service})
                await sleep_unless(stop, backoff)
                backoff = min(backoff * 2, 5.0)

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        result = await conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": self._lock_key})
        locked = bool(result.scalar())
        await conn.commit()
        return locked

    async def _lead(self, stop: asyncio.Event) -> None:
        producer = self._producer_factory(self._transactional_id)
        # start() initialises transactions: any earlier relay with this id is fenced
        # and its open transaction aborted.
        await producer.start()
        try:
            await self._reconcile()
            first_pause = self._kafka.relay_poll_interval_ms / 1000
            idle_max = max(self._kafka.relay_idle_max_ms / 1000, first_pause)
            linger = self._kafka.relay_linger_ms / 1000
            pause, backlog_every, polls = first_pause, 20, 0
            while not stop.is_set():
                if self._wake is not None:
                    self._wake.clear()
                rows = await self._fetch()
                if polls % backlog_every == 0:
                    await self._measure_backlog()
                polls += 1
                if not rows:
                    await wait_for_work(stop, self._wake, pause)
                    pause = min(pause * 2, idle_max)
                    continue
                pause = first_pause
                await self._publish(producer, rows)
                await self._mark_published([r.id for r in rows])
                metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
                metrics.OUTBOX_BATCH.labels(self.service).observe(len(rows))
                if len(rows) < self._kafka.relay_batch_size and linger:
                    await sleep_unless(stop, linger)
        finally:
            await producer.stop()

    async def _fetch(self) -> list[OutboxRow]:
        t = self._outbox
        async with self._engine.connect() as conn:
            result = await conn.execute(
                select(t.c.id, t.c.topic, t.c.key, t.c.value, t.c.headers)
                .order_by(t.c.id)
                .limit(self._kafka.relay_batch_size)
            )
            return [OutboxRow(*row) for row in result.all()]

    async def _publish(self, producer: AIOKafkaProducer, rows: Sequence[OutboxRow]) -> None:
        async with producer.transaction():
            for row in rows:
                await producer.send(
                    row.topic,
                    value=row.value,
                    key=row.key,
                    headers=headers_from_carrier(row.headers),
                )
            await producer.send(
                self._checkpoint_topic,
                key=self._transactional_id.encode(),
                value=orjson.dumps({"ids": [r.id for r in rows]}),
            )

    async def _mark_published(self, ids: Sequence[int]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(self._outbox).where(self._outbox.c.id.in_(ids)))

    async def _measure_backlog(self) -> None:
        async with self._engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(self._outbox))).scalar()
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count or 0)

    async def _reconcile(self) -> None:
        """Delete rows that the last leader published but did not get to delete."""
        ids = await self._last_checkpoint()
        if ids:
            await self._mark_published(ids)
            log.info("outbox.relay.reconciled", extra={"service": self.service, "rows": len(ids)})

    async def _last_checkpoint(self) -> list[int]:
        consumer = AIOKafkaConsumer(
            **connection_options(self._kafka),
            client_id=f"{self.service}-relay-checkpoint",
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            # The checkpoint topic has a single partition.
            tps = [TopicPartition(self._checkpoint_topic, 0)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends: dict[Any, int] = await consumer.end_offsets(tps)
            key = self._transactional_id.encode()
            last: list[int] = []
            deadline = asyncio.get_running_loop().time() + 10
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("reading the relay checkpoint took too long")
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for rec in records:
                        if rec.key == key and rec.value is not None:
                            last = list(orjson.loads(rec.value)["ids"])
            return last
        finally:
            await consumer.stop()
