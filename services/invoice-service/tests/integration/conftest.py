"""A real invoice-service: migrated database, uvicorn on a free port, the worker
role running (relay, consumer, overdue scanner), a FixedClock, and a Kafka
listener recording every invoice event the service publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

import regua_platform.migrations
from invoice_service.main import DEFINITION
from invoice_service.settings import Settings
from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import AGREEMENT_EVENTS, INVOICE_EVENTS, PAYMENT_EVENTS, namespaced
from regua_devtools.testing import (
    Collected,
    Settler,
    admin_token,
    clear_outbox,
    collect_events,
    serve,
    wait_worker_passes,
)
from regua_platform.app import create_app
from regua_platform.clock import FixedClock
from regua_platform.kafka import idempotent_producer
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "invoice-service-test-secret-0123456789-abcdefgh"
#: 12:00 in São Paulo on 2026-03-10.
START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def token(tenant_id: UUID) -> str:
    return admin_token(SECRET, tenant_id)


@dataclass
class Service:
    client: httpx.AsyncClient
    clock: FixedClock
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    events: Collected
    settler: Settler
    tenant: UUID = field(default_factory=uuid4)

    def auth(self, tenant: UUID | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(tenant or self.tenant)}"}

    async def post(self, path: str, body: Any, tenant: UUID | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth(tenant))

    async def get(self, path: str, tenant: UUID | None = None, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(tenant))

    def of_type(self, suffix: str, subject: UUID | str | None = None) -> list[Envelope]:
        return [
            e
            for e in self.events
            if e.type == f"br.regua.{suffix}.v1" and (subject is None or e.subject == str(subject))
        ]

    async def produce(
        self,
        payload: Payload,
        tenant: UUID | None = None,
        *,
        topic: str = PAYMENT_EVENTS,
        source: str = "/regua/payments-service",
    ) -> Envelope:
        envelope = new_envelope(
            payload, tenant_id=tenant or self.tenant, source=source, time=self.clock.now()
        )
        meta = await self.producer.send_and_wait(
            namespaced(topic, self.kafka.topic_namespace), value=envelope.to_json(), key=envelope.key
        )
        self.settler.record(meta)
        return envelope

    async def settled(self) -> None:
        """Everything produced so far is handled, and what it caused is in ``events``."""
        await self.settler.settled()

    async def scanned(self) -> None:
        """The overdue scanner has run a whole pass since now (say, after the clock moved)."""
        await wait_worker_passes(self.client, "invoice-service", "overdue_scanner")

    async def produce_agreement(self, payload: Payload, tenant: UUID | None = None) -> Envelope:
        return await self.produce(
            payload, tenant, topic=AGREEMENT_EVENTS, source="/regua/negotiation-service"
        )

    async def debtor(self, external_id: str | None = None, **extra: Any) -> dict[str, Any]:
        body = {
            "external_id": external_id or f"d-{uuid4().hex[:8]}",
            "name": "Ana",
            "document": "529.982.247-25",
        }
        response = await self.post("/v1/debtors", {**body, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def invoice(self, debtor_id: str, **extra: Any) -> dict[str, Any]:
        body = {
            "external_id": f"i-{uuid4().hex[:8]}",
            "debtor_id": debtor_id,
            "amount_cents": 100_000,
            "due_date": "2026-03-10",
        }
        response = await self.post("/v1/invoices", {**body, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


@pytest.fixture
async def service(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Service]:
    await clear_outbox(migrated, "invoice")
    clock = FixedClock(START)
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
        overdue_scan_interval_seconds=0.1,
    )
    producer = idempotent_producer(kafka_settings, client_id="invoice-tests")
    await producer.start()
    app = create_app(DEFINITION, settings, role="all", clock=clock)
    topic = namespaced(INVOICE_EVENTS, kafka_settings.topic_namespace)
    try:
        async with collect_events(kafka_settings.bootstrap_servers, topic) as events, serve(app) as client:
            settler = Settler(kafka_settings, "invoice-service", migrated, "invoice", events)
            yield Service(
                client=client,
                clock=clock,
                kafka=kafka_settings,
                producer=producer,
                events=events,
                settler=settler,
            )
    finally:
        await producer.stop()
