from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker, service_metadata
from regua_platform.messaging import MessagingTables, messaging_tables
from regua_platform.settings import DatabaseSettings
from regua_platform.uow import UnitOfWork


@dataclass
class Store:
    """A throw-away service schema: outbox, inbox and an ``effects`` table that
    handlers write to, so a test can count side effects."""

    schema: str
    metadata: MetaData
    messaging: MessagingTables
    effects: Table
    engine: AsyncEngine
    database_url: str

    def uow(self, namespace: str = "") -> UnitOfWork:
        return UnitOfWork(
            create_sessionmaker(self.engine),
            self.messaging,
            source="/regua/test",
            clock=SystemClock(),
            topic_namespace=namespace,
        )

    async def effect_count(self, event_id: str | None = None) -> int:
        query = select(func.count()).select_from(self.effects)
        if event_id:
            query = query.where(self.effects.c.event_id == event_id)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def outbox_size(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(self.messaging.outbox))).scalar_one()
            )


def build_metadata(schema: str) -> tuple[MetaData, MessagingTables, Table]:
    metadata = service_metadata(schema)
    messaging = messaging_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("event_id", String(100), nullable=False),
        Column("note", String(100), nullable=False),
    )
    return metadata, messaging, effects


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    schema = f"pt_{secrets.token_hex(4)}"
    metadata, messaging, effects = build_metadata(schema)
    engine = create_engine(DatabaseSettings(url=database_url), application_name="platform-tests")
    async with engine.begin() as conn:
        await conn.execute(text(f'create schema "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield Store(schema, metadata, messaging, effects, engine, database_url)
    async with engine.begin() as conn:
        await conn.execute(text(f'drop schema "{schema}" cascade'))
    await engine.dispose()


TENANT: UUID = uuid4()
