"""The service composition: one FastAPI app per service, several roles.

``api`` serves the service's routers; ``worker`` runs the outbox relay, the
consumers and the timers; ``all`` (the dev stack) does both in one process.
Every role serves ``/healthz``, ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from regua_platform import metrics
from regua_platform.aio import Urgency, sleep_unless
from regua_platform.auth import (
    Access,
    TokenVerifier,
    api_routes,
    bearer_scheme,
    current_principal,
    declared_access,
    public,
)
from regua_platform.clock import Clock, OffsetClock, SystemClock
from regua_platform.consumer import ConsumerRunner, lane_runners
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.handlers import Lane, Subscriptions, bind_handlers
from regua_platform.kafka import idempotent_producer
from regua_platform.lane_thread import consume_on_own_thread
from regua_platform.limits import InputLimits
from regua_platform.logs import setup_logging
from regua_platform.messaging import MessagingTables, outbox_channel
from regua_platform.openapi import install_openapi
from regua_platform.problems import Problem, install_problem_handlers
from regua_platform.relay import OutboxRelay
from regua_platform.retention import run_retention
from regua_platform.settings import ServiceSettings
from regua_platform.telemetry import setup_tracing
from regua_platform.uow import UnitOfWork
from regua_platform.wakeup import Listener

log = logging.getLogger("regua.app")

Role = Literal["api", "worker", "all"]
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
UowT = TypeVar("UowT", bound=UnitOfWork)
#: A background loop of a worker: runs until the event is set.
Worker = Callable[["Runtime[Any, Any]", asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class ServiceDefinition(Generic[SettingsT, UowT]):
    """Everything that makes one service what it is; built in its composition root.

    ``handlers`` are keyed by the payload class they take (see
    :mod:`regua_platform.handlers`): the service subscribes to the topics of
    those events. ``lanes`` split those topics between consumers that run
    concurrently, most urgent first (see :mod:`regua_platform.consumer`);
    none is one consumer for everything. ``dependencies`` builds, from the
    settings, the objects handlers ask for by type beyond ``(event, meta, uow)``.
    """

    name: str
    schema: str
    title: str
    description: str
    metadata: MetaData
    messaging: MessagingTables
    migrations_dir: Path
    settings_class: type[SettingsT]
    uow_class: type[UowT]
    routers: Sequence[APIRouter] = ()
    handlers: Sequence[Callable[..., Awaitable[None]]] = ()
    lanes: Sequence[Lane] = ()
    dependencies: Callable[[SettingsT], Sequence[object]] | None = None
    workers: Sequence[Worker] = ()
    #: ``NOTIFY`` channels the workers wait on besides the outbox's: each
    #: worker process listens to them (``runtime.listener.event(channel)``)
    #: and units of work signal them (``uow.notify(channel)``).
    wakeups: Sequence[str] = ()
    #: Body caps above ``http.max_body_bytes`` for the paths that take files.
    body_limits: Mapping[str, int] = field(default_factory=dict)
    version: str = "0.1.0"

    def subscriptions(self, settings: SettingsT) -> Subscriptions:
        """The handlers bound to their dependencies, by event type; raises
        :class:`~regua_platform.handlers.HandlerError` when one cannot be wired."""
        provided = self.dependencies(settings) if self.dependencies is not None else ()
        subscriptions = bind_handlers(self.handlers, provided)
        subscriptions.lanes(self.lanes)  # a topic in no lane stops us here too
        return subscriptions


@dataclass
class Runtime(Generic[SettingsT, UowT]):
    """The objects a running service shares; ``app.state.runtime``."""

    definition: ServiceDefinition[SettingsT, UowT]
    settings: SettingsT
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    producer: AIOKafkaProducer
    subscriptions: Subscriptions
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    kafka_connected: bool = False
    relay: OutboxRelay | None = None
    #: ``LISTEN``s for the worker loops (see :mod:`regua_platform.wakeup`).
    listener: Listener | None = None
    #: One per lane, most urgent first.
    consumers: list[ConsumerRunner] = field(default_factory=list)
    #: Set while an urgent lane handles a batch (see :class:`Urgency`).
    urgency: Urgency = field(default_factory=Urgency)
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self, sessions: async_sessionmaker[AsyncSession] | None = None) -> UowT:
        """A fresh unit of work (enter it with ``async with``); over ``sessions``
        when given (another event loop's pool), else the service's."""
        return self.definition.uow_class(
            sessions or self.sessions,
            self.definition.messaging,
            source=f"/regua/{self.definition.name}",
            clock=self.clock,
            topic_namespace=self.settings.kafka.topic_namespace,
        )


def create_app(
    definition: ServiceDefinition[SettingsT, UowT],
    settings: SettingsT,
    *,
    role: Role = "all",
    clock: Clock | None = None,
) -> FastAPI:
    setup_logging(definition.name, settings.telemetry.log_level)
    subscriptions = definition.subscriptions(settings)  # a handler that cannot be wired stops us here
    provider = setup_tracing(definition.name, settings.telemetry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database, application_name=f"{definition.name}-{role}")
        runtime = Runtime[SettingsT, UowT](
            definition=definition,
            subscriptions=subscriptions,
            settings=settings,
            clock=clock or _clock(settings),
            engine=engine,
            sessions=create_sessionmaker(engine),
            verifier=TokenVerifier(settings.auth),
            producer=idempotent_producer(settings.kafka, client_id=definition.name),
        )
        app.state.runtime = runtime
        tasks = [asyncio.create_task(_run_background(runtime, role), name="background")]
        log.info("service.started", extra={"role": role})
        try:
            yield
        finally:
            await _shutdown(runtime, tasks)
            log.info("service.stopped", extra={"role": role})

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        openapi_url=None,  # served by _ops_router: behind a token unless http.public_docs
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    install_openapi(app)
    app.add_middleware(metrics.HttpMetricsMiddleware, service=definition.name)
    app.add_middleware(
        InputLimits,
        max_body_bytes=settings.http.max_body_bytes,
        body_limits=definition.body_limits,
        max_header_bytes=settings.http.max_header_bytes,
        max_headers=settings.http.max_headers,
    )
    # Outermost: the client address every later layer sees is the real one.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.http.trusted_proxies)
    app.include_router(_ops_router(settings))
    if role in ("api", "all"):
        for router in definition.routers:
            app.include_router(router)
    # One server span per request: the per-message ``http send``/``http receive``
    # child spans cost more CPU than the request itself and say nothing more.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],
    )
    return app


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """One method of one route a service's API serves, and its declared access
    (``None``: it declared none, which the route-table test refuses)."""

    method: str
    path: str
    access: Access | None
    documented: bool  # in the OpenAPI document


def route_table(definition: ServiceDefinition[Any, Any], settings: ServiceSettings) -> list[RouteAccess]:
    """Every route the service's API serves, with the access each declares:
    what :func:`create_app` mounts, without its side effects (no logging,
    tracing or middleware set up), for tests and docs to walk."""
    app = FastAPI()
    app.include_router(_ops_router(settings))
    for router in definition.routers:
        app.include_router(router)
    return [
        RouteAccess(method, route.path_format, declared_access(route), route.include_in_schema)
        for route in api_routes(app)
        for method in sorted(route.methods)
    ]


def _clock(settings: ServiceSettings) -> Clock:
    if settings.clock_offset_seconds:
        log.warning("clock.shifted", extra={"offset_s": settings.clock_offset_seconds})
        return OffsetClock(timedelta(seconds=settings.clock_offset_seconds))
    return SystemClock()


async def _run_background(runtime: Runtime[Any, Any], role: Role) -> None:
    """Connect to Kafka (retrying until it answers), then start the worker loops."""
    delay = 0.5
    while not runtime.stop.is_set():
        try:
            await runtime.producer.start()
            runtime.kafka_connected = True
            break
        except Exception as exc:
            log.warning("kafka.connect.retrying", extra={"error": type(exc).__name__})
            await runtime.producer.stop()
            runtime.producer = idempotent_producer(runtime.settings.kafka, client_id=runtime.definition.name)
            await sleep_unless(runtime.stop, delay)
            delay = min(delay * 2, 10.0)
    if role == "api" or runtime.stop.is_set():
        return
    d = runtime.definition
    channel = outbox_channel(d.messaging)
    runtime.listener = Listener(
        runtime.settings.database.url, [channel, *d.wakeups], application_name=f"{d.name}-listener"
    )
    runtime.relay = OutboxRelay(
        service=d.name,
        engine=runtime.engine,
        messaging=d.messaging,
        kafka=runtime.settings.kafka,
        wake=runtime.listener.event(channel),
    )
    workers: list[tuple[str, Worker]] = [(w.__name__, w) for w in d.workers]
    workers.append(("retention", _prune_messaging))
    runtime.consumers = lane_runners(
        service=d.name,
        subscriptions=runtime.subscriptions,
        lanes=d.lanes,
        uow_factory=runtime.uow,
        kafka=runtime.settings.kafka,
        dlq_producer=runtime.producer,
        urgency=runtime.urgency,
    )
    workers += [(f"consumer.{c.lane}", _consuming(c)) for c in runtime.consumers]
    await asyncio.gather(
        runtime.listener.run(runtime.stop),
        runtime.relay.run(runtime.stop),
        *(_supervised(runtime, name, worker) for name, worker in workers),
    )


async def _prune_messaging(runtime: Runtime[Any, Any], stop: asyncio.Event) -> None:
    await run_retention(
        service=runtime.definition.name,
        engine=runtime.engine,
        messaging=runtime.definition.messaging,
        settings=runtime.settings.retention,
        stop=stop,
    )


def _consuming(consumer: ConsumerRunner) -> Worker:
    async def consume(runtime: Runtime[Any, Any], stop: asyncio.Event) -> None:
        if consumer.urgent and runtime.settings.kafka.urgent_lane_thread:
            await consume_on_own_thread(runtime, consumer, stop)
        else:
            await consumer.run(stop)

    return consume


async def _supervised(runtime: Runtime[Any, Any], name: str, worker: Worker) -> None:
    """Restart a worker loop that crashed, with backoff, until shutdown."""
    delay = 0.5
    while not runtime.stop.is_set():
        try:
            await worker(runtime, runtime.stop)
            return
        except Exception:
            log.exception("worker.crashed", extra={"worker": name})
            await sleep_unless(runtime.stop, delay)
            delay = min(delay * 2, 10.0)


async def _shutdown(runtime: Runtime[Any, Any], tasks: list[asyncio.Task[None]]) -> None:
    """Stop consuming, let in-flight work finish, flush the producer, close the pool."""
    runtime.stop.set()
    grace = runtime.settings.http.shutdown_grace_seconds
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await runtime.producer.stop()
    await runtime.engine.dispose()


def _ops_router(settings: ServiceSettings) -> APIRouter:
    router = APIRouter(tags=["operations"])
    probe = [Depends(public("a probe: says only whether the process is up or ready"))]

    @router.get("/healthz", summary="Liveness: the process answers", dependencies=probe)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: PostgreSQL and Kafka are reachable",
        dependencies=probe,
        responses={503: {"description": "A dependency is not reachable (same body as 200)."}},
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        checks = {
            "database": await _check(_ping_database(runtime.engine)),
            "kafka": await _check(_ping_kafka(runtime)),
        }
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    metrics_token = settings.telemetry.metrics_token

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        include_in_schema=False,
        dependencies=[Depends(public("telemetry.metrics_token, compared in constant time"))],
    )
    async def prometheus(request: Request) -> Response:
        if not settings.telemetry.public_metrics:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
            wanted = metrics_token.get_secret_value().encode() if metrics_token else None
            if wanted is None or not hmac.compare_digest(given, wanted):
                raise Problem(
                    401, "Unauthorized", "Send the metrics token.", headers={"WWW-Authenticate": "Bearer"}
                )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get(
        "/openapi.json",
        include_in_schema=False,
        dependencies=[Depends(public("needs a valid bearer token unless http.public_docs"))],
    )
    async def openapi_document(request: Request) -> JSONResponse:
        if not settings.http.public_docs:
            await current_principal(request, await bearer_scheme(request))
        return JSONResponse(request.app.openapi())

    if settings.http.public_docs:

        @router.get("/docs", include_in_schema=False, dependencies=[Depends(public("http.public_docs"))])
        async def swagger_ui(request: Request) -> HTMLResponse:
            return get_swagger_ui_html(openapi_url="/openapi.json", title=request.app.title)

    return router


async def _check(probe: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(probe, timeout=2.0)
    except Exception as exc:
        return f"failing: {type(exc).__name__}"
    return "ok"


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("select 1"))


async def _ping_kafka(runtime: Runtime[Any, Any]) -> None:
    if not runtime.kafka_connected:
        raise ConnectionError("not connected yet")
    await runtime.producer.client.fetch_all_metadata()


def runtime_of(request: Request) -> Runtime[Any, Any]:
    """The running service's :class:`Runtime`."""
    runtime: Runtime[Any, Any] = request.app.state.runtime
    return runtime


async def provide_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """A unit of work for one request; the endpoint commits it once, at the edge.
    A service names its own type: ``Annotated[MyUnitOfWork, Depends(provide_uow)]``."""
    async with runtime_of(request).uow() as uow:
        yield uow


async def provide_settings(request: Request) -> ServiceSettings:
    """The service's settings; a service names its own type:
    ``Annotated[Settings, Depends(provide_settings)]``."""
    settings: ServiceSettings = runtime_of(request).settings
    return settings


async def provide_clock(request: Request) -> Clock:
    return runtime_of(request).clock


#: The service's clock (tests inject a fixed one).
ClockDep = Annotated[Clock, Depends(provide_clock)]
#: A unit of work of the platform's base type (services alias their own).
UnitOfWorkDep = Annotated[UnitOfWork, Depends(provide_uow)]
