"""Each of the five services, as its own process against real Kafka and
PostgreSQL: migrations run, it becomes ready, answers health, metrics and its
OpenAPI document, refuses to start without a real secret, and shuts down
gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from regua_contracts.topics import ALL_TOPICS, COMPACTED_TOPICS, namespaced
from regua_devtools.devstack.infra import Infra
from regua_devtools.devstack.services import SERVICES, Service, script_path, service_env
from regua_devtools.devstack.topics import ensure_topics
from regua_devtools.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
SECRET = secrets.token_urlsafe(48)
logs: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def namespace(infra: Infra) -> str:
    ns = f"e2e{secrets.token_hex(3)}."
    await ensure_topics(
        infra.bootstrap_servers,
        [namespaced(t, ns) for t in ALL_TOPICS],
        compacted={namespaced(t, ns) for t in COMPACTED_TOPICS},
    )
    return ns


def env_for(service: Service, infra: Infra, database_url: str, namespace: str, port: int) -> dict[str, str]:
    stack = Infra(bootstrap_servers=infra.bootstrap_servers, database_url=database_url)
    env = {**os.environ, **service_env(service, stack, SECRET, port)}
    env[f"{service.env_prefix}KAFKA__TOPIC_NAMESPACE"] = namespace
    env[f"{service.env_prefix}HTTP__SHUTDOWN_GRACE_SECONDS"] = "5"
    return env


@pytest.fixture(scope="module")
async def running(
    infra: Infra, database_url: str, namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, tuple[subprocess.Popen[bytes], str]]]:
    procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    results = await asyncio.gather(
        *(asyncio.to_thread(migrate, s, infra, database_url, namespace) for s in SERVICES)
    )
    for service, result in zip(SERVICES, results, strict=True):
        assert result.returncode == 0, f"{service.name} migrate failed:\n{result.stderr.decode()}"
    for service in SERVICES:
        port = free_port()
        log = tmp_path_factory.mktemp("logs") / f"{service.name}.log"
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once per module
            [str(script_path(service)), "all"],
            env=env_for(service, infra, database_url, namespace, port),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        logs[service.name] = log
        procs[service.name] = (proc, f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for _proc, base in procs.values():
                await wait_for(lambda base=base: _ready(client, base), timeout=90)
        yield procs
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def _ready(client: httpx.AsyncClient, base: str) -> bool:
    try:
        return (await client.get(f"{base}/readyz")).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
async def test_service_serves_health_metrics_and_openapi(
    service: Service, running: dict[str, tuple[subprocess.Popen[bytes], str]]
) -> None:
    _proc, base = running[service.name]
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
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


async def test_migrations_created_each_service_schema(
    running: dict[str, tuple[subprocess.Popen[bytes], str]], database_url: str
) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
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


def migrate(
    service: Service, infra: Infra, database_url: str, namespace: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(script_path(service)), "migrate"],
        env=env_for(service, infra, database_url, namespace, 1),
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_migrate_twice_is_a_no_op(
    running: dict[str, tuple[subprocess.Popen[bytes], str]],
    infra: Infra,
    database_url: str,
    namespace: str,
) -> None:
    result = migrate(SERVICES[0], infra, database_url, namespace)
    assert result.returncode == 0, result.stderr.decode()
    assert b"migrations applied" in result.stdout


def test_a_service_refuses_to_start_with_a_weak_secret(infra: Infra) -> None:
    service = SERVICES[0]
    env = {**os.environ, f"{service.env_prefix}AUTH__JWT_SECRET": "changeme"}
    result = subprocess.run(
        [str(script_path(service)), "api"], env=env, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert b"jwt_secret" in result.stderr


def test_graceful_shutdown_on_sigterm(running: dict[str, tuple[subprocess.Popen[bytes], str]]) -> None:
    # Runs last in this module: it stops the services.
    for proc, _ in running.values():
        proc.send_signal(signal.SIGTERM)
    for name, (proc, _) in running.items():
        # uvicorn finishes its shutdown, then re-raises the signal it caught.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM), f"{name} was not stopped"
        lines = [json.loads(x) for x in logs[name].read_text().splitlines() if x.startswith("{")]
        events = [x["event"] for x in lines]
        assert "service.stopped" in events, f"{name} skipped its shutdown"
        assert events.index("service.stopped") > events.index("service.started")
        assert not [x for x in lines if x["level"] == "error"], f"{name} logged errors"
