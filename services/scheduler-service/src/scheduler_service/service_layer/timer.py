"""The durable timer: a worker loop that fires due steps through the outbox.

Each round is one transaction: claim (``FOR UPDATE SKIP LOCKED``), mark ``due``,
write ``step-due`` to the outbox, commit. The status change and the event are
stored together, so a step is emitted at most once across restarts, and
replicas never claim the same row.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from regua_platform.aio import batch_worker
from scheduler_service.metrics import TIMER_LATENESS
from scheduler_service.service_layer.plans import fire_due_steps

if TYPE_CHECKING:
    from regua_platform.app import Runtime
    from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork
    from scheduler_service.settings import Settings

log = logging.getLogger("scheduler.timer")


async def run_timer(runtime: Runtime[Settings, SchedulerUnitOfWork], stop: asyncio.Event) -> None:
    """Worker: run timer rounds until ``stop``; a full batch goes again at once."""
    timer = runtime.settings.timer

    async def one_pass() -> bool | None:
        async with runtime.uow() as uow:
            result = await fire_due_steps(uow, limit=timer.batch_size)
            await uow.commit()
        for seconds in result.lateness_seconds:
            TIMER_LATENESS.observe(seconds)
        if result.claimed:
            log.info(
                "scheduler.timer.round",
                extra={"fired": result.fired, "skipped": result.skipped, "rescheduled": result.rescheduled},
            )
        if not result.claimed:
            return None  # idle: the pause grows up to idle_max_ms
        return result.claimed == timer.batch_size

    await batch_worker(
        one_pass,
        service=runtime.definition.name,
        worker="timer",
        stop=stop,
        interval=timer.interval_ms / 1000,
        idle_max=timer.idle_max_ms / 1000,
    )
