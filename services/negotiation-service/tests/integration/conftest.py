"""A real negotiation-service: migrated database, uvicorn on a free port, the
worker role running (relay, invoice-events consumer, agreement breaker), a
FixedClock, a producer standing in for invoice-service and a Kafka listener
recording every agreement event the service publishes."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

import regua_platform.migrations
from negotiation_service.main import DEFINITION
from negotiation_service.settings import Settings
from regua_contracts.invoice.v1 import (
    AppliedPaymentV1,
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    InvoiceStatusChangedV1,
)
from regua_contracts.topics import AGREEMENT_EVENTS
from regua_devtools.testing import ServiceHarness, service_harness, wait_for
from regua_platform.clock import FixedClock
from regua_platform.settings import AuthSettings, DatabaseSettings, KafkaSettings

SECRET = "negotiation-service-test-secret-0123456789-abcd"
#: The portal keys of this test run: random, never derived from SECRET.
PORTAL_KEYS = [secrets.token_urlsafe(32)]
#: 12:00 in São Paulo on 2026-03-10.
START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


class Service(ServiceHarness):
    async def settled(self) -> None:
        """The breaker has run a whole pass since now (say, after the clock moved),
        everything produced is handled, and every event it caused is in ``events``."""
        await self.passes("agreement_breaker")
        await super().settled()

    async def issued(
        self,
        debtor_id: UUID,
        amount_cents: int = 100_000,
        due_date: date = date(2026, 2, 8),
        invoice_id: UUID | None = None,
        agreement_id: UUID | None = None,
        *,
        fine_bps: int | None = None,
        monthly_interest_bps: int | None = None,
        effective_due_date: date | None = None,
    ) -> UUID:
        """invoice.issued; without rates it is an older producer's (priced by the reported amount)."""
        invoice_id = invoice_id or uuid4()
        await self.produce(
            InvoiceIssuedV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                external_id=f"i-{invoice_id.hex[:8]}",
                amount_cents=amount_cents,
                due_date=due_date,
                issued_at=self.clock.now(),
                agreement_id=agreement_id,
                fine_bps=fine_bps,
                monthly_interest_bps=monthly_interest_bps,
                effective_due_date=effective_due_date,
            )
        )
        return invoice_id

    async def balance_changed(
        self, debtor_id: UUID, invoice_id: UUID, payments: list[tuple[date, int]], status: str
    ) -> None:
        """invoice.balance-changed with the full list of applied payments."""
        await self.produce(
            InvoiceBalanceChangedV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                payments=[
                    AppliedPaymentV1(payment_id=uuid4(), paid_on=on, amount_cents=cents)
                    for on, cents in payments
                ],
                amount_paid_cents=sum(cents for _, cents in payments),
                status=status,  # type: ignore[arg-type]
                changed_at=self.clock.now(),
            )
        )

    async def overdue(self, debtor_id: UUID, invoice_id: UUID, due_date: date, amount_due_cents: int) -> None:
        await self.produce(
            InvoiceOverdueV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                due_date=due_date,
                overdue_since=due_date + timedelta(days=1),
                amount_due_cents=amount_due_cents,
            )
        )

    async def status_changed(
        self,
        debtor_id: UUID,
        invoice_id: UUID,
        status: str,
        previous: str = "open",
        paid: int = 0,
        due: int = 0,
    ) -> None:
        await self.produce(
            InvoiceStatusChangedV1(
                debtor_id=debtor_id,
                invoice_id=invoice_id,
                previous_status=previous,  # type: ignore[arg-type]
                status=status,  # type: ignore[arg-type]
                reason="test",
                amount_paid_cents=paid,
                amount_due_cents=due,
                changed_at=self.clock.now(),
            )
        )

    async def known(self, debtor_id: UUID, invoice_ids: list[UUID]) -> None:
        """Wait until the projection has the invoices (simulation answers 200)."""

        async def ready() -> bool:
            r = await self.post(
                "/v1/offers:simulate",
                {"debtor_id": str(debtor_id), "invoice_ids": [str(i) for i in invoice_ids]},
            )
            return r.status_code == 200

        await wait_for(ready)


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await asyncio.to_thread(regua_platform.migrations.upgrade, DEFINITION.migrations_dir, database_url)
    return database_url


@pytest.fixture
def overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings a test changes (``parametrize("overrides", [...], indirect=True)``)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
async def service(
    migrated: str, kafka_settings: KafkaSettings, overrides: dict[str, Any]
) -> AsyncIterator[Service]:
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        portal_keys=PORTAL_KEYS,
        portal_https=False,  # served over plain HTTP here
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
        breaker_interval_seconds=0.1,
        **overrides,
    )
    async with service_harness(
        DEFINITION,
        settings,
        clock=FixedClock(START),
        collect=AGREEMENT_EVENTS,
        secret=SECRET,
        harness=Service,
    ) as harness:
        yield harness
