"""Create the platform's topics (auto-creation is off on our broker, as in
production)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS

__all__ = ["ALL_TOPICS", "COMPACTED_TOPICS", "ensure_platform_topics", "ensure_topics"]


async def ensure_topics(
    bootstrap: str,
    names: Sequence[str],
    *,
    partitions: int = 3,
    compacted: Collection[str] = (),
) -> None:
    """Create every topic in ``names`` that does not exist yet; topics in
    ``compacted`` get ``cleanup.policy=compact`` and a single partition.
    Existing topics are left as they are (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=name,
                num_partitions=1 if name in compacted else partitions,
                replication_factor=1,  # dev and test clusters have one broker
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in dict.fromkeys(names)
            if name not in existing
        ]
        # One request per topic so a concurrent creator (another test session)
        # only costs us a TopicAlreadyExists on that topic.
        for topic in wanted:
            try:
                response = await admin.create_topics([topic])
            except TopicAlreadyExistsError:
                continue
            for _name, code, *_rest in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"creating topic {topic.name} failed: error code {code}")
        if wanted:
            await _wait_visible(admin, {topic.name for topic in wanted})
    finally:
        await admin.close()


async def _wait_visible(admin: AIOKafkaAdminClient, names: set[str]) -> None:
    # The controller answers CreateTopics before the broker's metadata cache
    # has the topic: wait, so callers can describe or produce right away.
    for _ in range(100):
        if names <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics not visible after creation: {sorted(names)}")


async def ensure_platform_topics(bootstrap: str) -> None:
    """Every topic named in ``regua_contracts.topics``."""
    await ensure_topics(bootstrap, ALL_TOPICS, compacted=COMPACTED_TOPICS)
