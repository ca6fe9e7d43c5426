"""The outbox and inbox tables every service keeps in its own schema."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Declare ``outbox`` and ``inbox`` in ``metadata`` (the service's schema)."""
    outbox = Table(
        "outbox",
        metadata,
        # Publication order is id order; rows are deleted once published.
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", String(100), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(249), nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("value", LargeBinary, nullable=False),
        # W3C trace context of the transaction that wrote the event.
        Column("headers", JSONB, nullable=False, server_default="{}"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(100), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(249), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    Index(None, inbox.c.handled_at)
    return MessagingTables(outbox=outbox, inbox=inbox)


def outbox_channel(messaging: MessagingTables) -> str:
    """The ``NOTIFY`` channel a service's unit of work signals when it wrote
    outbox rows (see :mod:`regua_platform.wakeup`)."""
    return f"regua_outbox_{messaging.outbox.schema or 'public'}"
