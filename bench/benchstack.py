"""The five services as processes for a benchmark: default settings, a fresh
database and topic namespace on the machine's Kafka and PostgreSQL, the
channel sandbox in the benchmark's process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.procs import ServiceProcess, service_process
from regua_devtools.devstack.services import StackSecrets, service_named
from regua_devtools.sandbox import Sandbox, running_sandbox
from regua_devtools.testing import drop_namespace, free_port, fresh_database, fresh_namespace

NAMES = (
    "invoice-service",
    "scheduler-service",
    "notifier-service",
    "payments-service",
    "negotiation-service",
)


@dataclass
class BenchStack:
    infra: Infra
    database_url: str
    namespace: str
    secret: str
    procs: dict[str, ServiceProcess]
    sandbox: Sandbox
    log_dir: Path

    def url(self, name: str) -> str:
        return self.procs[name].base_url

    @property
    def libpq_url(self) -> str:
        return self.database_url.replace("+asyncpg", "")


@contextlib.asynccontextmanager
async def bench_stack(prefix: str) -> AsyncIterator[BenchStack]:
    """Start the services (defaults but for ports, database, namespace and the
    channel endpoints), wait until every one is ready; stop and clean up after."""
    infra = ensure_infra()
    namespace = await fresh_namespace(infra.bootstrap_servers, prefix)
    log_dir = Path(tempfile.mkdtemp(prefix=f"regua-{prefix}-"))
    keys = StackSecrets.generate()
    secret = keys.jwt
    try:
        async with (
            fresh_database(infra) as database_url,
            running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox,
        ):
            channels = {
                "SMTP__PORT": str(sandbox.smtp_port),
                "SMS__BASE_URL": sandbox.http_url,
                "WHATSAPP__BASE_URL": f"{sandbox.http_url}/v20.0",
            }
            procs = {
                name: service_process(
                    service_named(name),
                    infra=infra,
                    database_url=database_url,
                    namespace=namespace,
                    keys=keys,
                    log_dir=log_dir,
                    **(channels if name == "notifier-service" else {}),
                )
                for name in NAMES
            }
            migrated = await asyncio.gather(*(asyncio.to_thread(p.migrate) for p in procs.values()))
            for name, result in zip(procs, migrated, strict=True):
                if result.returncode != 0:
                    raise SystemExit(f"{name} migrate failed:\n{result.stderr.decode()}")
            for p in procs.values():
                p.start()
            try:
                await asyncio.gather(*(p.wait_ready() for p in procs.values()))
                yield BenchStack(infra, database_url, namespace, secret, procs, sandbox, log_dir)
            finally:
                for p in procs.values():
                    p.stop(signal.SIGTERM)
    finally:
        await drop_namespace(infra.bootstrap_servers, namespace)
