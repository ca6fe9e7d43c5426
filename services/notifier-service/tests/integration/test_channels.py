"""The sender works per channel: a slow provider holds neither another
channel's messages nor its own channel's next ones (real PostgreSQL, Kafka,
the channel sandbox, and a real HTTP provider endpoint in front of it that
holds the SMS calls until the test opens it).

Nothing here measures time: a sender that waited for its slowest call would
never reach the conditions waited for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from notifier_service.settings import SmsSettings
from regua_devtools.sandboxes.common import serving
from regua_devtools.testing import free_port, wait_for, wait_worker_passes
from regua_platform.settings import KafkaSettings

from .conftest import Notifier, running_notifier
from .test_delivery import load_invoice, step, unique_email

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

FORWARDED_HEADERS = ("authorization", "idempotency-key", "content-type")


class Gate:
    """An SMS provider endpoint that holds every call until opened, then
    forwards it to the sandbox (which records it and answers)."""

    def __init__(self) -> None:
        self.sandbox_url = ""
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrived = 0
        self._open = asyncio.Event()

    def open(self) -> None:
        self._open.set()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def forward(path: str, request: Request) -> Response:
            self.arrived += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await self._open.wait()
                headers = {k: v for k, v in request.headers.items() if k in FORWARDED_HEADERS}
                async with httpx.AsyncClient() as client:
                    answer = await client.post(
                        f"{self.sandbox_url}/{path}", content=await request.body(), headers=headers
                    )
            finally:
                self.in_flight -= 1
            return Response(answer.content, answer.status_code, media_type="application/json")

        return app


@contextlib.asynccontextmanager
async def gated_notifier(
    migrated: str, kafka_settings: KafkaSettings, **sender: Any
) -> AsyncIterator[tuple[Notifier, Gate]]:
    gate = Gate()
    async with serving(gate.app(), host="127.0.0.1", port=free_port()) as url:
        try:
            async with running_notifier(
                migrated,
                kafka_settings,
                charge_wait_seconds=600,
                # Longer than any test holds a call: a held call is slow, not failed.
                sms=SmsSettings(base_url=url, timeout_seconds=60),
                sender=sender,
            ) as notifier:
                gate.sandbox_url = notifier.channels.http_url
                yield notifier, gate
        finally:
            gate.open()


def phone() -> str:
    return f"+55119{uuid4().int % 10**8:08d}"


async def sms_steps(n: Notifier, count: int) -> list[UUID]:
    invoices = []
    for _ in range(count):
        debtor_id, invoice_id = await load_invoice(n, phone=phone())
        await n.publish(step(debtor_id, invoice_id, channels=["sms"]))
        invoices.append(invoice_id)
    return invoices


async def statuses(n: Notifier, invoices: list[UUID]) -> list[str]:
    return [m["status"] for i in invoices for m in await n.messages(i)]


async def all_sent(n: Notifier, invoices: list[UUID]) -> bool:
    return await statuses(n, invoices) == ["sent"] * len(invoices)


async def test_a_held_sms_provider_does_not_hold_the_emails(
    migrated: str, kafka_settings: KafkaSettings
) -> None:
    async with gated_notifier(migrated, kafka_settings) as (notifier, gate):
        held = await sms_steps(notifier, 3)
        await wait_for(lambda: gate.in_flight == 3, timeout=30)

        emails, invoices = [unique_email() for _ in range(3)], []
        for email in emails:
            debtor_id, invoice_id = await load_invoice(notifier, email=email)
            await notifier.publish(step(debtor_id, invoice_id))
            invoices.append(invoice_id)

        await wait_for(lambda: all_sent(notifier, invoices), timeout=30)
        for email in emails:
            [message] = await notifier.inbox(email)
            assert message["channel"] == "email"
        # The SMS calls are still held: the emails went out past them.
        assert gate.in_flight == 3
        assert await statuses(notifier, held) == ["pending"] * 3

        gate.open()
        await wait_for(lambda: all_sent(notifier, held), timeout=30)


async def test_a_slow_channel_keeps_up_to_its_concurrency_in_flight_and_no_more(
    migrated: str, kafka_settings: KafkaSettings
) -> None:
    async with gated_notifier(migrated, kafka_settings, concurrency_per_channel=4) as (notifier, gate):
        first = await sms_steps(notifier, 2)
        await wait_for(lambda: gate.in_flight == 2, timeout=30)

        # Steps due while the first calls are held go out beside them, not after them ...
        later = await sms_steps(notifier, 4)
        await wait_for(lambda: gate.in_flight == 4, timeout=30)
        # ... up to the bound: every step is known and routed, two wait for a free slot.
        await notifier.consumed()
        await wait_worker_passes(notifier.client, "notifier-service", "sender")
        assert (gate.arrived, gate.in_flight) == (4, 4)
        assert (await statuses(notifier, first + later)).count("pending") == 6

        gate.open()
        await wait_for(lambda: all_sent(notifier, first + later), timeout=30)
        assert gate.arrived == 6
        assert gate.most_in_flight == 4
