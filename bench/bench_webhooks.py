"""Benchmark: signed Pix webhooks end to end against a bare FastAPI endpoint.

In one run, on a fresh database built by payments-service's migrations and a
fresh Kafka topic namespace:

- ``payments-service api`` and ``payments-service worker`` (the outbox relay)
  run as their own uvicorn processes, as in production; N Pix charges of one
  tenant are written straight to the database;
- a real HTTP client (httpx, keep-alive, one connection per concurrent sender)
  posts signed API Pix callbacks, each paying a different charge, at
  concurrency 1, 4, 16 and 64; every answer must be 200 ``recorded``;
- after each level, the time until the worker's relay has emptied the outbox
  (every ``payment.received`` on Kafka) is the *lag drain*;
- a bare FastAPI app (one trivial POST handler, same uvicorn options) is
  served and driven the same way, and the ratio printed.

Usage: python bench/bench_webhooks.py [REQUESTS per level, default 1500]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import orjson

from payments_service.adapters.crypto import SecretBox
from payments_service.domain.signature import sign
from payments_service.main import MIGRATIONS_DIR
from payments_service.settings import Settings
from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.testing import drop_namespace, fresh_namespace
from regua_platform import migrations
from regua_platform.settings import AuthSettings, DatabaseSettings

LEVELS = (1, 4, 16, 64)
KEY = "bench-key-material-that-is-long-enough-0123456789"
WEBHOOK_SECRET = "whsec_bench_0123456789abcdefXYZ9"  # noqa: S105 - the bench tenant's
BARE_APP = """
from fastapi import FastAPI, Request
import uvicorn
app = FastAPI()
@app.post("/v1/webhooks/pix/{tenant_id}")
async def pix(tenant_id: str, request: Request) -> dict[str, str]:
    await request.body()
    return {"status": "ok"}
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), loop="uvloop",
            http="httptools", log_config=None, access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def serving(
    argv: list[str], port: int, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, int]]:
    """A server process on ``port``, ready (``/healthz`` or any answer), then stopped."""
    log = tempfile.NamedTemporaryFile(prefix="bench-webhooks-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own entrypoints, started once
        argv, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
    )
    print(f"{argv[-1]}: pid {proc.pid}, log {log.name}", file=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as http:
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    r = await http.get("/healthz")
                    if r.status_code < 500:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{argv} did not start")
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 15)
        except subprocess.TimeoutExpired:
            proc.kill()


async def drive(
    base: str, path: str, bodies: list[bytes], concurrency: int, check: Callable[[httpx.Response], bool]
) -> tuple[float, list[float], int]:
    """Post every body, ``concurrency`` at a time; (seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as http:

        async def sender() -> None:
            nonlocal failures
            for raw in queue:
                t = int(time.time())
                headers = {
                    "X-Regua-Signature": sign(WEBHOOK_SECRET, raw, t),
                    "Content-Type": "application/json",
                }
                began = time.perf_counter()
                r = await http.post(path, content=raw, headers=headers)
                latencies.append(time.perf_counter() - began)
                failures += not check(r)

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies, failures


@dataclass
class Level:
    rate: float
    p50: float
    p99: float
    cpu: float
    drain: str = "-"


async def level(
    base: str, pid: int, path: str, bodies: list[bytes], c: int, check: Callable[[httpx.Response], bool]
) -> Level:
    """One concurrency level: rate, latency percentiles, server CPU per request."""
    cpu = cpu_seconds(pid)
    seconds, lat, failed = await drive(base, path, bodies, c, check)
    if failed:
        raise SystemExit(f"{failed} of {len(bodies)} requests failed at concurrency {c}")
    return Level(len(bodies) / seconds, pct(lat, 50), pct(lat, 99), (cpu_seconds(pid) - cpu) / len(bodies))


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def outbox_drained(conn: asyncpg.Connection, timeout: float = 60) -> float | None:  # noqa: ASYNC109
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if await conn.fetchval("select count(*) from payments.outbox") == 0:
            return time.perf_counter() - began
        await asyncio.sleep(0.02)
    return None


async def seed(conn: asyncpg.Connection, tenant: Any, n: int, settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    await conn.execute(
        "insert into payments.pix_settings (tenant_id, static_codes, webhook_secret_encrypted,"
        " webhook_secret_last4, updated_at) values ($1, false, $2, $3, $4)",
        tenant,
        SecretBox(settings.key_material()).encrypt(WEBHOOK_SECRET),
        WEBHOOK_SECRET[-4:],
        now,
    )
    txids = [uuid4().hex for _ in range(n)]
    await conn.copy_records_to_table(
        "charges",
        schema_name="payments",
        columns=[
            "id",
            "tenant_id",
            "invoice_id",
            "debtor_id",
            "method",
            "kind",
            "status",
            "amount_cents",
            "due_date",
            "txid",
            "created_at",
            "updated_at",
        ],
        records=[
            (
                uuid4(),
                tenant,
                uuid4(),
                uuid4(),
                "pix",
                "cobv",
                "active",
                15_000,
                (now + timedelta(days=10)).date(),
                txid,
                now,
                now,
            )
            for txid in txids
        ],
    )
    return txids


def pix_body(txid: str) -> bytes:
    item = {
        "endToEndId": f"E{uuid4().hex[:31]}",
        "txid": txid,
        "valor": "150.00",
        "horario": datetime.now(UTC).isoformat(),
        "infoPagador": "pagamento",
    }
    return orjson.dumps({"pix": [item]})


def answered(r: httpx.Response) -> bool:
    return r.status_code == 200


def recorded(r: httpx.Response) -> bool:
    return r.status_code == 200 and r.json()["results"][0]["outcome"] == "recorded"


async def main(per_level: int) -> None:
    infra = ensure_infra()
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(infra.database_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = infra.database_url.rpartition("/")[0] + "/" + db
    namespace = await fresh_namespace(infra.bootstrap_servers, prefix="bw")
    settings = Settings(auth=AuthSettings(jwt_secret=KEY), database=DatabaseSettings(url=url))
    conn: asyncpg.Connection | None = None
    try:
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS_DIR, url)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        tenant = uuid4()
        warmup = 200
        txids = iter(await seed(conn, tenant, warmup + per_level * len(LEVELS), settings))
        env = {
            "REGUA_PAYMENTS_DATABASE__URL": url,
            "REGUA_PAYMENTS_KAFKA__BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "REGUA_PAYMENTS_KAFKA__TOPIC_NAMESPACE": namespace,
            "REGUA_PAYMENTS_AUTH__JWT_SECRET": KEY,
        }
        exe = str(os.path.join(os.path.dirname(sys.executable), "payments-service"))
        api_port, worker_port, bare_port = free_port(), free_port(), free_port()
        path = f"/v1/webhooks/pix/{tenant}"
        hooks: dict[int, Level] = {}
        bares: dict[int, Level] = {}
        async with (
            serving([exe, "worker"], worker_port, env | {"REGUA_PAYMENTS_HTTP__PORT": str(worker_port)}),
            serving([exe, "api"], api_port, env | {"REGUA_PAYMENTS_HTTP__PORT": str(api_port)}) as (api, pid),
        ):
            await drive(api, path, [pix_body(next(txids)) for _ in range(warmup)], 4, recorded)
            await outbox_drained(conn)
            for c in LEVELS:
                bodies = [pix_body(next(txids)) for _ in range(per_level)]
                hooks[c] = await level(api, pid, path, bodies, c, recorded)
                drained = await outbox_drained(conn)
                hooks[c].drain = f"{drained:.2f} s" if drained is not None else "NOT DRAINED"
                print(f"webhooks at {c}: {hooks[c]}", file=sys.stderr)
        bare_argv = [sys.executable, "-c", BARE_APP, str(bare_port)]
        async with serving(bare_argv, bare_port) as (bare, pid):
            await drive(bare, path, [pix_body("warm") for _ in range(warmup)], 4, answered)
            for c in LEVELS:
                bares[c] = await level(
                    bare, pid, path, [pix_body("bare") for _ in range(per_level)], c, answered
                )
        print(f"signed Pix webhooks, {per_level} per level (httpx client, same machine)")
        print(
            f"{'conc.':>5} {'webhook/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>6} {'lag drain':>9}"
            f" {'bare/s':>7} {'p99 ms':>7} {'CPU ms':>6} {'ratio':>6}"
        )
        for c in LEVELS:
            h, b = hooks[c], bares[c]
            print(
                f"{c:>5} {h.rate:>9.0f} {h.p50 * 1e3:>7.1f} {h.p99 * 1e3:>7.1f} {h.cpu * 1e3:>6.2f}"
                f" {h.drain:>9} {b.rate:>7.0f} {b.p99 * 1e3:>7.1f} {b.cpu * 1e3:>6.2f}"
                f" {h.rate / b.rate:>6.2f}"
            )
        print("CPU ms: the server process's CPU per request; lag drain: outbox empty after the level")
    finally:
        if conn is not None:
            await conn.close()
        await admin.execute(f'drop database if exists "{db}" with (force)')
        await admin.close()
        await drop_namespace(infra.bootstrap_servers, namespace)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500))
