"""Kafka and PostgreSQL for ``regua stack up`` and the test fixtures: use what
the environment names, else reuse ours, else start ours."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from regua_devtools.devstack import kafka, paths, postgres
from regua_devtools.devstack.process import file_lock

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "DATABASE_URL"


def normalise_database_url(url: str) -> str:
    """SQLAlchemy's asyncpg form of a ``postgres://`` / ``postgresql://`` URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


@dataclass
class Infra:
    """What the dev stack or a test session talks to."""

    bootstrap_servers: str
    database_url: str
    started_kafka: bool = False
    started_postgres: bool = False
    kafka_port: int = kafka.DEFAULT_PORT
    pg_port: int = postgres.DEFAULT_PORT
    root: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop only what the ``ensure_infra`` call that made this started."""
        if self.started_kafka:
            kafka.stop(self.root, port=self.kafka_port)
            self.started_kafka = False
        if self.started_postgres:
            postgres.stop(self.root, port=self.pg_port)
            self.started_postgres = False

    def env(self) -> dict[str, str]:
        """``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` for child processes."""
        return {KAFKA_ENV: self.bootstrap_servers, DATABASE_ENV: self.database_url}


def ensure_infra(
    *,
    kafka_port: int = kafka.DEFAULT_PORT,
    controller_port: int = kafka.DEFAULT_CONTROLLER_PORT,
    pg_port: int = postgres.DEFAULT_PORT,
    root: Path | None = None,
) -> Infra:
    """A Kafka broker and a PostgreSQL database, ready to use.

    ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` in the environment win and
    nothing is started for them; otherwise our own broker / cluster is reused
    when it already runs, or started (``started_*`` tells which, so that
    ``Infra.stop`` leaves alone what others are using). Blocking; safe to call
    from inside a running event loop.
    """
    root = root or paths.repo_root()
    infra = Infra("", "", kafka_port=kafka_port, pg_port=pg_port, root=root)
    # Serialise with other callers (a test session and `regua stack up`) so only
    # one of them starts each server.
    with file_lock(paths.run_dir(root) / "infra.lock"):
        if external := os.environ.get(KAFKA_ENV):
            infra.bootstrap_servers = external
        elif kafka.is_running(root, kafka_port):
            infra.bootstrap_servers = f"127.0.0.1:{kafka_port}"
            kafka.wait_ready(infra.bootstrap_servers)
        else:
            began = time.monotonic()
            infra.bootstrap_servers = kafka.start(port=kafka_port, controller_port=controller_port, root=root)
            infra.started_kafka = True
            infra.timings["kafka"] = time.monotonic() - began

        if external := os.environ.get(DATABASE_ENV):
            infra.database_url = normalise_database_url(external)
        elif postgres.is_running(root, pg_port):
            infra.database_url = postgres.database_url(pg_port)
            postgres.ensure_database(pg_port)
        else:
            began = time.monotonic()
            try:
                infra.database_url = postgres.start(port=pg_port, root=root)
            except BaseException:
                infra.stop()  # do not leave a broker behind that nobody will stop
                raise
            infra.started_postgres = True
            infra.timings["postgres"] = time.monotonic() - began
    return infra
