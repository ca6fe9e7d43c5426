"""pytest fixtures giving tests a real Kafka broker and a real PostgreSQL.

They reuse the dev stack's provisioning code: the servers named by
``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``, else the running dev stack's,
else ones started for the session (and stopped after it). Each session gets a
fresh database; each test asking for ``kafka_settings`` gets its own topics
under a fresh namespace.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS, namespaced
from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.topics import ensure_topics
from regua_platform.settings import KafkaSettings


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    started = ensure_infra()
    yield started
    started.stop()


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(scope="session")
async def database_url(infra: Infra) -> AsyncIterator[str]:
    """A database of its own for this test session, dropped afterwards."""
    name = f"regua_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_libpq(infra.database_url))
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    base, _, _ = infra.database_url.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(_libpq(infra.database_url))
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


async def fresh_namespace(bootstrap: str, prefix: str = "t") -> str:
    """A new topic namespace with every platform topic created under it."""
    namespace = f"{prefix}{secrets.token_hex(4)}."
    await ensure_topics(
        bootstrap,
        [namespaced(t, namespace) for t in ALL_TOPICS],
        compacted={namespaced(t, namespace) for t in COMPACTED_TOPICS},
    )
    return namespace


@pytest.fixture
async def kafka_settings(infra: Infra) -> KafkaSettings:
    """Kafka settings whose every topic is fresh: a new namespace per test."""
    namespace = await fresh_namespace(infra.bootstrap_servers)
    return KafkaSettings(
        bootstrap_servers=infra.bootstrap_servers,
        topic_namespace=namespace,
        retry_backoff_ms=10,
        retry_backoff_max_ms=50,
        relay_poll_interval_ms=20,
    )


async def wait_for(predicate: object, *, timeout: float = 20.0, interval: float = 0.05) -> None:  # noqa: ASYNC109
    """Wait until ``predicate()`` (sync or async) is truthy; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
