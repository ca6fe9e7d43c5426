"""The dev stack's infrastructure: real Kafka and PostgreSQL, started once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.topics import ensure_topics


@pytest.fixture(scope="module")
def infra() -> Iterator[Infra]:
    started = ensure_infra()
    yield started
    started.stop()


@pytest.mark.kafka
@pytest.mark.postgres
def test_ensure_infra_reuses_what_runs(infra: Infra) -> None:
    again = ensure_infra()

    assert (again.started_kafka, again.started_postgres) == (False, False)
    assert again.bootstrap_servers == infra.bootstrap_servers
    assert again.database_url == infra.database_url
    assert infra.database_url.startswith("postgresql+asyncpg://")


@pytest.mark.kafka
async def test_ensure_topics_creates_partitioned_and_compacted_topics(infra: Infra) -> None:
    suffix = uuid.uuid4().hex[:8]
    events, checkpoints = f"test.events.{suffix}", f"test.checkpoints.{suffix}"

    for _ in range(2):  # the second call must be a no-op
        await ensure_topics(
            infra.bootstrap_servers, [events, checkpoints], partitions=3, compacted={checkpoints}
        )

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([events, checkpoints])
        configs = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, name, {"cleanup.policy": None})
                for name in (events, checkpoints)
            ]
        )
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    policies = {
        resource[3]: dict((entry[0], entry[1]) for entry in resource[4])["cleanup.policy"]
        for response in configs
        for resource in response.resources
    }
    assert partitions == {events: 3, checkpoints: 1}
    assert policies == {events: "delete", checkpoints: "compact"}


@pytest.mark.postgres
async def test_postgres_answers(infra: Infra) -> None:
    conn = await asyncpg.connect(infra.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("select 1") == 1
    finally:
        await conn.close()
