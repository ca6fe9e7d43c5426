"""Benchmark: charge creation through the PSP sandbox against the local record alone.

In one run, on a fresh database built by payments-service's migrations:

1. *local record*: ``invoice.issued`` handled as the consumer does (the
   invoice and a pending cobv charge recorded, one transaction per invoice);
2. *through the PSP*: the gateway worker's passes (claim, ``PUT /v2/cobv``
   over HTTP with OAuth2 to the PSP sandbox, record ``active`` and
   ``charge-created`` in the outbox) until every charge is active.

The ratio is the price of the real PSP round trip per charge. The sandbox is
served on the same event loop as the worker (as in the tests), so the figure
is a floor for a PSP on its own machine. Usage: python bench/bench_charges.py [N]
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4

import asyncpg
from sqlalchemy import func, select

from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.db.tables import charges, messaging
from payments_service.domain.accounts import PspAccount
from payments_service.domain.debtors import DebtorRecord
from payments_service.entrypoints.workers import _sync_pass, http_gateways, sync_policy
from payments_service.main import MIGRATIONS_DIR, charge_policy
from payments_service.service_layer.charges import create_charges_for_invoice
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.sandboxes.psp import running_psp_sandbox
from regua_platform import migrations
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import AuthSettings, DatabaseSettings

KEY = "bench-key-material-that-is-long-enough-0123456789"
PSP_SECRET = "bench-secret"  # noqa: S105 - the in-process sandbox's client


async def main(n: int) -> None:
    infra = ensure_infra()
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(infra.database_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = infra.database_url.rpartition("/")[0] + "/" + db
    settings = Settings(auth=AuthSettings(jwt_secret=KEY), database=DatabaseSettings(url=url))
    engine = create_engine(settings.database, application_name="bench-charges")
    try:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, url)
        sessions = create_sessionmaker(engine)
        clock = SystemClock()

        def uow() -> PaymentsUnitOfWork:
            return PaymentsUnitOfWork(
                sessions, messaging, source="/bench", clock=clock, topic_namespace="bench."
            )

        async with running_psp_sandbox() as psp:
            psp.store.add_receiver(client_id="bench", client_secret=PSP_SECRET, pix_key="pix@bench.example")
            tenant, debtors = uuid4(), [uuid4() for _ in range(100)]
            async with uow() as u:
                await u.psp_accounts.put(
                    PspAccount(
                        tenant_id=tenant,
                        base_url=psp.url,
                        token_url=None,
                        client_id="bench",
                        client_secret_encrypted=SecretBox(settings.key_material()).encrypt(PSP_SECRET),
                        client_secret_last4=PSP_SECRET[-4:],
                        pix_key="pix@bench.example",
                        client_cert_path=None,
                        client_key_path=None,
                        ca_bundle_path=None,
                        days_valid_after_due=30,
                        updated_at=datetime.now(UTC),
                    )
                )
                for debtor in debtors:
                    await u.debtors.put(
                        DebtorRecord(tenant, debtor, "52998224725", "Maria Souza", datetime.now(UTC))
                    )
                await u.commit()

            policy = charge_policy(settings)
            due = date.today() + timedelta(days=10)  # noqa: DTZ011 - a date in the sandbox's near future
            began = time.perf_counter()
            for i in range(n):
                async with uow() as u:
                    await create_charges_for_invoice(
                        u,
                        tenant_id=tenant,
                        invoice=InvoiceIssuedV1(
                            debtor_id=debtors[i % 100],
                            invoice_id=uuid4(),
                            external_id=f"b{i}",
                            amount_cents=10_000 + i,
                            due_date=due,
                            issued_at=datetime.now(UTC),
                            effective_due_date=due,
                            fine_bps=200,
                            monthly_interest_bps=100,
                        ),
                        policy=policy,
                    )
                    await u.commit()
            local_s = time.perf_counter() - began

            runtime = SimpleNamespace(uow=uow, clock=clock)
            clients = http_gateways(settings)
            sync = sync_policy(settings)
            began = time.perf_counter()
            try:
                while True:
                    await _sync_pass(runtime, clients, sync)  # type: ignore[arg-type]
                    async with engine.connect() as conn:
                        left = (
                            await conn.execute(
                                select(func.count()).select_from(charges).where(charges.c.status == "pending")
                            )
                        ).scalar()
                    if not left:
                        break
            finally:
                await clients.close()
            psp_s = time.perf_counter() - began
            created = len(psp.store.cobvs)

        print(f"charges: {n} (cobvs at the PSP sandbox: {created})")
        print(f"local record alone (consumer transaction):   {n / local_s:,.0f} charges/s ({local_s:.2f} s)")
        print(f"through the PSP sandbox (worker, HTTP+OAuth): {n / psp_s:,.0f} charges/s ({psp_s:.2f} s)")
        print(f"PSP / local-record time ratio:                {psp_s / local_s:.2f}")
    finally:
        await engine.dispose()
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()
        infra.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000))
