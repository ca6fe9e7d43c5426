"""The unit of work: owns one transaction and the events it will publish.

Use cases never commit; the request handler or message handler that opened the
unit of work commits once, at the edge. Events published through
:meth:`UnitOfWork.publish` are written to the outbox in that same transaction,
so a change and its events are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from opentelemetry import propagate
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import namespaced
from regua_platform.clock import Clock
from regua_platform.messaging import MessagingTables, outbox_channel

#: Outbox rows per INSERT (6 parameters each, under asyncpg's 32,767).
_ROWS_PER_STATEMENT = 2_000


class UnitOfWork:
    """Subclass per service to expose its repositories over ``self.session``."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        messaging: MessagingTables,
        *,
        source: str,
        clock: Clock,
        topic_namespace: str = "",
    ) -> None:
        self._sessions = sessions
        self._messaging = messaging
        self._source = source
        self._namespace = topic_namespace
        self.clock = clock
        self._pending: list[Envelope] = []
        self._channel = outbox_channel(messaging)

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, payload: Payload, *, tenant_id: UUID, subject: str | None = None) -> Envelope:
        """Queue an event; it reaches the outbox on :meth:`commit`."""
        envelope = new_envelope(
            payload,
            tenant_id=tenant_id,
            source=self._source,
            time=self.clock.now(),
            subject=subject,
        )
        self._pending.append(envelope)
        return envelope

    async def claim(self, envelope: Envelope, *, topic: str) -> bool:
        """Record ``envelope`` as handled (the inbox). False when it already was:
        the caller must then do nothing."""
        table = self._messaging.inbox
        result = await self.session.execute(
            pg_insert(table)
            .values(event_id=envelope.id, event_type=envelope.type, topic=topic)
            .on_conflict_do_nothing(index_elements=[table.c.event_id])
            .returning(table.c.event_id)
        )
        return result.first() is not None

    async def claim_many(self, events: Sequence[tuple[Envelope, str]]) -> set[str]:
        """Record many ``(envelope, topic)`` as handled in one statement; the ids
        of those that were not yet (the others must have no effect)."""
        if not events:
            return set()
        table = self._messaging.inbox
        result = await self.session.execute(
            pg_insert(table)
            .values([{"event_id": e.id, "event_type": e.type, "topic": topic} for e, topic in events])
            .on_conflict_do_nothing(index_elements=[table.c.event_id])
            .returning(table.c.event_id)
        )
        return {str(row[0]) for row in result}

    async def commit(self) -> None:
        """Write the queued events to the outbox and notify the relay (one
        statement), then commit: the notification reaches the relay only if
        the transaction commits."""
        if self._pending:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            rows = [
                {
                    "event_id": env.id,
                    "event_type": env.type,
                    "topic": namespaced(env.topic, self._namespace),
                    "key": env.key,
                    "value": env.to_json(),
                    # The type as a header too: consumers skip what they don't handle unparsed.
                    "headers": dict(carrier, ce_type=env.type),
                }
                for env in self._pending
            ]
            self._pending = []
            outbox = self._messaging.outbox
            *head, tail = [
                rows[i : i + _ROWS_PER_STATEMENT] for i in range(0, len(rows), _ROWS_PER_STATEMENT)
            ]
            for chunk in head:
                await self.session.execute(insert(outbox).values(chunk))
            written = insert(outbox).values(tail).cte("written")
            await self.session.execute(select(func.pg_notify(self._channel, "")).add_cte(written))
        await self.session.commit()

    async def rollback(self) -> None:
        self._pending = []
        await self.session.rollback()
