"""A real notifier-service (API + consumer + sender worker) on a free port,
against the session's PostgreSQL, a fresh Kafka namespace, and the channel
sandbox served in-process on free ports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

import regua_platform.migrations
from notifier_service.main import DEFINITION
from notifier_service.settings import Settings, SmsSettings, SmtpSettings, WhatsAppSettings
from regua_contracts import Envelope, new_envelope, parse_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import NOTIFICATION_EVENTS, namespaced
from regua_devtools.sandbox import Sandbox, running_sandbox
from regua_devtools.testing import admin_token, clear_outbox, free_port, serve, wait_committed
from regua_platform.app import create_app
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "notifier-test-secret-long-enough-for-hs256-0123456789"


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


def token(tenant_id: UUID) -> str:
    return admin_token(SECRET, tenant_id)


@dataclass
class Notifier:
    client: httpx.AsyncClient
    sandbox: Sandbox
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    tenant_id: UUID
    #: The offset of the last record this test published, per partition.
    published: dict[TopicPartition, int] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.tenant_id)}"}

    async def publish(self, payload: Payload | Envelope) -> Envelope:
        envelope = (
            payload
            if isinstance(payload, Envelope)
            else new_envelope(payload, tenant_id=self.tenant_id, source="/regua/test", time=datetime.now(UTC))
        )
        meta = await self.producer.send_and_wait(
            namespaced(envelope.topic, self.kafka.topic_namespace), envelope.to_json(), key=envelope.key
        )
        self.published[TopicPartition(meta.topic, meta.partition)] = meta.offset
        return envelope

    async def consumed(self) -> None:
        """Wait until the notifier has handled (and committed) everything published so far."""
        await wait_committed(
            self.kafka.bootstrap_servers, f"{self.kafka.topic_namespace}notifier-service", self.published
        )

    async def inbox(self, to: str) -> list[dict[str, Any]]:
        response = await httpx.AsyncClient().get(f"{self.sandbox.http_url}/api/messages")
        return [m for m in response.json() if m["to"] == to]

    async def messages(self, invoice_id: UUID) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/v1/messages", params={"invoice_id": str(invoice_id)}, headers=self.auth
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def notification_events(self) -> list[Envelope]:
        consumer = AIOKafkaConsumer(
            namespaced(NOTIFICATION_EVENTS, self.kafka.topic_namespace),
            bootstrap_servers=self.kafka.bootstrap_servers,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=1500)
            return [parse_envelope(r.value) for records in batch.values() for r in records]
        finally:
            await consumer.stop()


@pytest.fixture
async def notifier(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Notifier]:
    """The notifier with short waits: 3 s for an invoice, 2 s for charges."""
    async with running_notifier(migrated, kafka_settings, charge_wait_seconds=2) as n:
        yield n


@pytest.fixture
async def patient_notifier(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Notifier]:
    """The notifier with a charge wait no test outlasts: whatever a test sees
    is the work of the events it published, never of a deadline."""
    async with running_notifier(migrated, kafka_settings, charge_wait_seconds=600) as n:
        yield n


@contextlib.asynccontextmanager
async def running_notifier(
    migrated: str, kafka_settings: KafkaSettings, *, charge_wait_seconds: float
) -> AsyncIterator[Notifier]:
    await clear_outbox(migrated, "notifier")
    async with running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox:
        settings = Settings(
            auth=AuthSettings(jwt_secret=SECRET),
            database=DatabaseSettings(url=migrated),
            kafka=kafka_settings,
            smtp=SmtpSettings(port=sandbox.smtp_port),
            sms=SmsSettings(base_url=sandbox.http_url),
            whatsapp=WhatsAppSettings(base_url=f"{sandbox.http_url}/v20.0"),
            sender={
                "poll_interval_ms": 50,
                "retry_base_seconds": 0.05,
                "retry_max_seconds": 0.2,
                "invoice_wait_seconds": 3,
                "charge_wait_seconds": charge_wait_seconds,
                "wait_poll_seconds": 0.1,
            },
        )
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
        await producer.start()
        try:
            async with serve(create_app(DEFINITION, settings, role="all")) as client:
                yield Notifier(client, sandbox, kafka_settings, producer, uuid4())
        finally:
            await producer.stop()


Eventually = Callable[[], Awaitable[Any]]
