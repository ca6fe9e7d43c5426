"""scheduler-service served for real: migrations on a fresh database, uvicorn on a
free port, real Kafka topics under a fresh namespace, and a FixedClock the test moves."""

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
from sqlalchemy import text

from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import DUNNING_STEP_DUE, namespaced
from regua_devtools.testing import (
    Collected,
    Settler,
    admin_token,
    collect_events,
    serve,
    wait_for,
    wait_worker_passes,
)
from regua_platform import migrations
from regua_platform.app import create_app
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings
from scheduler_service.main import DEFINITION
from scheduler_service.settings import Settings, TimerSettings

SECRET = "scheduler-test-secret-long-enough-for-hs256-0123456789"
#: Tuesday 2026-12-01 10:00 in São Paulo.
START = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


async def clean(database_url: str) -> None:
    """Tests share one database and the timer scans all of it: start each empty."""
    engine = create_engine(DatabaseSettings(url=database_url), application_name="scheduler-tests")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "truncate scheduler.steps, scheduler.invoice_plans, scheduler.policies, scheduler.outbox, scheduler.inbox"
            )
        )
    await engine.dispose()


def settings_for(database_url: str, kafka: KafkaSettings) -> Settings:
    return Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=database_url),
        kafka=kafka,
        timer=TimerSettings(interval_ms=50, batch_size=50),
    )


def token(tenant_id: UUID) -> str:
    return admin_token(SECRET, tenant_id)


@dataclass
class Served:
    client: httpx.AsyncClient
    clock: FixedClock
    kafka: KafkaSettings
    producer: AIOKafkaProducer
    step_due: Collected
    settler: Settler
    tenant_id: UUID = field(default_factory=uuid4)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.tenant_id)}"}

    async def produce(self, payload: Payload, *, tenant_id: UUID | None = None) -> Envelope:
        envelope = new_envelope(
            payload, tenant_id=tenant_id or self.tenant_id, source="/regua/test", time=self.clock.now()
        )
        meta = await self.producer.send_and_wait(
            namespaced(envelope.topic, self.kafka.topic_namespace), value=envelope.to_json(), key=envelope.key
        )
        self.settler.record(meta)
        return envelope

    async def settled(self) -> None:
        """The timer has run a whole pass since now (say, after the clock moved),
        everything produced is handled, and every step-due is in ``step_due``."""
        await wait_worker_passes(self.client, "scheduler-service", "timer")
        await self.settler.settled()

    async def timeline(self, invoice_id: UUID) -> dict[str, Any]:
        response = await self.client.get(f"/v1/invoices/{invoice_id}/timeline", headers=self.auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_timeline(self, invoice_id: UUID, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        async def check() -> bool:
            response = await self.client.get(f"/v1/invoices/{invoice_id}/timeline", headers=self.auth)
            if response.status_code != 200:
                return False
            seen.update(response.json())
            return bool(predicate(seen))

        await wait_for(check, timeout=timeout)
        return seen


@pytest.fixture
async def served(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Served]:
    await clean(migrated)
    clock = FixedClock(START)
    app = create_app(DEFINITION, settings_for(migrated, kafka_settings), role="all", clock=clock)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    topic = namespaced(DUNNING_STEP_DUE, kafka_settings.topic_namespace)
    try:
        async with collect_events(kafka_settings.bootstrap_servers, topic) as step_due, serve(app) as client:
            # The consumer group must own its partitions before events are produced.
            await wait_for(
                lambda: app.state.runtime.consumer and app.state.runtime.consumer.ready.is_set(), timeout=60
            )
            yield Served(
                client=client,
                clock=clock,
                kafka=kafka_settings,
                producer=producer,
                step_due=step_due,
                settler=Settler(kafka_settings, "scheduler-service", migrated, "scheduler", step_due),
            )
    finally:
        await producer.stop()
