"""payments-service served by uvicorn on a real port, over real PostgreSQL
(built by the real migrations) and real Kafka, with a fixed clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from payments_service.main import MIGRATIONS_DIR, create_payments_app
from payments_service.settings import Settings
from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import PAYMENT_EVENTS, namespaced
from regua_devtools.testing import Collected, Settler, admin_token, clear_outbox, collect_events, serve
from regua_platform import migrations
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, database_url)
    return database_url


@dataclass
class Harness:
    client: httpx.AsyncClient
    clock: FixedClock
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    events: Collected
    settler: Settler

    def token(self, tenant_id: UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {admin_token(SECRET, tenant_id)}"}

    async def send(self, payload: Payload, tenant_id: UUID, event_id: str | None = None) -> Envelope:
        envelope = new_envelope(
            payload, tenant_id=tenant_id, source="/regua/test", time=self.clock.now(), event_id=event_id
        )
        meta = await self.producer.send_and_wait(
            namespaced(envelope.topic, self.kafka.topic_namespace), envelope.to_json(), key=envelope.key
        )
        self.settler.record(meta)
        return envelope

    async def settled(self) -> None:
        """Everything sent is handled, and every event it caused is in ``events``."""
        await self.settler.settled()

    def of_type(self, suffix: str) -> list[Envelope]:
        return [e for e in self.events if e.type.endswith(suffix)]


@pytest.fixture
async def harness(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Harness]:
    await clear_outbox(migrated, "payments")
    clock = FixedClock(NOW)
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    app = create_payments_app(settings, role="all", clock=clock)
    topic = namespaced(PAYMENT_EVENTS, kafka_settings.topic_namespace)
    try:
        async with collect_events(kafka_settings.bootstrap_servers, topic) as events, serve(app) as client:
            settler = Settler(kafka_settings, "payments-service", migrated, "payments", events)
            yield Harness(client, clock, kafka_settings, producer, events, settler)
    finally:
        await producer.stop()


def new_tenant() -> UUID:
    return uuid4()
