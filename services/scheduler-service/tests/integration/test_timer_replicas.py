"""Two timer loops (two replicas) on one database: every due step is claimed by
exactly one of them and written to the outbox exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import func, select

from regua_devtools.testing import wait_for
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import DatabaseSettings
from scheduler_service.adapters.db.tables import messaging, steps
from scheduler_service.domain.policy import PolicyDefinition
from scheduler_service.service_layer.plans import plan_invoice
from scheduler_service.service_layer.policies import create_policy
from scheduler_service.service_layer.timer import run_timer
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork
from scheduler_service.settings import TimerSettings

from .conftest import clean

pytestmark = [pytest.mark.postgres]
SP = ZoneInfo("America/Sao_Paulo")
INVOICES = 60


def replica(database_url: str, clock: FixedClock, name: str) -> tuple[Any, Any]:
    engine = create_engine(DatabaseSettings(url=database_url), application_name=name)
    sessions = create_sessionmaker(engine)

    def uow() -> SchedulerUnitOfWork:
        return SchedulerUnitOfWork(sessions, messaging, source=f"/regua/{name}", clock=clock)

    runtime = SimpleNamespace(
        uow=uow,
        settings=SimpleNamespace(timer=TimerSettings(interval_ms=10, batch_size=7)),
        definition=SimpleNamespace(name="scheduler-service"),
    )
    return runtime, engine


async def test_two_replicas_emit_each_step_once(migrated: str) -> None:
    await clean(migrated)
    clock = FixedClock(datetime(2026, 12, 1, 10, tzinfo=SP))
    one, engine_one = replica(migrated, clock, "replica-1")
    two, engine_two = replica(migrated, clock, "replica-2")
    tenant = uuid4()
    definition = PolicyDefinition.model_validate(
        {
            "send_window": None,
            "steps": [
                {
                    "name": f"s{i}",
                    "offset": f"PT{i}H",
                    "channels": ["email"],
                    "template": "reminder",
                    "tone": "firm",
                }
                for i in range(3)
            ],
        }
    )
    async with one.uow() as uow:
        await create_policy(
            uow,
            tenant_id=tenant,
            name="p",
            make_default=True,
            timezone="America/Sao_Paulo",
            definition=definition,
        )
        for _ in range(INVOICES):
            await plan_invoice(
                uow, tenant_id=tenant, invoice_id=uuid4(), debtor_id=uuid4(), due_date=date(2026, 12, 5)
            )
        await uow.commit()

    stop = asyncio.Event()
    loops = [asyncio.create_task(run_timer(cast(Any, r), stop)) for r in (one, two)]
    # 00:00 and 01:00 steps come due together: catch-up skips the 00:00 ones.
    clock.set(datetime(2026, 12, 5, 1, 30, tzinfo=SP))

    async def pending() -> int:
        async with engine_one.connect() as conn:
            query = (
                select(func.count())
                .select_from(steps)
                .where(steps.c.status == "scheduled", steps.c.due_at <= clock.now())
            )
            return int((await conn.execute(query)).scalar_one())

    await wait_for(lambda: _is_zero(pending()), timeout=60)
    clock.advance(timedelta(hours=1))
    await wait_for(lambda: _is_zero(pending()), timeout=60)
    stop.set()
    await asyncio.gather(*loops)

    async with engine_one.connect() as conn:
        rows = (await conn.execute(select(messaging.outbox.c.value))).scalars().all()
        by_status = dict(
            (await conn.execute(select(steps.c.status, func.count()).group_by(steps.c.status))).all()
        )
    emitted = Counter(orjson.loads(v)["data"]["step_id"] for v in rows)
    assert len(emitted) == 2 * INVOICES
    assert set(emitted.values()) == {1}
    names = Counter(orjson.loads(v)["data"]["step_name"] for v in rows)
    assert names == {"s1": INVOICES, "s2": INVOICES}
    # Both replicas took part.
    assert {orjson.loads(v)["source"] for v in rows} == {"/regua/replica-1", "/regua/replica-2"}
    assert by_status == {"due": 2 * INVOICES, "skipped": INVOICES}
    await engine_one.dispose()
    await engine_two.dispose()


async def _is_zero(count: Any) -> bool:
    return bool(await count == 0)
