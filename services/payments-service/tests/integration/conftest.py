"""payments-service served by uvicorn on a real port, over real PostgreSQL
(built by the real migrations) and real Kafka, with a fixed clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from payments_service.main import DEFINITION, MIGRATIONS_DIR
from payments_service.settings import Settings
from regua_contracts.topics import PAYMENT_EVENTS
from regua_devtools.testing import ServiceHarness, service_harness
from regua_platform import migrations
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, database_url)
    return database_url


Harness = ServiceHarness


@pytest.fixture
async def harness(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Harness]:
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
    )
    async with service_harness(
        DEFINITION, settings, clock=FixedClock(NOW), collect=PAYMENT_EVENTS, secret=SECRET
    ) as h:
        yield h


def new_tenant() -> UUID:
    return uuid4()
