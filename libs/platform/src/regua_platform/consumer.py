"""The consumer runner: one consumer per lane, handlers per event type (see
:mod:`regua_platform.handlers`).

A service splits its topics into lanes (:class:`Lane`), each consumed by its
own consumer in its own consumer group, concurrently: a backlog on one lane
(the 08:00 burst of ``step-due``) never delays the records of another (the
payment that must stop it). The first lane keeps the group named after the
service; another lane's group is ``<service>.<lane>`` and, the first time it
owns a partition, starts where the service's group had committed on it (so
moving a topic to a new lane neither re-reads nor skips anything).

Records come in batches (``getmany``, at most ``kafka.consumer_max_records``).
A batch is handled in ONE transaction: skip cheaply what has no handler here
(its type read from the ``ce_type`` header, else the body's ``type``, without
validating); parse the rest (a record that is not a valid event goes to
``<topic>.dlq`` at once); claim all their ids in the inbox with one statement
(a redelivered event has no second effect); run each claimed event's handlers
in offset order; commit; and only then commit the Kafka offsets (skipped
records' offsets too). One commit per batch instead of one per event is most of
what a consumer costs under load.

When anything in the batch fails, the batch's transaction is rolled back and
its records are handled again one by one, each in its own transaction: the
failing record is then retried with backoff and, if it keeps failing, goes to
``<topic>.dlq`` with the error attached, while the others are handled. (So a
record of a failed batch may see ``max_attempts`` + 1 calls of its handlers,
each in a transaction of its own that rolled back.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import orjson
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from regua_contracts import ContractError, Envelope, parse_envelope
from regua_contracts.topics import dlq_topic, namespaced
from regua_platform import metrics
from regua_platform.aio import Urgency
from regua_platform.handlers import BoundHandler, EventMeta, Lane, Subscriptions
from regua_platform.kafka import connection_options, group_consumer, trace_context
from regua_platform.settings import KafkaSettings
from regua_platform.uow import UnitOfWork

log = logging.getLogger("regua.consumer")
tracer = trace.get_tracer("regua.consumer")


# Headers added to a dead letter.
DLQ_ERROR = "regua-dlq-error"
DLQ_TOPIC = "regua-dlq-original-topic"
DLQ_PARTITION = "regua-dlq-original-partition"
DLQ_OFFSET = "regua-dlq-original-offset"
DLQ_ATTEMPTS = "regua-dlq-attempts"
DLQ_GROUP = "regua-dlq-consumer-group"
DLQ_HEADERS = (DLQ_ERROR, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_ATTEMPTS, DLQ_GROUP)

#: The CloudEvents Kafka binding's header for the event type.
TYPE_HEADER = "ce_type"


class ConsumerRunner:
    """Consumes ``topics`` in one consumer group: ``<service>`` when ``lane`` is
    None (the service's first lane), else ``<service>.<lane>``."""

    def __init__(
        self,
        *,
        service: str,
        topics: Sequence[str],
        handlers: Mapping[str, Sequence[BoundHandler]],
        uow_factory: Callable[[], UnitOfWork],
        kafka: KafkaSettings,
        dlq_producer: AIOKafkaProducer,
        lane: str | None = None,
        consumer_factory: Callable[[], AIOKafkaConsumer] | None = None,
        urgency: Urgency | None = None,
        defers_to: Urgency | None = None,
    ) -> None:
        self._given: dict[str, Any] = {
            "service": service,
            "topics": topics,
            "handlers": handlers,
            "kafka": kafka,
            "lane": lane,
            "consumer_factory": consumer_factory,
            "defers_to": defers_to,
        }
        self.service = service
        self.lane = lane or "main"
        #: The lane is urgent: it holds ``urgency`` while it handles a batch.
        self.urgent = urgency is not None
        self._kafka = kafka
        self.topics = [namespaced(t, kafka.topic_namespace) for t in topics]
        self._handlers = handlers
        self._uow_factory = uow_factory
        self._dlq = dlq_producer
        self.service_group_id = f"{kafka.topic_namespace}{service}"
        self.group_id = self.service_group_id if lane is None else f"{self.service_group_id}.{lane}"
        client_id = f"{service}-consumer" if lane is None else f"{service}-{lane}-consumer"
        self._consumer_factory = consumer_factory or (
            lambda: group_consumer(kafka, group_id=self.group_id, client_id=client_id)
        )
        self.ready = asyncio.Event()
        #: Held while this (urgent) lane handles a batch ...
        self._urgency = urgency
        #: ... and waited for by a bulk lane before each of its batches.
        self._defers_to = defers_to

    def moved(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        dlq_producer: AIOKafkaProducer,
        urgency: Urgency | None,
    ) -> ConsumerRunner:
        """The same lane over other resources (another event loop's pool and
        producer: see :mod:`regua_platform.lane_thread`)."""
        return type(self)(uow_factory=uow_factory, dlq_producer=dlq_producer, urgency=urgency, **self._given)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is finished and its
        offsets committed first."""
        await self._seed_group()
        consumer = self._consumer_factory()
        consumer.subscribe(self.topics)
        await consumer.start()
        self.ready.set()
        try:
            while not stop.is_set():
                # Returns as soon as records arrive; the timeout only paces an idle loop.
                batch = await consumer.getmany(timeout_ms=500, max_records=self._kafka.consumer_max_records)
                records = [record for part in batch.values() for record in part]
                self._observe_age(records, metrics.FETCH_AGE)
                if records and self._defers_to is not None:
                    await self._defers_to.calm()  # a bulk lane lets an urgent batch go first
                if records:
                    with self._urgency or contextlib.nullcontext():
                        await self.handle_batch(records)
                        await self._commit(
                            consumer, {tp: part[-1].offset + 1 for tp, part in batch.items() if part}
                        )
                    self._observe_age(records, metrics.EVENT_AGE)
                await self._measure_lag(consumer)
        finally:
            self.ready.clear()
            await consumer.stop()

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        await consumer.commit(offsets)

    def _observe_age(self, records: Sequence[ConsumerRecord[bytes, bytes]], histogram: Any) -> None:
        now_ms = time.time() * 1000
        for record in records:
            histogram.labels(self.service, record.topic).observe(max(now_ms - record.timestamp, 0) / 1000)

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            position = await consumer.position(tp)
            metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(
                max(high - position, 0)
            )

    async def handle_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Handle ``records`` (in offset order per partition) in one transaction,
        falling back to one by one when anything in it fails."""
        started = time.perf_counter()
        parsed: list[tuple[ConsumerRecord[bytes, bytes], Envelope, Sequence[BoundHandler]]] = []
        for record in records:
            outcome = await self._screen(record)
            if isinstance(outcome, str):
                self.on_outcome(record, outcome, time.perf_counter() - started)
            else:
                parsed.append((record, outcome, self._handlers[outcome.type]))
        if not parsed:
            return
        if len(parsed) == 1:  # no batch to fall back from
            record, envelope, _ = parsed[0]
            self.on_outcome(record, await self._handle_one(record, envelope), time.perf_counter() - started)
            return
        try:
            outcomes = await self._apply_batch(parsed)
        except Exception as exc:
            log.warning(
                "consumer.batch.failed",
                extra={"records": len(parsed), "error": type(exc).__name__, "lane": self.lane},
            )
            for record, _, _ in parsed:
                await self.handle(record)
            return
        for (record, _, _), outcome in zip(parsed, outcomes, strict=True):
            self.on_outcome(record, outcome, time.perf_counter() - started)

    async def _screen(self, record: ConsumerRecord[bytes, bytes]) -> Envelope | str:
        """The record's envelope when a handler here takes it, else its outcome
        (``ignored``, or ``dead_lettered`` when it is not a valid event)."""
        if not self._wanted(record):
            return "ignored"
        try:
            envelope = parse_envelope(record.value or b"")
        except ContractError as exc:
            log.warning("consumer.event.invalid", extra={"topic": record.topic, "offset": record.offset})
            await self._dead_letter(record, f"ContractError: {exc}", attempts=1)
            return "dead_lettered"
        return envelope if self._handlers.get(envelope.type) else "ignored"

    async def _apply_batch(
        self, parsed: Sequence[tuple[ConsumerRecord[bytes, bytes], Envelope, Sequence[BoundHandler]]]
    ) -> list[str]:
        async with self._uow_factory() as uow:
            fresh = await uow.claim_many([(envelope, record.topic) for record, envelope, _ in parsed])
            outcomes: list[str] = []
            for record, envelope, handlers in parsed:
                if envelope.id not in fresh:
                    outcomes.append("duplicate")
                    continue
                fresh.discard(envelope.id)  # the same event twice in one batch: once
                with self._span(record, envelope):
                    meta = EventMeta.of(envelope, record.topic)
                    for handler in handlers:
                        await handler(envelope.payload, meta, uow)
                outcomes.append("handled")
            await uow.commit()
        return outcomes

    def on_outcome(self, record: ConsumerRecord[bytes, bytes], outcome: str, seconds: float) -> None:
        """Called once per record with how it ended (``handled``, ``duplicate``,
        ``ignored``, ``dead_lettered``) and the seconds its batch took so far."""
        metrics.EVENTS_CONSUMED.labels(self.service, record.topic, outcome).inc()
        if outcome != "ignored":
            metrics.HANDLER_LATENCY.labels(self.service, record.topic).observe(seconds)

    def _span(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope
    ) -> AbstractContextManager[trace.Span]:
        return tracer.start_as_current_span(
            f"{record.topic} process",
            context=trace_context(record.headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group_id,
                "messaging.message.id": envelope.id,
                "messaging.kafka.offset": record.offset,
                "cloudevents.event_type": envelope.type,
            },
        )

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Handle one record in its own transaction, with retries and the dead
        letter topic; returns the outcome."""
        started = time.perf_counter()
        outcome = await self._handle(record)
        self.on_outcome(record, outcome, time.perf_counter() - started)
        return outcome

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        screened = await self._screen(record)
        return screened if isinstance(screened, str) else await self._handle_one(record, screened)

    async def _handle_one(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope) -> str:
        handlers = self._handlers[envelope.type]
        with self._span(record, envelope) as span:
            attempts = self._kafka.max_attempts
            for attempt in range(1, attempts + 1):
                try:
                    return await self._apply(envelope, record.topic, handlers)
                except Exception as exc:
                    span.record_exception(exc)
                    log.warning(
                        "consumer.handler.failed",
                        extra={
                            "event_id": envelope.id,
                            "event_type": envelope.type,
                            "attempt": attempt,
                            "error": type(exc).__name__,
                        },
                    )
                    if attempt == attempts:
                        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                        await self._dead_letter(record, _error_text(exc), attempts=attempt)
                        return "dead_lettered"
                    await asyncio.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")

    def _wanted(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Whether a handler here takes the record's event type, read from the
        ``ce_type`` header or else the body's top-level ``type``, without
        validating the event. Unreadable records are wanted: the full parse
        dead-letters them."""
        for key, value in record.headers or ():
            if key == TYPE_HEADER and value:
                return value.decode(errors="replace") in self._handlers
        try:
            body = orjson.loads(record.value or b"")
        except orjson.JSONDecodeError:
            return True
        kind = body.get("type") if isinstance(body, dict) else None
        return not isinstance(kind, str) or kind in self._handlers

    async def _seed_group(self) -> None:
        """Start a lane's new group where the service's group stood: before
        joining, commit for this group the service group's offsets on the
        lane's partitions this group never committed on. A group another
        member already runs refuses the commit; that member seeded it."""
        if self.group_id == self.service_group_id:
            return
        admin = AIOKafkaAdminClient(**connection_options(self._kafka))
        await admin.start()
        try:
            mine = await admin.list_consumer_group_offsets(self.group_id)
            theirs = await admin.list_consumer_group_offsets(self.service_group_id)
        finally:
            await admin.close()
        seed = {
            tp: at.offset
            for tp, at in theirs.items()
            if tp.topic in self.topics and at.offset >= 0 and (tp not in mine or mine[tp].offset < 0)
        }
        if not seed:
            return
        seeder = AIOKafkaConsumer(
            **connection_options(self._kafka), group_id=self.group_id, enable_auto_commit=False
        )
        await seeder.start()
        try:
            seeder.assign(list(seed))
            await seeder.commit(seed)
            log.info("consumer.lane.seeded", extra={"lane": self.lane, "partitions": len(seed)})
        except KafkaError as exc:
            log.warning("consumer.lane.seed_skipped", extra={"lane": self.lane, "error": type(exc).__name__})
        finally:
            await seeder.stop()

    async def _apply(self, envelope: Envelope, topic: str, handlers: Sequence[BoundHandler]) -> str:
        meta = EventMeta.of(envelope, topic)
        async with self._uow_factory() as uow:
            if not await uow.claim(envelope, topic=topic):
                return "duplicate"
            for handler in handlers:
                await handler(envelope.payload, meta, uow)
            await uow.commit()
        return "handled"

    def _backoff(self, attempt: int) -> float:
        base = self._kafka.retry_backoff_ms / 1000
        return float(min(base * 2 ** (attempt - 1), self._kafka.retry_backoff_max_ms / 1000))

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str, *, attempts: int) -> None:
        headers = [(k, v) for k, v in record.headers or () if k not in DLQ_HEADERS]
        headers += [
            (DLQ_ERROR, error[:4000].encode()),
            (DLQ_TOPIC, record.topic.encode()),
            (DLQ_PARTITION, str(record.partition).encode()),
            (DLQ_OFFSET, str(record.offset).encode()),
            (DLQ_ATTEMPTS, str(attempts).encode()),
            (DLQ_GROUP, self.group_id.encode()),
        ]
        target = dlq_topic(record.topic)
        await self._dlq.send_and_wait(target, value=record.value, key=record.key, headers=headers)
        metrics.DLQ_MESSAGES.labels(self.service, target).inc()
        log.error(
            "consumer.event.dead_lettered",
            extra={"topic": record.topic, "offset": record.offset, "attempts": attempts},
        )


def lane_runners(
    *,
    service: str,
    subscriptions: Subscriptions,
    lanes: Sequence[Lane],
    uow_factory: Callable[[], UnitOfWork],
    kafka: KafkaSettings,
    dlq_producer: AIOKafkaProducer,
    runner: type[ConsumerRunner] = ConsumerRunner,
    urgency: Urgency | None = None,
) -> list[ConsumerRunner]:
    """One runner per lane of ``subscriptions`` (see :meth:`Subscriptions.lanes`);
    the first declared lane, or the only one, is consumed in the service's group."""
    first = lanes[0].name if lanes else None
    consumed = subscriptions.lanes(lanes)
    any_urgent = urgency is not None and any(lane.urgent for lane in consumed)
    return [
        runner(
            service=service,
            topics=lane.topics,
            handlers=subscriptions.handlers,
            uow_factory=uow_factory,
            kafka=kafka,
            dlq_producer=dlq_producer,
            lane=None if first in (None, lane.name) else lane.name,
            urgency=urgency if lane.urgent else None,
            defers_to=urgency if any_urgent and not lane.urgent else None,
        )
        for lane in consumed
    ]


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


async def redrive(
    kafka: KafkaSettings,
    topic: str,
    *,
    limit: int | None = None,
    client_id: str = "regua-redrive",
) -> int:
    """Publish the dead letters of ``topic`` back to the topic they came from
    (their original-topic header), once each, and return how many. Reads what
    was in ``<topic>.dlq`` when called; committed per record under the consumer
    group ``regua-redrive``, so an interrupted re-drive resumes where it stopped."""
    source = dlq_topic(namespaced(topic, kafka.topic_namespace))
    consumer = group_consumer(kafka, group_id=f"{kafka.topic_namespace}regua-redrive", client_id=client_id)
    from regua_platform.kafka import idempotent_producer

    producer = idempotent_producer(kafka, client_id=client_id)
    await producer.start()
    await consumer.start()
    moved = 0
    try:
        await consumer._client.force_metadata_update()
        parts = consumer._client.cluster.partitions_for_topic(source) or set()
        tps = [TopicPartition(source, p) for p in sorted(parts)]
        consumer.assign(tps)
        committed = {tp: await consumer.committed(tp) for tp in tps}
        for tp, offset in committed.items():
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)
        ends = await consumer.end_offsets(tps)
        while limit is None or moved < limit:
            pending = [tp for tp in tps if await consumer.position(tp) < ends[tp]]
            if not pending:
                break
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                for rec in records:
                    if limit is not None and moved >= limit:
                        break
                    original = dict(rec.headers or ()).get(DLQ_TOPIC)
                    target = original.decode() if original else source.removesuffix(".dlq")
                    headers = [(k, v) for k, v in rec.headers or () if k not in DLQ_HEADERS]
                    await producer.send_and_wait(target, value=rec.value, key=rec.key, headers=headers)
                    await consumer.commit({tp: rec.offset + 1})
                    moved += 1
    finally:
        await consumer.stop()
        await producer.stop()
    return moved
