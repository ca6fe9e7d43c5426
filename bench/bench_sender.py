"""Benchmark: the notifier's sender with one slow channel, batch vs per channel.

N due deliveries per channel (default 300; e-mail, SMS, WhatsApp interleaved,
every invoice known and open) in a notifier schema built by the real
migrations; rate limits 50/s on every channel; the channel sandbox serves
e-mail (SMTP) and WhatsApp, and SMS goes through a real HTTP endpoint that
holds each call for LATENCY seconds (default 0.25) before forwarding it to the
sandbox. Two runs on the same PostgreSQL, each on a fresh database:

- *batch*: the sender as it was: claim a batch, send it concurrently, record
  when the whole batch is back (a batch waits for its slowest channel);
- *per channel*: the real worker (``send_deliveries``: a router and one loop
  per channel, default ``concurrency_per_channel``).

Prints messages/s per channel and overall (sent / seconds until that channel's
last message), and the process CPU per message while sending (sandbox and slow
endpoint included: they run in the same process). Kafka is not used (events
stay in the outbox; the relay has its own bench).
Usage: python bench/bench_sender.py [N per channel] [LATENCY s]
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import asyncpg
import httpx
from fastapi import FastAPI, Request, Response

from notifier_service.adapters.db.tables import messaging
from notifier_service.adapters.providers.registry import build_providers
from notifier_service.entrypoints import sender as worker
from notifier_service.main import DEFINITION
from notifier_service.service_layer.sender import Sender, create_delivery
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings, SmsSettings, SmtpSettings, WhatsAppSettings
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.sandbox import running_sandbox
from regua_devtools.sandboxes.common import serving
from regua_devtools.testing import free_port
from regua_platform import migrations
from regua_platform.aio import Urgency
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import AuthSettings, DatabaseSettings

RATE = 50.0
CHANNELS = ("email", "sms", "whatsapp")
FORWARDED = ("authorization", "idempotency-key", "content-type")


def slow_provider(latency: float, target: Callable[[], str]) -> FastAPI:
    """An SMS endpoint that answers after ``latency`` seconds what the sandbox answers."""
    app = FastAPI()
    client = httpx.AsyncClient()

    @app.post("/{path:path}")
    async def forward(path: str, request: Request) -> Response:
        await asyncio.sleep(latency)
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
        answer = await client.post(f"{target()}/{path}", content=await request.body(), headers=headers)
        return Response(answer.content, answer.status_code, media_type="application/json")

    return app


async def load(uow_factory: Callable[[], NotifierUnitOfWork], n: int) -> None:
    """``n`` due deliveries per channel, interleaved, each of its own open invoice."""
    tenant = uuid4()
    now = datetime.now(UTC)
    for i in range(n * len(CHANNELS)):
        channel = CHANNELS[i % len(CHANNELS)]
        debtor_id, invoice_id = uuid4(), uuid4()
        number = f"+55119{i:08d}"
        async with uow_factory() as uow:
            await uow.projections.upsert_debtor(
                tenant,
                DebtorUpdatedV1(
                    debtor_id=debtor_id,
                    external_id=f"c-{i}",
                    name="Maria Aparecida Souza",
                    document="52998224725",
                    email=f"devedor.{i}@exemplo.com.br" if channel == "email" else None,
                    phone=number if channel == "sms" else None,
                    whatsapp=number if channel == "whatsapp" else None,
                    preferred_channels=[],
                    consents={},
                    updated_at=now,
                ),
            )
            await uow.projections.invoice_issued(
                tenant,
                InvoiceIssuedV1(
                    debtor_id=debtor_id,
                    invoice_id=invoice_id,
                    external_id=f"NF-{i}",
                    amount_cents=123456,
                    due_date=date(2026, 12, 10),
                    issued_at=now,
                ),
            )
            step = StepDueV1(
                debtor_id=debtor_id,
                step_id=uuid4(),
                invoice_id=invoice_id,
                policy_id=uuid4(),
                step_name="lembrete",
                step_index=0,
                template="reminder",
                tone="friendly",
                action="message",
                channels=[channel],
                planned_for=now,
                due_at=now,
            )
            await create_delivery(uow, tenant, step, now)
            await uow.commit()


async def batch_sender(runtime: Any, stop: asyncio.Event) -> None:
    """The sender before per-channel loops: one batch at a time, recorded when all of it is back."""
    settings: Settings = runtime.settings
    providers = build_providers(settings, runtime.clock)
    sender = Sender(settings, worker.link_keys(settings), providers.has)
    try:
        while not stop.is_set():
            async with runtime.uow() as uow:
                prepared = await sender.prepare(uow, runtime.clock.now())
                await uow.commit()
            if not prepared:
                await asyncio.sleep(settings.sender.poll_interval_ms / 1000)
                continue
            outcomes = await asyncio.gather(*(worker._send(runtime, sender, providers, p) for p in prepared))
            for done in outcomes:
                if done is not None:
                    async with runtime.uow() as uow:
                        await sender.record(uow, done[0], done[1], runtime.clock.now())
                        await uow.commit()
    finally:
        await providers.close()


async def run(
    base_url: str,
    n: int,
    latency: float,
    sender: Callable[[Any, asyncio.Event], Coroutine[Any, Any, None]],
) -> dict[str, float]:
    """Messages/s per channel and overall of one sender on a fresh database."""
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(base_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = base_url.rpartition("/")[0] + "/" + db
    engine = None
    try:
        await asyncio.to_thread(migrations.upgrade, DEFINITION.migrations_dir, url)
        async with running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox:
            slow = slow_provider(latency, lambda: sandbox.http_url)
            async with serving(slow, host="127.0.0.1", port=free_port()) as slow_url:
                settings = Settings(
                    auth=AuthSettings(jwt_secret=secrets.token_hex(32)),
                    database=DatabaseSettings(url=url),
                    smtp=SmtpSettings(port=sandbox.smtp_port),
                    sms=SmsSettings(base_url=slow_url),
                    whatsapp=WhatsAppSettings(base_url=f"{sandbox.http_url}/v20.0"),
                    rate_limits={"email": RATE, "sms": RATE, "whatsapp": RATE},
                    sender={"charge_wait_seconds": 0},
                )
                engine = create_engine(settings.database, application_name="bench-sender")
                sessions = create_sessionmaker(engine)
                clock = SystemClock()

                def uow() -> NotifierUnitOfWork:
                    return NotifierUnitOfWork(
                        sessions, messaging, source="/regua/notifier-service", clock=clock
                    )

                await load(uow, n)
                runtime = SimpleNamespace(
                    settings=settings,
                    clock=clock,
                    uow=uow,
                    definition=SimpleNamespace(name="bench"),
                    listener=None,
                    urgency=Urgency(),
                )
                conn = await asyncpg.connect(url.replace("+asyncpg", ""))
                stop = asyncio.Event()
                cpu = time.process_time()
                began = datetime.now(UTC)
                task = asyncio.create_task(sender(cast(Any, runtime), stop))
                while True:
                    await asyncio.sleep(0.1)
                    if task.done():
                        task.result()
                    pending = "select count(*) from notifier.deliveries where status = 'pending'"
                    if await conn.fetchval(pending) == 0:
                        break
                cpu = time.process_time() - cpu
                stop.set()
                await task
                rows = await conn.fetch(
                    "select channel, count(*) as sent, max(sent_at) as last from notifier.deliveries"
                    " where status = 'sent' group by channel"
                )
                others = await conn.fetch(
                    "select status, reason, count(*) from notifier.deliveries"
                    " where status <> 'sent' group by 1, 2"
                )
                await conn.close()
        rates = {r["channel"]: r["sent"] / (r["last"] - began).total_seconds() for r in rows}
        total = sum(r["sent"] for r in rows)
        assert total == n * len(CHANNELS), f"sent {total} of {n * len(CHANNELS)}: {others}"
        rates["all"] = total / max((r["last"] - began).total_seconds() for r in rows)
        rates["cpu_ms"] = 1000 * cpu / total
        return rates
    finally:
        if engine is not None:
            await engine.dispose()
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()


async def main(n: int, latency: float) -> None:
    logging.basicConfig(level=logging.ERROR)
    base_url = ensure_infra().database_url
    before = await run(base_url, n, latency, batch_sender)
    after = await run(base_url, n, latency, worker.send_deliveries)
    print(f"sender, {n} messages per channel, {RATE:.0f}/s per channel, SMS answering after {latency}s")
    print(f"{'messages/s':<14}" + "".join(f"{c:>10}" for c in (*CHANNELS, "all")) + f"{'CPU ms/msg':>12}")
    for name, rates in (("batch", before), ("per channel", after)):
        print(f"{name:<14}" + "".join(f"{rates[c]:>10.1f}" for c in (*CHANNELS, "all", "cpu_ms")))
    print(f"ratio all: {after['all'] / before['all']:.2f}")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 300,
            float(sys.argv[2]) if len(sys.argv) > 2 else 0.25,
        )
    )
