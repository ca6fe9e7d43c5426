"""Each of the five services, as its own process against real Kafka and
PostgreSQL: migrations run, it becomes ready, answers health, metrics and its
OpenAPI document, refuses to start without a real secret, and shuts down
gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from regua_devtools.devstack.infra import Infra
from regua_devtools.devstack.procs import ServiceProcess, service_process
from regua_devtools.devstack.services import SERVICES, Service, StackSecrets, script_path
from regua_devtools.testing import drop_namespace, fresh_database, fresh_namespace

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
KEYS = StackSecrets.generate()


@pytest.fixture(scope="module")
async def db(infra: Infra) -> AsyncIterator[str]:
    """The services' own database: nothing left over by other tests."""
    async with fresh_database(infra) as url:
        yield url


@pytest.fixture(scope="module")
async def running(
    infra: Infra, db: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, ServiceProcess]]:
    namespace = await fresh_namespace(infra.bootstrap_servers, "e2e")
    log_dir = tmp_path_factory.mktemp("logs")
    procs = {
        s.name: service_process(
            s, infra=infra, database_url=db, namespace=namespace, keys=KEYS, log_dir=log_dir
        )
        for s in SERVICES
    }
    results = await asyncio.gather(*(asyncio.to_thread(p.migrate) for p in procs.values()))
    for name, result in zip(procs, results, strict=True):
        assert result.returncode == 0, f"{name} migrate failed:\n{result.stderr.decode()}"
    try:
        for p in procs.values():
            p.start()
        await asyncio.gather(*(p.wait_ready() for p in procs.values()))
        yield procs
    finally:
        for p in procs.values():
            p.stop(signal.SIGKILL)
        await drop_namespace(infra.bootstrap_servers, namespace)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
async def test_service_serves_health_metrics_and_openapi(
    service: Service, running: dict[str, ServiceProcess]
) -> None:
    async with httpx.AsyncClient(base_url=running[service.name].base_url, timeout=5) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
        openapi = (await client.get("/openapi.json")).json()
        assert openapi["info"]["title"].startswith("Régua")
        assert "/healthz" in openapi["paths"]
        metrics = (await client.get("/metrics")).text
        assert f'service="{service.name}"' in metrics
        assert "regua_http_request_duration_seconds_bucket" in metrics


async def test_migrations_created_each_service_schema(running: dict[str, ServiceProcess], db: str) -> None:
    conn = await asyncpg.connect(db.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "select table_schema, table_name from information_schema.tables "
            "where table_name in ('outbox', 'inbox', 'alembic_version')"
        )
    finally:
        await conn.close()
    found = {(r["table_schema"], r["table_name"]) for r in rows}
    for service in SERVICES:
        schema = service.name.removesuffix("-service")
        assert {(schema, "outbox"), (schema, "inbox"), (schema, "alembic_version")} <= found


def test_migrate_twice_is_a_no_op(running: dict[str, ServiceProcess]) -> None:
    result = running[SERVICES[0].name].migrate()
    assert result.returncode == 0, result.stderr.decode()
    assert b"migrations applied" in result.stdout


def test_a_service_refuses_to_start_with_a_weak_secret() -> None:
    service = SERVICES[0]
    env = {**os.environ, f"{service.env_prefix}AUTH__JWT_SECRET": "changeme"}
    result = subprocess.run(
        [str(script_path(service)), "api"], env=env, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert b"jwt_secret" in result.stderr


def test_graceful_shutdown_on_sigterm(running: dict[str, ServiceProcess]) -> None:
    # Runs last in this module: it stops the services.
    for name, p in running.items():
        # uvicorn finishes its shutdown, then re-raises the signal it caught.
        assert p.stop(signal.SIGTERM) in (0, -signal.SIGTERM), f"{name} was not stopped"
        lines = p.log_lines()
        events = [x["event"] for x in lines]
        assert "service.stopped" in events, f"{name} skipped its shutdown"
        assert events.index("service.stopped") > events.index("service.started")
        assert not [x for x in lines if x["level"] == "error"], f"{name} logged errors"
