"""Benchmark: charge creation, local static codes against cobvs through the PSP sandbox.

In one run, on a fresh database built by payments-service's migrations, two
tenants: one with the static-code option (no PSP: the code is built locally)
and one with a PSP account at the PSP sandbox, which runs as its own process
(``regua sandbox``), as a PSP would.

1. *local static*: N ``invoice.issued`` of the static tenant handled as the
   consumer hands them (batches of 200 events, one transaction each): every
   charge is ``active`` and its ``charge-created`` in the outbox at commit;
2. *cobv recorded*: N ``invoice.issued`` of the PSP tenant, same shape (the
   invoice and a ``pending`` cobv recorded; no gateway called);
3. *through the PSP*: the gateway worker's passes (claim a batch, ``PUT
   /v2/cobv`` over HTTP with OAuth2 at the worker's concurrency, record the
   batch ``active`` with ``charge-created``) until no cobv is pending;
4. *bare PSP calls*: the same client making N ``PUT /v2/cobv`` at the same
   concurrency, no database: what the sandbox (and our HTTP client) allow.

Prints charges/s of each, the time ratio of (3) to (1) (the price of the PSP
round trips) and the throughput ratio of (3) to (4) (how close the worker
gets to the PSP's bound). Usage: python bench/bench_charges.py [N] [CONCURRENCY]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID, uuid4

import asyncpg
import httpx
from sqlalchemy import func, select

from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.db.tables import charges, messaging
from payments_service.domain.accounts import PspAccount
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.gateways import CobvOrder, Debtor
from payments_service.domain.pix_settings import PixSettings
from payments_service.entrypoints.workers import _sync_pass, http_gateways, sync_policy
from payments_service.main import MIGRATIONS_DIR, charge_policy
from payments_service.service_layer.charges import create_charges_for_invoice
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import GatewaySettings, Settings
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.testing import free_port
from regua_platform import migrations
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import AuthSettings, DatabaseSettings

KEY = "bench-key-material-that-is-long-enough-0123456789"
PSP_ID, PSP_SECRET, PSP_KEY = "bench", "bench-secret", "pix@bench.example"
#: What the platform consumer hands a handler in one transaction.
CONSUMER_BATCH = 200
REGUA = Path(sys.executable).with_name("regua")


@contextlib.asynccontextmanager
async def psp_sandbox_process() -> AsyncIterator[str]:
    """``regua sandbox`` with only what we need on free ports; its PSP URL."""
    psp = free_port()
    cmd = [
        str(REGUA), "sandbox", "--psp-port", str(psp), "--bank-port", "0",
        "--smtp-port", str(free_port()), "--http-port", str(free_port()),
        "--psp-client", f"{PSP_ID}:{PSP_SECRET}:{PSP_KEY}",
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{psp}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.post(f"{url}/oauth/token", auth=(PSP_ID, PSP_SECRET))).status_code < 500:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the PSP sandbox did not start")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=10)


def issued(debtor: UUID, i: int, due: date) -> InvoiceIssuedV1:
    return InvoiceIssuedV1(
        debtor_id=debtor,
        invoice_id=uuid4(),
        external_id=f"b{i}",
        amount_cents=10_000 + i,
        due_date=due,
        issued_at=datetime.now(UTC),
        effective_due_date=due,
        fine_bps=200,
        monthly_interest_bps=100,
    )


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} charges/s ({seconds:.2f} s)"


async def main(n: int, concurrency: int) -> None:
    infra = ensure_infra()
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(infra.database_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = infra.database_url.rpartition("/")[0] + "/" + db
    settings = Settings(
        auth=AuthSettings(jwt_secret=KEY),
        database=DatabaseSettings(url=url),
        gateways=GatewaySettings(concurrency=concurrency),
    )
    engine = create_engine(settings.database, application_name="bench-charges")
    try:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, url)
        sessions = create_sessionmaker(engine)
        clock = SystemClock()
        box = SecretBox(settings.key_material())

        def uow() -> PaymentsUnitOfWork:
            return PaymentsUnitOfWork(
                sessions, messaging, source="/bench", clock=clock, topic_namespace="bench."
            )

        async with psp_sandbox_process() as psp_url:
            static_tenant, psp_tenant = uuid4(), uuid4()
            debtors = [uuid4() for _ in range(100)]
            now = datetime.now(UTC)
            async with uow() as u:
                await u.pix_settings.put(
                    PixSettings(
                        static_tenant, "pix@static.example", "Loja Bench", "Sao Paulo", True,
                        box.encrypt("whsec-bench-0123456789"), "6789", now,
                    )
                )  # fmt: skip
                await u.psp_accounts.put(
                    PspAccount(
                        psp_tenant, psp_url, None, PSP_ID, box.encrypt(PSP_SECRET), PSP_SECRET[-4:],
                        PSP_KEY, None, None, None, 30, now,
                    )
                )  # fmt: skip
                for debtor in debtors:
                    await u.debtors.put(DebtorRecord(psp_tenant, debtor, "52998224725", "Maria Souza", now))
                await u.commit()

            policy = charge_policy(settings)
            due = date.today() + timedelta(days=10)  # noqa: DTZ011 - a date in the sandbox's near future

            async def consume(tenant: UUID) -> float:
                began = time.perf_counter()
                for start in range(0, n, CONSUMER_BATCH):
                    async with uow() as u:
                        for i in range(start, min(start + CONSUMER_BATCH, n)):
                            event = issued(debtors[i % 100], i, due)
                            await create_charges_for_invoice(
                                u, tenant_id=tenant, invoice=event, policy=policy
                            )
                        await u.commit()
                return time.perf_counter() - began

            static_s = await consume(static_tenant)
            record_s = await consume(psp_tenant)

            runtime = SimpleNamespace(uow=uow, clock=clock)
            clients = http_gateways(settings)
            sync = sync_policy(settings)
            pending = select(func.count()).select_from(charges).where(charges.c.status == "pending")
            limit = asyncio.Semaphore(concurrency)

            async def worker_loop() -> None:  # as the worker's two loops run, without pauses
                while await _sync_pass(runtime, clients, sync, limit=limit):  # type: ignore[arg-type]
                    pass

            began = time.perf_counter()
            try:
                while True:
                    await asyncio.gather(worker_loop(), worker_loop())
                    async with engine.connect() as conn:
                        if not (await conn.execute(pending)).scalar():
                            break
            finally:
                await clients.close()
            psp_s = time.perf_counter() - began

            # The bound: the same client making the same calls, no database.
            async with uow() as u:
                account = await u.psp_accounts.get(psp_tenant)
            assert account is not None
            bare_clients = http_gateways(settings)
            pix, limit = bare_clients.pix(account), asyncio.Semaphore(concurrency)

            async def bare(i: int) -> None:
                order = CobvOrder(
                    txid=uuid4().hex, due_date=due, days_valid_after_due=30,
                    debtor=Debtor("52998224725", "Maria Souza"), original_cents=10_000 + i,
                    fine_bps=200, monthly_interest_bps=100,
                )  # fmt: skip
                async with limit:
                    await pix.create_cobv(order)

            began = time.perf_counter()
            try:
                await asyncio.gather(*(bare(i) for i in range(n)))
            finally:
                await bare_clients.close()
            bare_s = time.perf_counter() - began
            async with engine.connect() as conn:
                active = (
                    await conn.execute(
                        select(charges.c.kind, func.count())
                        .where(charges.c.status == "active")
                        .group_by(charges.c.kind)
                    )
                ).all()

        batch = f"worker, batch {sync.batch_size}, concurrency {concurrency}"
        print(f"invoices per tenant: {n}; active charges: {dict(active)}")  # type: ignore[arg-type]
        print(f"local static codes (consumer, {CONSUMER_BATCH} a transaction): {rate(n, static_s)}")
        print(f"pending cobv recorded (consumer, same batches):      {rate(n, record_s)}")
        print(f"cobv through the PSP sandbox ({batch}): {rate(n, psp_s)}")
        print(f"bare PUT /v2/cobv, same client and concurrency, no database: {rate(n, bare_s)}")
        print(f"PSP path / local static time ratio: {psp_s / static_s:.2f}")
        print(f"PSP path / bare PSP calls throughput ratio: {bare_s / psp_s:.2f}")
    finally:
        await engine.dispose()
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()
        infra.stop()


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 2_000,
            int(sys.argv[2]) if len(sys.argv) > 2 else GatewaySettings().concurrency,
        )
    )
