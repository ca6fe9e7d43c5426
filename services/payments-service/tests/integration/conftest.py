"""payments-service served by uvicorn on a real port, over real PostgreSQL
(built by the real migrations) and real Kafka, with a fixed clock."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from payments_service.main import MIGRATIONS_DIR, create_payments_app
from payments_service.settings import Settings
from regua_contracts import Envelope, new_envelope, parse_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import PAYMENT_EVENTS, namespaced
from regua_devtools.testing import wait_for
from regua_platform import migrations
from regua_platform.auth import mint_token
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, database_url)
    return database_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Harness:
    client: httpx.AsyncClient
    clock: FixedClock
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    events: list[Envelope] = field(default_factory=list)

    def token(self, tenant_id: UUID) -> dict[str, str]:
        token = mint_token(
            secret=SECRET,
            tenant_id=tenant_id,
            scopes=["admin"],
            issuer="regua-dev",
            audience="regua",
            ttl=timedelta(minutes=10),
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {token}"}

    async def send(self, payload: Payload, tenant_id: UUID, event_id: str | None = None) -> Envelope:
        envelope = new_envelope(
            payload, tenant_id=tenant_id, source="/regua/test", time=self.clock.now(), event_id=event_id
        )
        await self.producer.send_and_wait(
            namespaced(envelope.topic, self.kafka.topic_namespace), envelope.to_json(), key=envelope.key
        )
        return envelope

    def of_type(self, suffix: str) -> list[Envelope]:
        return [e for e in self.events if e.type.endswith(suffix)]


async def _ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
async def harness(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Harness]:
    clock = FixedClock(NOW)
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_payments_app(settings, role="all", clock=clock),
            host="127.0.0.1",
            port=port,
            log_config=None,
        )
    )
    serving = asyncio.create_task(server.serve())
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    consumer = AIOKafkaConsumer(
        namespaced(PAYMENT_EVENTS, kafka_settings.topic_namespace),
        bootstrap_servers=kafka_settings.bootstrap_servers,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        h = Harness(client, clock, kafka_settings, producer)

        async def collect() -> None:
            async for record in consumer:
                h.events.append(parse_envelope(record.value or b""))

        collecting = asyncio.create_task(collect())
        await wait_for(lambda: _ready(client), timeout=60)
        yield h
        collecting.cancel()
        await asyncio.gather(collecting, return_exceptions=True)
    await consumer.stop()
    await producer.stop()
    server.should_exit = True
    await asyncio.wait_for(serving, timeout=30)


def new_tenant() -> UUID:
    return uuid4()
