"""Background loops run by the worker role."""

from __future__ import annotations

import asyncio
import logging

from negotiation_service.domain.agreements import local_today
from negotiation_service.service_layer.agreements import break_overdue_agreements
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from negotiation_service.settings import Settings
from regua_platform.aio import batch_worker
from regua_platform.app import Runtime

log = logging.getLogger("negotiation.breaker")


async def agreement_breaker(runtime: Runtime[Settings, NegotiationUnitOfWork], stop: asyncio.Event) -> None:
    """Every few seconds, break the agreements with an installment unpaid beyond
    the tolerance, in batches of one transaction (SKIP LOCKED: replicas share
    the work and an agreement is broken, and announced, once)."""
    interval = runtime.settings.breaker_interval_seconds
    batch = runtime.settings.breaker_batch_size

    async def one_pass() -> bool:
        async with runtime.uow() as uow:
            now = runtime.clock.now()
            done = await break_overdue_agreements(uow, today=local_today(now), now=now, limit=batch)
            await uow.commit()
        if done:
            log.info("agreement.broken.batch", extra={"count": done})
        return done == batch

    await batch_worker(
        one_pass, service=runtime.definition.name, worker="agreement_breaker", stop=stop, interval=interval
    )
