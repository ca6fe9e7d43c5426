"""Benchmark: the HTTP cost of the platform's app against a bare FastAPI app.

Calls a trivial ``GET`` endpoint in-process, straight through the ASGI
interface (no socket, no HTTP client: what is measured is the app and its
middleware only), first on a bare FastAPI app, then on an app built by
``regua_platform.app.create_app`` (problem handlers, HTTP metrics middleware,
OpenTelemetry server spans), in the same run. Prints requests/s of both and
the ratio. Usage: python bench/bench_http.py [SECONDS per app, default 5]
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData

from regua_platform.app import ServiceDefinition, create_app
from regua_platform.messaging import messaging_tables
from regua_platform.settings import AuthSettings, ServiceSettings
from regua_platform.uow import UnitOfWork

CONCURRENCY = 16
ROUNDS = 5


class Settings(ServiceSettings):
    pass


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    return app


def service_app() -> FastAPI:
    router = APIRouter()

    @router.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    metadata = MetaData(schema="bench")
    definition = ServiceDefinition(
        name="bench-http",
        schema="bench",
        title="bench",
        description="bench",
        metadata=metadata,
        messaging=messaging_tables(metadata),
        migrations_dir=Path("."),
        settings_class=Settings,
        uow_class=UnitOfWork,
        routers=[router],
    )
    # The lifespan (database, Kafka) never runs: the endpoint needs neither.
    app = create_app(definition, Settings(auth=AuthSettings(jwt_secret="b" * 40)), role="api")
    logging.getLogger().setLevel(logging.WARNING)
    return app


async def call(app: Any, path: str) -> int:
    """One request through the ASGI interface; returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def rate(app: Any, seconds: float) -> float:
    """Requests per second of this process's CPU time (what one core would
    serve; unlike wall time it hardly moves when the machine is busy), at
    ``CONCURRENCY`` concurrent callers for ``seconds``."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller(n: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < deadline:
            assert await call(app, f"/v1/things/{n}-{i}") == 200
            i += 1
            done += 1

    began = time.process_time()
    await asyncio.gather(*(caller(n) for n in range(CONCURRENCY)))
    return done / (time.process_time() - began)


async def main(seconds: float) -> None:
    apps = {"bare": bare_app(), "ours": service_app()}
    for app in apps.values():  # warm caches before timing
        for i in range(500):
            assert await call(app, f"/v1/things/{i}") == 200
    # Alternate short rounds and keep each app's best: other load on the
    # machine then hits both alike instead of whichever ran during it.
    best = dict.fromkeys(apps, 0.0)
    for _ in range(ROUNDS):
        for name, app in apps.items():
            best[name] = max(best[name], await rate(app, seconds / ROUNDS))
    bare, ours = best["bare"], best["ours"]
    print(f"trivial GET, in-process ASGI, concurrency {CONCURRENCY}, best of {ROUNDS} rounds, per CPU-second")
    print(f"bare FastAPI app:                 {bare:,.0f} requests/s ({1e6 / bare:,.0f} µs/request)")
    print(f"service app (create_app):         {ours:,.0f} requests/s ({1e6 / ours:,.0f} µs/request)")
    print(f"service app / bare app ratio:     {ours / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
