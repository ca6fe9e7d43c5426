"""A real negotiation-service: migrated database, uvicorn on a free port, the
worker role running (relay, invoice-events consumer, agreement breaker), a
FixedClock, a producer standing in for invoice-service and a Kafka listener
recording every agreement event the service publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

import regua_platform.migrations
from negotiation_service.main import DEFINITION
from negotiation_service.settings import Settings
from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.topics import AGREEMENT_EVENTS, INVOICE_EVENTS, namespaced
from regua_devtools.testing import (
    Collected,
    Settler,
    admin_token,
    collect_events,
    serve,
    wait_for,
    wait_worker_passes,
)
from regua_platform.app import create_app
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine
from regua_platform.kafka import idempotent_producer
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "negotiation-service-test-secret-0123456789-abcd"
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

    async def produce(self, payload: Payload, tenant: UUID | None = None) -> Envelope:
        """Publish as invoice-service would."""
        envelope = new_envelope(
            payload, tenant_id=tenant or self.tenant, source="/regua/invoice-service", time=self.clock.now()
        )
        meta = await self.producer.send_and_wait(
            namespaced(INVOICE_EVENTS, self.kafka.topic_namespace), value=envelope.to_json(), key=envelope.key
        )
        self.settler.record(meta)
        return envelope

    async def settled(self) -> None:
        """The breaker has run a whole pass since now (say, after the clock moved),
        everything produced is handled, and every event it caused is in ``events``."""
        await wait_worker_passes(self.client, "negotiation-service", "agreement_breaker")
        await self.settler.settled()

    async def issued(
        self,
        debtor_id: UUID,
        amount_cents: int = 100_000,
        due_date: date = date(2026, 2, 8),
        invoice_id: UUID | None = None,
        agreement_id: UUID | None = None,
    ) -> UUID:
        invoice_id = invoice_id or uuid4()
        await self.produce(
            InvoiceIssuedV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                external_id=f"i-{invoice_id.hex[:8]}",
                amount_cents=amount_cents,
                due_date=due_date,
                issued_at=self.clock.now(),
                agreement_id=agreement_id,
            )
        )
        return invoice_id

    async def overdue(self, debtor_id: UUID, invoice_id: UUID, due_date: date, amount_due_cents: int) -> None:
        await self.produce(
            InvoiceOverdueV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                due_date=due_date,
                overdue_since=due_date + timedelta(days=1),
                amount_due_cents=amount_due_cents,
            )
        )

    async def status_changed(
        self,
        debtor_id: UUID,
        invoice_id: UUID,
        status: str,
        previous: str = "open",
        paid: int = 0,
        due: int = 0,
    ) -> None:
        await self.produce(
            InvoiceStatusChangedV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                previous_status=previous,  # type: ignore[arg-type]
                status=status,  # type: ignore[arg-type]
                reason="test",
                amount_paid_cents=paid,
                amount_due_cents=due,
                changed_at=self.clock.now(),
            )
        )

    async def known(self, debtor_id: UUID, invoice_ids: list[UUID]) -> None:
        """Wait until the projection has the invoices (simulation answers 200)."""

        async def ready() -> bool:
            r = await self.post(
                "/v1/offers:simulate",
                {"debtor_id": str(debtor_id), "invoice_ids": [str(i) for i in invoice_ids]},
            )
            return r.status_code == 200

        await wait_for(ready)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


async def drop_stale_outbox(database_url: str) -> None:
    """Tests share one database but each has its own Kafka namespace: an event a
    previous test left unrelayed targets a deleted topic and would block the relay."""
    engine = create_engine(DatabaseSettings(url=database_url), application_name="negotiation-tests")
    async with engine.begin() as conn:
        await conn.execute(text("truncate negotiation.outbox"))
    await engine.dispose()


@pytest.fixture
async def service(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Service]:
    await drop_stale_outbox(migrated)
    clock = FixedClock(START)
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
        breaker_interval_seconds=0.1,
    )
    producer = idempotent_producer(kafka_settings, client_id="negotiation-tests")
    await producer.start()
    app = create_app(DEFINITION, settings, role="all", clock=clock)
    topic = namespaced(AGREEMENT_EVENTS, kafka_settings.topic_namespace)
    try:
        async with collect_events(kafka_settings.bootstrap_servers, topic) as events, serve(app) as client:
            settler = Settler(kafka_settings, "negotiation-service", migrated, "negotiation", events)
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
