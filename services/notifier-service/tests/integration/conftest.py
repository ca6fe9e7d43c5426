"""A real notifier-service (API + consumer + sender worker) on a free port,
against the session's PostgreSQL, a fresh Kafka namespace, and the channel
sandbox served in-process on free ports."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

import regua_platform.migrations
from notifier_service.main import DEFINITION
from notifier_service.settings import Settings, SmsSettings, SmtpSettings, WhatsAppSettings
from regua_contracts import Envelope
from regua_contracts.base import Payload
from regua_contracts.topics import NOTIFICATION_EVENTS
from regua_devtools.sandbox import Sandbox, running_sandbox
from regua_devtools.testing import ServiceHarness, free_port, service_harness
from regua_platform.clock import Clock, SystemClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "notifier-test-secret-long-enough-for-hs256-0123456789"
#: The portal link keys of this test run: random, never derived from SECRET.
PORTAL_KEYS = [secrets.token_urlsafe(32)]


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


class ShiftedClock:
    """The real clock moved to another instant (and movable again): messages
    are priced on that day while the sender's waits and retries still run on
    real time."""

    def __init__(self, at: datetime) -> None:
        self.move_to(at)

    def move_to(self, at: datetime) -> None:
        self._offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


@dataclass
class Notifier(ServiceHarness):
    sandbox: Sandbox | None = None

    @property
    def channels(self) -> Sandbox:
        assert self.sandbox is not None
        return self.sandbox

    async def publish(self, payload: Payload | Envelope) -> Envelope:
        """Publish as its producer would (an envelope as it is: a redelivery)."""
        if isinstance(payload, Envelope):
            return await self.produce_envelope(payload)
        return await self.produce(payload)

    async def consumed(self) -> None:
        """The notifier has handled (and committed) everything published so far."""
        await self.settled()

    async def inbox(self, to: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.channels.http_url}/api/messages")
        return [m for m in response.json() if m["to"] == to]

    async def messages(self, invoice_id: UUID) -> list[dict[str, Any]]:
        response = await self.get("/v1/messages", invoice_id=str(invoice_id))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def notification_events(self) -> list[Envelope]:
        """Every notification event, once what the notifier did so far is published."""
        await self.settled()
        return list(self.events)


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


@pytest.fixture
async def dated_notifier(migrated: str, kafka_settings: KafkaSettings) -> AsyncIterator[Notifier]:
    """The notifier on a :class:`ShiftedClock` (``notifier.clock.move_to(...)``
    sets the day), with a charge wait of 30 days so a step can wait across a
    move of the clock."""
    clock = ShiftedClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    async with running_notifier(migrated, kafka_settings, charge_wait_seconds=30 * 86400, clock=clock) as n:
        yield n


@contextlib.asynccontextmanager
async def running_notifier(
    migrated: str,
    kafka_settings: KafkaSettings,
    *,
    charge_wait_seconds: float,
    clock: Clock | None = None,
    definition: Any = DEFINITION,
    sms: SmsSettings | None = None,
    sender: dict[str, Any] | None = None,
) -> AsyncIterator[Notifier]:
    """``sms``: another SMS provider than the sandbox; ``sender``: sender settings on top of the tests'."""
    async with running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox:
        settings = Settings(
            auth=AuthSettings(jwt_secret=SECRET),
            portal_keys=PORTAL_KEYS,
            database=DatabaseSettings(url=migrated),
            kafka=kafka_settings,
            smtp=SmtpSettings(port=sandbox.smtp_port),
            sms=sms or SmsSettings(base_url=sandbox.http_url),
            whatsapp=WhatsAppSettings(base_url=f"{sandbox.http_url}/v20.0"),
            sender={
                "poll_interval_ms": 50,
                "retry_base_seconds": 0.05,
                "retry_max_seconds": 0.2,
                "invoice_wait_seconds": 3,
                "charge_wait_seconds": charge_wait_seconds,
                "wait_poll_seconds": 0.1,
                **(sender or {}),
            },
        )
        # The sender's waits and retries run on real time: a moving system clock.
        async with service_harness(
            definition,
            settings,
            clock=clock or SystemClock(),
            collect=NOTIFICATION_EVENTS,
            secret=SECRET,
            harness=Notifier,
        ) as harness:
            harness.sandbox = sandbox
            yield harness
