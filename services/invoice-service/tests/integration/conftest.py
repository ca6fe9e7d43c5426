"""A real invoice-service: migrated database, uvicorn on a free port, the worker
role running (relay, consumer, overdue scanner), a FixedClock, and a Kafka
listener recording every invoice event the service publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

import regua_platform.migrations
from invoice_service.main import DEFINITION
from invoice_service.settings import Settings
from regua_contracts import Envelope
from regua_contracts.base import Payload
from regua_contracts.topics import INVOICE_EVENTS
from regua_devtools.testing import ServiceHarness, service_harness
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "invoice-service-test-secret-0123456789-abcdefgh"
#: 12:00 in São Paulo on 2026-03-10.
START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


class Service(ServiceHarness):
    async def produce_agreement(self, payload: Payload, tenant: Any = None) -> Envelope:
        return await self.produce(payload, tenant)

    async def scanned(self) -> None:
        """The overdue scanner has run a whole pass since now (say, after the clock moved)."""
        await self.passes("overdue_scanner")

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
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
        overdue_scan_interval_seconds=0.1,
    )
    async with service_harness(
        DEFINITION, settings, clock=FixedClock(START), collect=INVOICE_EVENTS, secret=SECRET, harness=Service
    ) as harness:
        yield harness
