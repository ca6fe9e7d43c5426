"""The retention worker prunes old inbox rows in bounded batches, keeps recent
ones, and counts what it deleted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

from regua_devtools.testing import wait_for
from regua_platform.retention import run_retention
from regua_platform.settings import RetentionSettings

from .conftest import Store

pytestmark = pytest.mark.postgres
SERVICE = "retention-test"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": SERVICE, **labels}) or 0.0


async def test_old_inbox_rows_are_deleted_recent_ones_kept(store: Store) -> None:
    inbox = store.messaging.inbox
    ages = {
        # 5 rows past the 7 days, 2 just inside, 2 fresh.
        **{f"old-{i}": timedelta(days=8 + i) for i in range(5)},
        "six-days": timedelta(days=6, hours=23),
        "almost": timedelta(days=6, hours=23, minutes=59),
        "fresh-1": timedelta(0),
        "fresh-2": timedelta(minutes=5),
    }
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(inbox).values(
                [
                    {"event_id": event_id, "event_type": "t", "topic": "x", "handled_at": func.now() - age}
                    for event_id, age in ages.items()
                ]
            )
        )
    deleted_before = sample("regua_retention_deleted_total", table="inbox")
    passes_before = sample("regua_worker_passes_total", worker="retention")

    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_retention(
            service=SERVICE,
            engine=store.engine,
            messaging=store.messaging,
            # Batches of 2: 2 + 2 + 1 rows, the last pass not full, then an hour's rest.
            settings=RetentionSettings(inbox_days=7, batch_size=2, interval_seconds=3600),
            stop=stop,
        )
    )
    try:
        await wait_for(lambda: sample("regua_worker_passes_total", worker="retention") - passes_before >= 3)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)

    async with store.engine.connect() as conn:
        kept = set((await conn.execute(select(inbox.c.event_id))).scalars())
    assert kept == {"six-days", "almost", "fresh-1", "fresh-2"}
    assert sample("regua_retention_deleted_total", table="inbox") - deleted_before == 5
    # Three passes: the two full batches went again at once, the third came back short.
    assert sample("regua_worker_passes_total", worker="retention") - passes_before == 3


async def test_nothing_old_deletes_nothing(store: Store) -> None:
    inbox = store.messaging.inbox
    async with store.engine.begin() as conn:
        await conn.execute(insert(inbox).values(event_id="fresh", event_type="t", topic="x"))
    deleted_before = sample("regua_retention_deleted_total", table="inbox")
    passes_before = sample("regua_worker_passes_total", worker="retention")
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_retention(
            service=SERVICE,
            engine=store.engine,
            messaging=store.messaging,
            settings=RetentionSettings(),
            stop=stop,
        )
    )
    try:
        await wait_for(lambda: sample("regua_worker_passes_total", worker="retention") > passes_before)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbox))).scalar_one() == 1
    assert sample("regua_retention_deleted_total", table="inbox") == deleted_before
