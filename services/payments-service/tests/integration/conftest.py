"""payments-service served by uvicorn on a real port, over real PostgreSQL
(built by the real migrations) and real Kafka, beside the PSP and bank
sandboxes (served in process). The service's clock is the sandboxes' clock:
moving one moves both, so due dates, signatures and sweeps agree."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from payments_service.entrypoints.workers import GatewaysFactory, charge_workers, http_gateways
from payments_service.main import DEFINITION, MIGRATIONS_DIR
from payments_service.settings import GatewaySettings, Settings
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.topics import PAYMENT_EVENTS
from regua_devtools.sandboxes.bank import BankSandbox, running_bank_sandbox
from regua_devtools.sandboxes.common import SandboxClock
from regua_devtools.sandboxes.psp import PspSandbox, running_psp_sandbox
from regua_devtools.testing import ServiceHarness, service_harness, truncate, wait_for
from regua_platform import migrations
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

TABLES = (
    "reversals",
    "payments",
    "charges",
    "bank_accounts",
    "psp_accounts",
    "pix_settings",
    "debtors",
    "invoices",
    "webhook_rejections",
)
SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
WEBHOOK_SECRET = "whsec_test_0123456789abcdefXYZ9"
#: Generated per test session: the first encrypts, both decrypt.
ENCRYPTION_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]


class SharedClock:
    """The sandboxes' clock (real time plus an offset) as payments-service's clock."""

    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    def today(self) -> date:
        return self._clock.today()

    def advance(self, delta: timedelta) -> None:
        self._clock.offset_seconds += int(delta.total_seconds())


@dataclass
class Sandboxes:
    psp: PspSandbox
    bank: BankSandbox
    clock: SharedClock


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, database_url)
    return database_url


@pytest.fixture
async def sandboxes() -> AsyncIterator[Sandboxes]:
    clock = SandboxClock()
    async with running_psp_sandbox(clock=clock) as psp, running_bank_sandbox(clock=clock) as bank:
        yield Sandboxes(psp, bank, SharedClock(clock))


@dataclass
class Harness(ServiceHarness):
    sandboxes: Sandboxes | None = None

    @property
    def sb(self) -> Sandboxes:
        assert self.sandboxes is not None
        return self.sandboxes

    def today(self) -> date:
        return self.sb.clock.today()

    async def psp_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.sb.psp.url, timeout=15) as http:
            return await http.request(method, path, **kwargs)

    async def psp_account(self, tenant: UUID, **overrides: Any) -> str:
        """A receiver at the PSP sandbox and the tenant's PSP account for it; its Pix key."""
        client_id, key = f"psp-{uuid4().hex[:12]}", f"pix-{uuid4().hex[:8]}@tenant.example"
        self.sb.psp.store.add_receiver(client_id=client_id, client_secret="psp-secret-123", pix_key=key)
        body = {
            "base_url": self.sb.psp.url,
            "client_id": client_id,
            "client_secret": "psp-secret-123",
            "pix_key": key,
            "days_valid_after_due": 30,
            **overrides,
        }
        r = await self.put("/v1/settings/psp", body, tenant)
        assert r.status_code == 200, r.text
        return key

    async def bank_account(self, tenant: UUID, *, agreement: str | None = None) -> str:
        """A client at the bank sandbox and the tenant's beneficiary account; its convênio."""
        client_id = f"bank-{uuid4().hex[:12]}"
        agreement = agreement or str(uuid4().int)[:7]
        self.sb.bank.store.oauth.add(client_id, "bank-secret-123")
        r = await self.put(
            "/v1/settings/bank",
            {
                "base_url": self.sb.bank.url,
                "client_id": client_id,
                "client_secret": "bank-secret-123",
                "bank_code": "001",
                "agency": "1234",
                "account": str(uuid4().int)[:8],
                "agreement": agreement,
                "wallet": "17",
                "beneficiary_name": "Escola Aurora Ltda",
                "beneficiary_document": "11.222.333/0001-81",
            },
            tenant,
        )
        assert r.status_code == 200, r.text
        return agreement

    async def pix_settings(self, tenant: UUID, *, static_codes: bool = False) -> None:
        body: dict[str, Any] = {"webhook_secret": WEBHOOK_SECRET, "static_codes": static_codes}
        if static_codes:
            body |= {
                "pix_key": "cobranca@lojaexemplo.com.br",
                "merchant_name": "Loja Exemplo Comércio Ltda",
                "merchant_city": "São Paulo",
            }
        r = await self.put("/v1/settings/pix", body, tenant)
        assert r.status_code == 200, r.text

    async def issue(
        self,
        tenant: UUID,
        *,
        amount_cents: int = 150_000,
        due: date | None = None,
        debtor_id: UUID | None = None,
        rates: bool = True,
    ) -> InvoiceIssuedV1:
        """``debtor.updated`` then ``invoice.issued`` (2 % fine, 1 % a month) as invoice-service sends them."""
        debtor_id = debtor_id or uuid4()
        await self.produce(
            DebtorUpdatedV1(
                debtor_id=debtor_id,
                external_id=f"c-{uuid4().hex[:6]}",
                name="Maria da Silva Souza",
                document="52998224725",
                updated_at=self.clock.now(),
            ),
            tenant,
        )
        due = due or self.today() + timedelta(days=10)
        invoice = InvoiceIssuedV1(
            debtor_id=debtor_id,
            invoice_id=uuid4(),
            external_id=f"NF-{uuid4().hex[:8]}",
            amount_cents=amount_cents,
            due_date=due,
            issued_at=self.clock.now(),
            effective_due_date=due if rates else None,
            fine_bps=200 if rates else None,
            monthly_interest_bps=100 if rates else None,
        )
        await self.produce(invoice, tenant)
        return invoice

    async def charges(
        self, tenant: UUID, invoice_id: UUID, until: Callable[[list[dict[str, Any]]], bool]
    ) -> list[dict[str, Any]]:
        """The invoice's charges once ``until`` holds for them."""
        items: list[dict[str, Any]] = []

        async def ready() -> bool:
            nonlocal items
            r = await self.get("/v1/charges", tenant, invoice_id=str(invoice_id))
            items = r.json()["items"]
            return until(items)

        await wait_for(ready, timeout=30)
        return items


def current(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The newest charge of ``kind``."""
    return [c for c in items if c["kind"] == kind][-1]


def settings_for(migrated: str, kafka: KafkaSettings, **overrides: Any) -> Settings:
    overrides.setdefault("encryption_keys", [SecretStr(k) for k in ENCRYPTION_KEYS])
    return Settings(
        **overrides,
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=migrated),
        kafka=kafka,
        gateways=GatewaySettings(
            poll_interval_ms=20,
            lease_seconds=2,
            retry_base_seconds=0.2,
            retry_max_seconds=1,
            debtor_wait_seconds=1,
            reconcile_interval_seconds=0.3,
            reconcile_overlap_seconds=60,
        ),
    )


@contextlib.asynccontextmanager
async def start(
    migrated: str,
    kafka: KafkaSettings,
    sandboxes: Sandboxes,
    gateways: GatewaysFactory = http_gateways,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    definition = dataclasses.replace(DEFINITION, workers=charge_workers(gateways))
    # Accounts of earlier tests point at sandboxes that are gone: start clean.
    await truncate(migrated, "payments", *TABLES)
    async with service_harness(
        definition,
        settings_for(migrated, kafka, **overrides),
        clock=sandboxes.clock,
        collect=PAYMENT_EVENTS,
        secret=SECRET,
        harness=Harness,
    ) as h:
        h.sandboxes = sandboxes
        yield h


@pytest.fixture
async def harness(
    migrated: str, kafka_settings: KafkaSettings, sandboxes: Sandboxes
) -> AsyncIterator[Harness]:
    async with start(migrated, kafka_settings, sandboxes) as h:
        yield h
