"""scheduler-service served for real: migrations on a fresh database, uvicorn on a
free port, real Kafka topics under a fresh namespace, and a FixedClock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from regua_contracts.topics import DUNNING_STEP_DUE
from regua_devtools.testing import Collected, ServiceHarness, admin_token, service_harness, truncate, wait_for
from regua_platform import migrations
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings
from scheduler_service.main import DEFINITION
from scheduler_service.settings import Settings, TimerSettings


def token(tenant_id: UUID) -> str:
    return admin_token(SECRET, tenant_id)


SECRET = "scheduler-test-secret-long-enough-for-hs256-0123456789"
#: Tuesday 2026-12-01 10:00 in São Paulo.
START = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


def settings_for(database_url: str, kafka: KafkaSettings) -> Settings:
    return Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=database_url),
        kafka=kafka,
        timer=TimerSettings(interval_ms=50, idle_max_ms=400, batch_size=50),
    )


class Served(ServiceHarness):
    @property
    def step_due(self) -> Collected:
        return self.events

    async def settled(self) -> None:
        """The timer has run a whole pass since now (say, after the clock moved),
        everything produced is handled, and every step-due is in ``step_due``."""
        await self.passes("timer")
        await super().settled()

    async def timeline(self, invoice_id: UUID) -> dict[str, Any]:
        response = await self.get(f"/v1/invoices/{invoice_id}/timeline")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_timeline(self, invoice_id: UUID, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        async def check() -> bool:
            response = await self.get(f"/v1/invoices/{invoice_id}/timeline")
            if response.status_code != 200:
                return False
            seen.update(response.json())
            return bool(predicate(seen))

        await wait_for(check, timeout=timeout)
        return seen


async def clean(database_url: str) -> None:
    """Tests share one database and the timer scans all of it: start each empty."""
    await truncate(database_url, "scheduler", "steps", "invoice_plans", "policies")


@pytest.fixture
async def served(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Served]:
    await clean(migrated)
    async with service_harness(
        DEFINITION,
        settings_for(migrated, kafka_settings),
        clock=FixedClock(START),
        collect=DUNNING_STEP_DUE,
        secret=SECRET,
        harness=Served,
    ) as harness:
        yield harness
