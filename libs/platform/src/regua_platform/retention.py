"""Retention: delete the messaging rows that have outlived their use.

Every worker process of every service runs :func:`run_retention` (wired once
in :mod:`regua_platform.app`). It wakes rarely (hourly by default), deletes
in short transactions of at most ``batch_size`` rows (one ``DELETE … WHERE
event_id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` each, along the
``handled_at`` index, so locks stay brief and two workers split the work
instead of waiting on each other), goes again at once while a batch came back
full, and counts what it deleted in ``regua_retention_deleted_total{service,
table}``; each pass counts in ``regua_worker_passes_total{worker="retention"}``.

**The inbox** holds the id of every event the service handled, so that a
redelivered record is recognised and skipped. Its rows are deleted once older
than ``retention.inbox_days`` (default 7). That is safe because the consumer
commits a record's Kafka offset only after the transaction that handled it
(and wrote its inbox row) committed: what Kafka redelivers by itself (after a
crash, a rebalance, a retry) is at most the records after the last committed
offset, which were handled seconds ago, not days. A record handled more than
``inbox_days`` ago can only come back by a deliberate act: resetting the
consumer group's offsets to an earlier point, or re-publishing records
(a DLQ re-drive only re-publishes dead letters, which were never handled and
so have no inbox row). Whoever does that must know the inbox only remembers
``inbox_days``; keeping ``inbox_days`` at least the topics' ``retention.ms``
(Kafka's default is 7 days) makes even a reset to the earliest offset safe.
The age is measured with the database's clock, the one that wrote
``handled_at``, so a process clock shifted for a simulation cannot prune
early.

**The outbox** needs no pruning: the relay deletes each row in the
transaction after its Kafka commit, and a relay that dies in between has its
rows deleted by the next leader from the checkpoint topic. A row that stays is
an event not yet published, never garbage: deleting it would lose the event,
so retention leaves the outbox alone and ``regua_outbox_backlog`` shows it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import Column, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from regua_platform.aio import batch_worker
from regua_platform.messaging import MessagingTables
from regua_platform.metrics import RETENTION_DELETED
from regua_platform.settings import RetentionSettings

log = logging.getLogger("regua.retention")


async def prune(
    engine: AsyncEngine,
    table: Table,
    stamp: Column[object],
    *,
    older_than: timedelta,
    batch_size: int,
) -> int:
    """Delete at most ``batch_size`` rows of ``table`` whose ``stamp`` is older
    than ``older_than`` by the database's clock, in one transaction; returns how
    many were deleted. ``table`` must have a single-column primary key."""
    (key,) = table.primary_key.columns
    victims = (
        select(key).where(stamp < func.now() - older_than).limit(batch_size).with_for_update(skip_locked=True)
    )
    async with engine.begin() as conn:
        result = await conn.execute(delete(table).where(key.in_(victims.scalar_subquery())))
    return int(result.rowcount)


async def run_retention(
    *,
    service: str,
    engine: AsyncEngine,
    messaging: MessagingTables,
    settings: RetentionSettings,
    stop: asyncio.Event,
) -> None:
    """Prune the inbox every ``settings.interval_seconds`` until ``stop``."""
    inbox = messaging.inbox
    deleted_total = RETENTION_DELETED.labels(service, inbox.name)

    async def one_pass() -> bool:
        deleted = await prune(
            engine,
            inbox,
            inbox.c.handled_at,
            older_than=timedelta(days=settings.inbox_days),
            batch_size=settings.batch_size,
        )
        if deleted:
            deleted_total.inc(deleted)
            log.info("retention.pruned", extra={"table": inbox.name, "rows": deleted})
        return deleted == settings.batch_size

    await batch_worker(
        one_pass, service=service, worker="retention", stop=stop, interval=settings.interval_seconds
    )
