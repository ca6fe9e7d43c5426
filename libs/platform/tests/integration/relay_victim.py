"""A relay process for the crash tests: it stops at a chosen point, prints a
marker and waits to be killed with SIGKILL.

usage: python relay_victim.py MODE DATABASE_URL BOOTSTRAP NAMESPACE SCHEMA
MODE: mid-batch (inside an open Kafka transaction, half the batch sent) or
after-commit (Kafka transaction committed, outbox rows not yet deleted).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from regua_platform.db import create_engine, service_metadata
from regua_platform.kafka import transactional_producer
from regua_platform.messaging import messaging_tables
from regua_platform.relay import OutboxRelay
from regua_platform.settings import DatabaseSettings, KafkaSettings


async def hang(marker: str) -> None:
    print(marker, flush=True)
    await asyncio.sleep(3600)


async def main(mode: str, url: str, bootstrap: str, namespace: str, schema: str) -> None:
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_namespace=namespace, relay_batch_size=50)

    def producer(transactional_id: str) -> Any:
        inner = transactional_producer(kafka, client_id="victim", transactional_id=transactional_id)
        send, sent = inner.send, 0

        async def send_then_maybe_hang(*args: Any, **kwargs: Any) -> Any:
            nonlocal sent
            result = await send(*args, **kwargs)
            sent += 1
            if mode == "mid-batch" and sent == 25:
                await inner.flush()  # the records are on the broker, in an open transaction
                await hang("MID-BATCH")
            return result

        inner.send = send_then_maybe_hang
        return inner

    class Victim(OutboxRelay):
        async def _mark_published(self, ids: Any) -> None:
            if mode == "after-commit":
                await hang("COMMITTED")
            await super()._mark_published(ids)

    engine = create_engine(DatabaseSettings(url=url), application_name="relay-victim")
    relay = Victim(
        service="relay-test",
        engine=engine,
        messaging=messaging_tables(service_metadata(schema)),
        kafka=kafka,
        producer_factory=producer,
    )
    await relay.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
