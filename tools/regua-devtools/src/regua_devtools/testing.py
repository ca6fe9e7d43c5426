"""pytest fixtures giving tests a real Kafka broker and a real PostgreSQL.

They reuse the dev stack's provisioning code: the servers named by
``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``, else the running dev stack's,
else ones started for the session (and stopped after it). Each session gets a
fresh database; each test asking for ``kafka_settings`` gets its own topics
under a fresh namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from regua_contracts import Envelope, new_envelope, parse_envelope
from regua_contracts.base import Payload
from regua_contracts.registry import spec_of
from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS, namespaced
from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.topics import ensure_topics
from regua_platform.auth import mint_token
from regua_platform.settings import KafkaSettings


def pytest_configure(config: pytest.Config) -> None:
    """Services under test serve ``/metrics`` without the metrics token (they
    listen on loopback only); tests of the token set ``public_metrics=False``."""
    for prefix in ("INVOICE", "SCHEDULER", "NOTIFIER", "NEGOTIATION", "PAYMENTS", "TEST"):
        os.environ.setdefault(f"REGUA_{prefix}_TELEMETRY__PUBLIC_METRICS", "true")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """The session's Kafka and PostgreSQL: by default the dev stack's own
    processes (no Docker); with ``REGUA_TEST_INFRA=containers``, containers
    from testcontainers (:mod:`regua_devtools.containers`)."""
    choice = os.environ.get("REGUA_TEST_INFRA", "processes")
    if choice == "containers":
        from regua_devtools.containers import container_infra

        with container_infra() as started:
            yield started
        return
    if choice != "processes":
        raise pytest.UsageError(f"REGUA_TEST_INFRA={choice!r}: use processes (default) or containers")
    started = ensure_infra()
    yield started
    started.stop()


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextlib.asynccontextmanager
async def fresh_database(infra: Infra) -> AsyncIterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    name = f"regua_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_libpq(infra.database_url))
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    base, _, _ = infra.database_url.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(_libpq(infra.database_url))
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database_url(infra: Infra) -> AsyncIterator[str]:
    """A database of its own for this test session, dropped afterwards."""
    async with fresh_database(infra) as url:
        yield url


async def fresh_namespace(bootstrap: str, prefix: str = "t") -> str:
    """A new topic namespace with every platform topic created under it."""
    namespace = f"{prefix}{secrets.token_hex(4)}."
    await ensure_topics(
        bootstrap,
        [namespaced(t, namespace) for t in ALL_TOPICS],
        compacted={namespaced(t, namespace) for t in COMPACTED_TOPICS},
    )
    return namespace


async def drop_namespace(bootstrap: str, namespace: str) -> None:
    """Delete every topic of ``namespace``: a broker that kept each test's topics
    would run out of file handles after a few thousand partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


@pytest.fixture
async def kafka_settings(infra: Infra) -> AsyncIterator[KafkaSettings]:
    """Kafka settings whose every topic is fresh: a new namespace per test,
    deleted afterwards."""
    namespace = await fresh_namespace(infra.bootstrap_servers)
    yield KafkaSettings(
        bootstrap_servers=infra.bootstrap_servers,
        topic_namespace=namespace,
        retry_backoff_ms=10,
        retry_backoff_max_ms=50,
        relay_poll_interval_ms=20,
    )
    await drop_namespace(infra.bootstrap_servers, namespace)


async def wait_for(predicate: object, *, timeout: float = 20.0, interval: float = 0.05) -> None:  # noqa: ASYNC109
    """Wait until ``predicate()`` (sync or async) is truthy; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def wait_committed(
    bootstrap: str,
    group_id: str,
    offsets: Mapping[TopicPartition, int],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> None:
    """Wait until consumer group ``group_id`` has committed past each given
    record offset: our consumers commit only after the handler's transaction,
    so by then every effect of those records is in the database. The way to
    assert that something did *not* happen without sleeping."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def done() -> bool:
            committed = await admin.list_consumer_group_offsets(group_id, partitions=list(offsets))
            return all(tp in committed and committed[tp].offset > at for tp, at in offsets.items())

        await wait_for(done, timeout=timeout)
    finally:
        await admin.close()


async def worker_passes(client: httpx.AsyncClient, service: str, worker: str, *, base_url: str = "") -> float:
    """``regua_worker_passes_total`` of one worker loop, read from ``/metrics``
    (of ``base_url`` when the client is not bound to the service)."""
    text = (await client.get(f"{base_url}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "regua_worker_passes_total"
                and sample.labels.get("service") == service
                and sample.labels.get("worker") == worker
            ):
                return float(sample.value)
    return 0.0


async def wait_worker_passes(
    client: httpx.AsyncClient,
    service: str,
    worker: str,
    *,
    passes: int = 2,
    base_url: str = "",
    timeout: float = 30.0,  # noqa: ASYNC109
) -> None:
    """Wait until ``worker`` has completed ``passes`` more passes. Two are
    enough to know that one pass started after this call (say, after a test
    moved the clock) and finished: what it would do, it has done."""
    start = await worker_passes(client, service, worker, base_url=base_url)

    async def done() -> bool:
        return await worker_passes(client, service, worker, base_url=base_url) >= start + passes

    await wait_for(done, timeout=timeout, interval=0.02)


async def wait_outbox_empty(database_url: str, schema: str, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until the relay has published every event in ``schema``'s outbox."""
    conn = await asyncpg.connect(_libpq(database_url))
    try:

        async def empty() -> bool:
            query = f'select exists (select 1 from "{schema}".outbox)'  # noqa: S608 (a schema name of ours)
            return not await conn.fetchval(query)

        await wait_for(empty, timeout=timeout)
    finally:
        await conn.close()


@dataclass
class Settler:
    """Knows when a service under test has finished reacting to what a test
    produced, so a test asserts that nothing (more) happened without sleeping.

    ``record`` each record the test produces; ``settled()`` waits until the
    service's consumer group committed past them (their handlers' effects are
    stored), the relay emptied the outbox (what they caused is on Kafka) and
    ``events``, when given, holds every event committed to its topic.
    """

    kafka: KafkaSettings
    service: str
    database_url: str
    schema: str
    events: Collected | None = None
    published: dict[TopicPartition, int] = field(default_factory=dict)
    #: The consumer group of each (namespaced) topic when the service runs
    #: lanes; a topic not listed is the service's group.
    groups: dict[str, str] = field(default_factory=dict)

    def record(self, meta: Any) -> None:
        """Note a produced record (the ``RecordMetadata`` of ``send_and_wait``)."""
        self.published[TopicPartition(meta.topic, meta.partition)] = meta.offset

    async def settled(self) -> None:
        default = f"{self.kafka.topic_namespace}{self.service}"
        by_group: dict[str, dict[TopicPartition, int]] = {}
        for tp, offset in self.published.items():
            by_group.setdefault(self.groups.get(tp.topic, default), {})[tp] = offset
        for group, offsets in by_group.items():
            await wait_committed(self.kafka.bootstrap_servers, group, offsets)
        await wait_outbox_empty(self.database_url, self.schema)
        if self.events is not None:
            await self.events.caught_up()


def admin_token(secret: str, tenant_id: UUID | str) -> str:
    """A bearer token with the ``admin`` scope for ``tenant_id``, valid one hour,
    as the dev stack's services expect (issuer ``regua-dev``, audience ``regua``)."""
    return mint_token(
        secret=secret,
        tenant_id=tenant_id,
        scopes=["admin"],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.asynccontextmanager
async def serve(app: Any, *, timeout: float = 60.0) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ASYNC109
    """Serve ``app`` with uvicorn on a free port (real HTTP) and yield a client
    bound to it once ``/readyz`` answers 200; shut the server down afterwards."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, proxy_headers=False
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await wait_for(lambda: task.done() or _ready(client), timeout=timeout)
            if task.done():
                task.result()
                raise RuntimeError("the server stopped during start-up")
            yield client
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


class Collected(list[Envelope]):
    """The events :func:`collect_events` has read so far."""

    def __init__(self, consumer: AIOKafkaConsumer, topic: str) -> None:
        super().__init__()
        self._consumer = consumer
        self._topic = topic
        #: Where the collector stands, per partition, once what it fetched is in the list.
        self.positions: dict[TopicPartition, int] = {}

    async def caught_up(self, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every event committed to the topic before this call is in the list."""
        partitions = self._consumer.partitions_for_topic(self._topic) or set()
        ends = await self._consumer.end_offsets([TopicPartition(self._topic, p) for p in partitions])
        await wait_for(
            lambda: all(self.positions.get(tp, 0) >= end for tp, end in ends.items()), timeout=timeout
        )


@contextlib.asynccontextmanager
async def collect_events(bootstrap: str, topic: str) -> AsyncIterator[Collected]:
    """Every event committed to ``topic`` (namespaced name) while the block
    runs, parsed; the consumer is positioned before the block starts."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    sink = Collected(consumer, topic)

    async def pump() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            for records in batch.values():
                sink.extend(parse_envelope(r.value or b"") for r in records)
            for tp in consumer.assignment():
                sink.positions[tp] = await consumer.position(tp)

    task = asyncio.create_task(pump())
    try:
        yield sink
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()


@dataclass
class ServiceHarness:
    """One service under test, in process: its real HTTP API on a free port
    (``client``), its consumers, relay and workers, an injected clock, a
    producer for the events other services would publish, and a collector of
    what it publishes (``events``). Service test suites subclass it to add
    their own helpers (``debtor()``, ``invoice()`` ...)."""

    service: str
    client: httpx.AsyncClient
    clock: Any
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    events: Collected
    settler: Settler
    secret: str
    tenant: UUID = field(default_factory=uuid4)

    def auth(self, tenant: UUID | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {admin_token(self.secret, tenant or self.tenant)}"}

    async def get(self, path: str, tenant: UUID | None = None, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(tenant))

    async def post(self, path: str, body: Any, tenant: UUID | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth(tenant))

    async def put(self, path: str, body: Any, tenant: UUID | None = None) -> httpx.Response:
        return await self.client.put(path, json=body, headers=self.auth(tenant))

    async def produce(
        self,
        payload: Payload,
        tenant: UUID | None = None,
        *,
        source: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Publish ``payload`` on its topic as its producer would (the time is the harness clock's)."""
        spec = spec_of(type(payload))
        envelope = new_envelope(
            payload,
            tenant_id=tenant or self.tenant,
            source=source or f"/regua/{spec.producer}",
            time=self.clock.now(),
            event_id=event_id,
        )
        return await self.produce_envelope(envelope)

    async def produce_envelope(self, envelope: Envelope) -> Envelope:
        meta = await self.producer.send_and_wait(
            namespaced(envelope.topic, self.kafka.topic_namespace), value=envelope.to_json(), key=envelope.key
        )
        self.settler.record(meta)
        return envelope

    def of_type(self, suffix: str, subject: UUID | str | None = None) -> list[Envelope]:
        """Collected events of ``br.regua.<suffix>.v1`` (about ``subject`` when given)."""
        return [
            e
            for e in self.events
            if e.type == f"br.regua.{suffix}.v1" and (subject is None or e.subject == str(subject))
        ]

    async def settled(self) -> None:
        """Everything produced is handled and what it caused is in ``events``."""
        await self.settler.settled()

    async def passes(self, worker: str) -> None:
        """``worker`` ran a whole pass since now (say, after the clock moved)."""
        await wait_worker_passes(self.client, self.service, worker)


async def truncate(database_url: str, schema: str, *tables: str) -> None:
    """Empty ``tables`` of ``schema`` (the outbox and inbox always): tests share
    one database, each with its own Kafka namespace, so an event a previous
    test left unrelayed would target a deleted topic and hold the relay back."""
    names = ", ".join(f'"{schema}"."{t}"' for t in (*tables, "outbox", "inbox"))
    conn = await asyncpg.connect(_libpq(database_url))
    try:
        await conn.execute(f"truncate {names}")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def service_harness(
    definition: Any,
    settings: Any,
    *,
    clock: Any,
    collect: str,
    secret: str,
    harness: type[ServiceHarness] = ServiceHarness,
) -> AsyncIterator[Any]:
    """Serve ``definition`` (role ``all``) with ``settings`` and ``clock`` and
    yield a ``harness`` once its consumer owns its partitions; ``collect`` is
    the topic (un-namespaced) whose events the harness collects."""
    from regua_platform.app import create_app
    from regua_platform.kafka import idempotent_producer

    kafka: KafkaSettings = settings.kafka
    await truncate(settings.database.url, definition.schema)
    app = create_app(definition, settings, role="all", clock=clock)
    producer = idempotent_producer(kafka, client_id=f"{definition.name}-tests")
    await producer.start()
    try:
        async with (
            collect_events(kafka.bootstrap_servers, namespaced(collect, kafka.topic_namespace)) as events,
            serve(app) as client,
        ):
            # Every lane's consumer must own its partitions before the test produces.
            runtime = app.state.runtime
            await wait_for(
                lambda: runtime.consumers and all(c.ready.is_set() for c in runtime.consumers), timeout=60
            )
            groups = {topic: c.group_id for c in runtime.consumers for topic in c.topics}
            settler = Settler(
                kafka, definition.name, settings.database.url, definition.schema, events, groups=groups
            )
            yield harness(definition.name, client, clock, kafka, producer, events, settler, secret)
    finally:
        await producer.stop()
