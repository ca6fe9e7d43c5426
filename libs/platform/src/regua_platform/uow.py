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

import orjson
from opentelemetry import propagate
from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from regua_contracts import Envelope, new_envelope
from regua_contracts.base import Payload
from regua_contracts.topics import namespaced
from regua_platform.clock import Clock
from regua_platform.messaging import MessagingTables, outbox_channel


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
        self._notify: set[str] = set()
        self._channel = outbox_channel(messaging)
        self._write_outbox = _outbox_insert(messaging)
        self._claim_inbox = _inbox_claim(messaging)

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._pending = []
        self._notify = set()
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

    def notify(self, channel: str) -> None:
        """Wake, when this transaction commits, the loops listening on
        ``channel`` (see :mod:`regua_platform.wakeup`): work for them is ready."""
        self._notify.add(channel)

    async def claim(self, envelope: Envelope, *, topic: str) -> bool:
        """Record ``envelope`` as handled (the inbox). False when it already was:
        the caller must then do nothing."""
        return bool(await self.claim_many([(envelope, topic)]))

    async def claim_many(self, events: Sequence[tuple[Envelope, str]]) -> set[str]:
        """Record many ``(envelope, topic)`` as handled in one statement; the ids
        of those that were not yet (the others must have no effect)."""
        if not events:
            return set()
        result = await self.session.execute(
            self._claim_inbox,
            {
                "ids": [e.id for e, _ in events],
                "types": [e.type for e, _ in events],
                "topics": [topic for _, topic in events],
            },
        )
        return {str(row[0]) for row in result}

    async def commit(self) -> None:
        """Write the queued events to the outbox and notify the relay (one
        statement of fixed shape, prepared once per connection, whatever the
        number of events), then commit: the notification reaches the relay
        only if the transaction commits."""
        if self._pending:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            pending, self._pending = self._pending, []
            await self.session.execute(
                self._write_outbox,
                {
                    "ids": [env.id for env in pending],
                    "types": [env.type for env in pending],
                    "topics": [namespaced(env.topic, self._namespace) for env in pending],
                    "keys": [env.key for env in pending],
                    "values": [env.to_json() for env in pending],
                    # The type as a header too: consumers skip what they don't handle unparsed.
                    "headers": [orjson.dumps(dict(carrier, ce_type=env.type)).decode() for env in pending],
                    "channel": self._channel,
                },
            )
        if self._notify:
            channels, self._notify = sorted(self._notify), set()
            await self.session.execute(_NOTIFY_MANY, {"channels": channels})
        await self.session.commit()

    async def rollback(self) -> None:
        self._pending = []
        self._notify = set()
        await self.session.rollback()


_NOTIFY_MANY = text("select pg_notify(c, '') from unnest(cast(:channels as text[])) as c")


def _qualified(table: Table) -> str:
    return f'"{table.schema}".{table.name}' if table.schema else table.name


def _inbox_claim(messaging: MessagingTables) -> TextClause:
    return text(
        f"""
        insert into {_qualified(messaging.inbox)} (event_id, event_type, topic)
        select * from unnest(cast(:ids as text[]), cast(:types as text[]), cast(:topics as text[]))
        on conflict (event_id) do nothing
        returning event_id
        """  # noqa: S608 (table name from our own metadata)
    )


def _outbox_insert(messaging: MessagingTables) -> TextClause:
    """``INSERT … SELECT FROM unnest(arrays)`` in array order (the outbox id
    order is the publication order), and ``pg_notify`` in the same statement."""
    table = _qualified(messaging.outbox)
    return text(
        f"""
        with written as (
          insert into {table} (event_id, event_type, topic, key, value, headers)
          select e, t, tp, k, v, h::jsonb
          from unnest(
            cast(:ids as text[]), cast(:types as text[]), cast(:topics as text[]),
            cast(:keys as bytea[]), cast(:values as bytea[]), cast(:headers as text[])
          ) with ordinality as u(e, t, tp, k, v, h, n)
          order by n
        )
        select pg_notify(:channel, '')
        """  # noqa: S608 (table name from our own metadata)
    )
