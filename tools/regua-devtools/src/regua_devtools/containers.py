"""Kafka and PostgreSQL for the test session from testcontainers
(``REGUA_TEST_INFRA=containers``): the same images docker-compose.yml runs
(``apache/kafka:4.1.1``, ``postgres:15-bookworm``; ``make images`` builds
stand-ins under those names where no registry answers). The tests and their
assertions are the same as on the default, Docker-free infrastructure.

On a Docker engine started by hand (Debian's dockerd), set
``TESTCONTAINERS_RYUK_DISABLED=true`` (no Ryuk image to pull offline) and
``TC_HOST=127.0.0.1``; :func:`container_infra` sets both when unset.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

from regua_devtools.devstack import kafka
from regua_devtools.devstack.infra import Infra

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15-bookworm"
START_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_postgres(port: int, timeout: float = START_TIMEOUT) -> None:
    import asyncpg

    from regua_devtools.devstack.process import run_coroutine_blocking

    async def ready() -> bool:
        try:
            conn = await asyncpg.connect(f"postgresql://regua:regua@127.0.0.1:{port}/regua", timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    deadline = time.monotonic() + timeout
    while not run_coroutine_blocking(ready()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL container not ready on :{port} in {timeout:.0f}s")
        time.sleep(0.5)


@contextlib.contextmanager
def container_infra() -> Iterator[Infra]:
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TC_HOST", "127.0.0.1")
    from testcontainers.core.container import DockerContainer

    kafka_port, pg_port = _free_port(), _free_port()
    # Clients on the host (the tests) reach the broker on the host port it is
    # published on; the broker reaches itself (transaction markers) on BROKER.
    broker = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, kafka_port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,BROKER://:9094,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{kafka_port},BROKER://localhost:9094")
        .with_env("KAFKA_INTER_BROKER_LISTENER_NAME", "BROKER")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT",
        )
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "3")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "3")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_NUM_PARTITIONS", "3")
    )
    database = (
        DockerContainer(POSTGRES_IMAGE)
        .with_bind_ports(5432, pg_port)
        .with_env("POSTGRES_USER", "regua")
        .with_env("POSTGRES_PASSWORD", "regua")
        .with_env("POSTGRES_DB", "regua")
        .with_command("postgres -c fsync=off -c max_connections=300")
    )
    with broker, database:
        bootstrap = f"127.0.0.1:{kafka_port}"
        kafka.wait_ready(bootstrap, timeout=START_TIMEOUT)
        _wait_postgres(pg_port)
        yield Infra(
            bootstrap_servers=bootstrap,
            database_url=f"postgresql+asyncpg://regua:regua@127.0.0.1:{pg_port}/regua",
            kafka_port=kafka_port,
            pg_port=pg_port,
        )
