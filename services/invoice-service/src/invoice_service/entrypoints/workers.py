"""Background loops run by the worker role."""

from __future__ import annotations

import asyncio
import logging

from invoice_service.metrics import INVOICES_OVERDUE, OVERDUE_OPEN_CENTS
from invoice_service.service_layer.invoices import flag_overdue_invoices
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import Settings
from regua_br.calendar import DEFAULT_TIMEZONE
from regua_platform.aio import batch_worker
from regua_platform.app import Runtime

log = logging.getLogger("invoice.overdue")


async def overdue_scanner(runtime: Runtime[Settings, InvoiceUnitOfWork], stop: asyncio.Event) -> None:
    """Every few seconds, flag the invoices whose due date has passed and publish
    ``invoice.overdue`` for each, in batches of one transaction. Rows are locked
    with SKIP LOCKED, so replicas share the work and never publish twice."""
    interval = runtime.settings.overdue_scan_interval_seconds
    batch = runtime.settings.overdue_scan_batch_size

    async def one_pass() -> bool:
        async with runtime.uow() as uow:
            flagged = await flag_overdue_invoices(
                uow, now=runtime.clock.now(), default_timezone=DEFAULT_TIMEZONE, limit=batch
            )
            await uow.commit()
        if flagged:
            log.info("invoice.overdue.flagged", extra={"count": flagged})
        if flagged == batch:
            return True  # a full batch: there may be more
        # Caught up: the business view's gauges (one aggregate per scan interval).
        async with runtime.uow() as uow:
            count, cents = await uow.invoices.overdue_totals()
        INVOICES_OVERDUE.set(count)
        OVERDUE_OPEN_CENTS.set(cents)
        return False

    await batch_worker(
        one_pass, service=runtime.definition.name, worker="overdue_scanner", stop=stop, interval=interval
    )
