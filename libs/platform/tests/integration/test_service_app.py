"""A service built with the platform, served by uvicorn on a real port: the
trace of an HTTP request reaches the consumer's span through the outbox and
Kafka; health, readiness, metrics, auth and problem+json behave."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import APIRouter, Depends
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import get_current_span
from pydantic import SecretStr
from sqlalchemy import insert, text

from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.topics import INVOICE_EVENTS
from regua_devtools.testing import serve, wait_for
from regua_platform.app import ServiceDefinition, UnitOfWorkDep, create_app
from regua_platform.auth import PrincipalDep, mint_token, public, require_scope
from regua_platform.handlers import EventMeta, Lane
from regua_platform.problems import Problem
from regua_platform.settings import (
    AuthSettings,
    DatabaseSettings,
    KafkaSettings,
    ServiceSettings,
    TelemetrySettings,
)
from regua_platform.telemetry import setup_tracing
from regua_platform.uow import UnitOfWork

from .conftest import Store
from .events import issued

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
log = logging.getLogger("test.app")
METRICS_TOKEN = "metrics-token-0123456789abcdef0123456789"


class Settings(ServiceSettings):
    pass


def things_router() -> APIRouter:
    """``POST /v1/things``: publishes one ``invoice.issued`` through the outbox."""
    router = APIRouter()

    @router.post("/v1/things", status_code=202)
    async def create_thing(principal: PrincipalDep, uow: UnitOfWorkDep) -> dict[str, str]:
        envelope = uow.publish(issued(uuid4(), 1), tenant_id=principal.tenant_id)
        await uow.commit()
        return {"event_id": envelope.id}

    @router.get("/l/{token}", dependencies=[Depends(public("the link's signature"))])
    async def open_link(token: str, email: str | None = None) -> dict[str, int]:
        log.info("link.opened", extra={"token_chars": len(token), "note": f"for {email}"})
        return {"chars": len(token)}

    @router.post("/v1/echo", dependencies=[Depends(public("a test route"))])
    async def echo(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    @router.get("/v1/things/{thing_id}", dependencies=[Depends(require_scope("things:read"))])
    async def read_thing(thing_id: str) -> dict[str, str]:
        raise Problem(404, "Not found", f"No thing {thing_id}.")

    return router


def definition_with(
    store: Store, router: APIRouter, handlers: list[Any], lanes: tuple[Lane, ...] = ()
) -> ServiceDefinition[Any, Any]:
    return ServiceDefinition(
        lanes=lanes,
        name="app-test",
        schema=store.schema,
        title="App test",
        description="test",
        metadata=store.metadata,
        messaging=store.messaging,
        migrations_dir=Path("."),
        settings_class=Settings,
        uow_class=UnitOfWork,
        routers=[router],
        handlers=handlers,
    )


@pytest.fixture
async def served(store: Store, kafka_settings: KafkaSettings) -> AsyncIterator[dict[str, Any]]:
    exporter = InMemorySpanExporter()
    setup_tracing(
        "app-test",
        Settings(auth=AuthSettings(jwt_secret=SECRET)).telemetry,
        extra_processors=(SimpleSpanProcessor(exporter),),
    )
    consumed: list[str] = []

    async def on_invoice_issued_note_trace(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        consumed.append(format(get_current_span().get_span_context().trace_id, "032x"))
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="t"))

    router = things_router()

    definition = definition_with(store, router, [on_invoice_issued_note_trace])
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=store.database_url),
        kafka=kafka_settings,
        telemetry=TelemetrySettings(metrics_token=SecretStr(METRICS_TOKEN), public_metrics=False),
    )
    app = create_app(definition, settings, role="all")
    async with serve(app) as client:
        yield {"client": client, "exporter": exporter, "consumed": consumed}


def token(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "secret": SECRET,
        "tenant_id": uuid4(),
        "scopes": ["admin"],
        "issuer": "regua-dev",
        "audience": "regua",
        "ttl": timedelta(minutes=5),
        "now": datetime.now(UTC),
    }
    args.update(overrides)
    return mint_token(**args)


async def test_trace_of_an_http_request_reaches_the_consumer_span(served: dict[str, Any]) -> None:
    client: httpx.AsyncClient = served["client"]
    response = await client.post(
        "/v1/things",
        headers={"Authorization": f"Bearer {token()}", "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
    )
    assert response.status_code == 202, response.text
    await wait_for(lambda: served["consumed"], timeout=30)
    assert served["consumed"] == [TRACE_ID]
    exporter: InMemorySpanExporter = served["exporter"]
    await wait_for(
        lambda: [s for s in exporter.get_finished_spans() if s.name.endswith(" process")], timeout=10
    )
    spans = exporter.get_finished_spans()
    consumer_spans = [s for s in spans if s.name.endswith(" process")]
    assert {format(s.context.trace_id, "032x") for s in consumer_spans} == {TRACE_ID}
    server_spans = [s for s in spans if s.name.startswith("POST /v1/things")]
    assert server_spans and format(server_spans[0].context.trace_id, "032x") == TRACE_ID


async def test_health_readiness_and_metrics(served: dict[str, Any]) -> None:
    client: httpx.AsyncClient = served["client"]
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}
    await client.post("/v1/things", headers={"Authorization": f"Bearer {token()}"})
    await wait_for(lambda: served["consumed"], timeout=30)
    for wrong in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": f"Bearer {token()}"}):
        refused = await client.get("/metrics", headers=wrong)
        assert refused.status_code == 401, wrong
        assert refused.headers["content-type"] == "application/problem+json"
    body = (await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).text
    assert (
        'regua_http_requests_total{method="POST",route="/v1/things",service="app-test",status="202"}' in body
    )
    assert "regua_outbox_published_total" in body
    assert 'regua_events_consumed_total{outcome="handled"' in body
    assert "regua_consumer_lag" in body
    assert "regua_outbox_backlog" in body


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Send 'Authorization: Bearer <token>'."),
        ({"Authorization": "Bearer nope"}, "The token is not valid"),
        ({"Authorization": f"Bearer {token(ttl=timedelta(minutes=-5))}"}, "expired"),
        # The detail never says which check failed (the library's text stays in the process).
        ({"Authorization": f"Bearer {token(audience='other')}"}, "The token is not valid."),
        ({"Authorization": f"Bearer {token(issuer='evil')}"}, "The token is not valid."),
        ({"Authorization": f"Bearer {token(secret='x' * 40)}"}, "The token is not valid."),
        ({"Authorization": f"Bearer {token(ttl=timedelta(days=2))}"}, "lifetime"),
    ],
)
async def test_bad_tokens_get_401_problem_json(
    served: dict[str, Any], headers: dict[str, str], detail: str
) -> None:
    response = await served["client"].post("/v1/things", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert detail.lower() in body["detail"].lower()


async def test_unknown_route_is_a_problem(served: dict[str, Any]) -> None:
    response = await served["client"].get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/v1/nothing-here"


async def test_a_lost_database_connection_is_a_503_once_then_the_pool_reconnects(
    store: Store, kafka_settings: KafkaSettings
) -> None:
    router = things_router()

    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=store.database_url, pool_size=1, max_overflow=0),
        kafka=kafka_settings,
    )
    # The api role: only requests use the pool, so the one pooled connection is the request's.
    app = create_app(definition_with(store, router, []), settings, role="api")
    headers = {"Authorization": f"Bearer {token()}"}
    async with serve(app) as client:
        assert (await client.post("/v1/things", headers=headers)).status_code == 202
        async with store.engine.connect() as conn:  # the database restarts, as far as that session knows
            await conn.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'app-test-api'"
                )
            )
            await conn.commit()
        lost = await client.post("/v1/things", headers=headers)
        assert lost.status_code == 503
        assert lost.headers["content-type"] == "application/problem+json"
        assert lost.headers["retry-after"] == "1"
        assert lost.json()["detail"] == "The database connection was lost; retry the request."
        assert (await client.post("/v1/things", headers=headers)).status_code == 202


async def test_an_urgent_lane_runs_on_a_thread_of_its_own_with_the_same_guarantees(
    store: Store, kafka_settings: KafkaSettings
) -> None:
    threads: list[str] = []

    async def on_invoice_issued_note_thread(event: InvoiceIssuedV1, meta: EventMeta, uow: UnitOfWork) -> None:
        threads.append(threading.current_thread().name)
        await uow.session.execute(insert(store.effects).values(event_id=meta.id, note="urgent"))

    router = things_router()

    lanes = (Lane("priority", (INVOICE_EVENTS,), urgent=True),)
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        database=DatabaseSettings(url=store.database_url),
        kafka=kafka_settings,
    )
    app = create_app(definition_with(store, router, [on_invoice_issued_note_thread], lanes), settings)
    async with serve(app) as client:
        runtime = app.state.runtime
        await wait_for(lambda: runtime.consumers and all(c.ready.is_set() for c in runtime.consumers))
        r = await client.post("/v1/things", headers={"Authorization": f"Bearer {token()}"})
        assert r.status_code == 202
        event_id = r.json()["event_id"]
        await wait_for(lambda: store.effect_count(event_id))
    assert threads == ["app-test-main-lane"]
    assert threading.current_thread().name != threads[0]
    assert await store.effect_count(event_id) == 1


async def test_spans_carry_no_token_and_no_personal_data(served: dict[str, Any]) -> None:
    """The exporter (in memory, behind the same scrubbing every exporter gets)
    sees no link token, query string, CPF, e-mail, phone or client address."""
    client: httpx.AsyncClient = served["client"]
    link_token = "AQAAAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    secrets_in_requests = [link_token, "maria@example.com", "52998224725", "11912345678"]
    opened = await client.get(f"/l/{link_token}", params={"email": "maria@example.com"})
    assert opened.status_code == 200
    missing = await client.get(
        "/v1/things/52998224725",
        params={"phone": "11912345678"},
        headers={"Authorization": f"Bearer {token(scopes=['things:read'])}"},
    )
    assert missing.status_code == 404
    exporter: InMemorySpanExporter = served["exporter"]

    def server_spans() -> list[Any]:
        return [s for s in exporter.get_finished_spans() if s.name.startswith("GET /")]

    await wait_for(lambda: len(server_spans()) >= 2, timeout=10)
    exported = " ".join(
        f"{s.name} {dict(s.attributes or {})} {[dict(e.attributes or {}) for e in s.events]}"
        for s in exporter.get_finished_spans()
    )
    for secret in secrets_in_requests:
        assert secret not in exported
    for span in server_spans():
        attributes = dict(span.attributes or {})
        assert attributes.get("net.peer.ip", "[redacted]") == "[redacted]"
        assert attributes.get("client.address", "[redacted]") == "[redacted]"
    # Still useful: the route templates are there.
    assert "/l/{token}" in exported and "/v1/things/{thing_id}" in exported


async def test_a_scope_declared_on_a_route_is_enforced_with_403(served: dict[str, Any]) -> None:
    client: httpx.AsyncClient = served["client"]
    forbidden = await client.get(
        "/v1/things/x", headers={"Authorization": f"Bearer {token(scopes=['invoices:read'])}"}
    )
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert forbidden.json()["required_scope"] == "things:read"
    admin = await client.get("/v1/things/x", headers={"Authorization": f"Bearer {token()}"})
    assert admin.status_code == 404


async def test_a_body_over_the_cap_is_413_before_it_is_read(served: dict[str, Any]) -> None:
    """Declared too long: refused on the headers. Streamed (chunked, no length)
    past the cap: refused as it crosses it. Both problem+json; the cap is 1 MiB."""
    client: httpx.AsyncClient = served["client"]
    big = b'{"k": "' + b"x" * (1024 * 1024) + b'"}'
    declared = await client.post("/v1/echo", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536  # 2.5 MiB in all, no Content-Length

    streamed = await client.post("/v1/echo", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    small = await client.post("/v1/echo", json={"a": 1, "b": 2})
    assert small.json() == {"keys": 2}


@pytest.mark.parametrize(
    "headers",
    [
        {"x-huge": "y" * 9_000},  # one value over http.max_header_bytes (8 KiB)
        {f"x-h{i}": "1" for i in range(120)},  # more than http.max_headers (100)
    ],
)
async def test_oversized_headers_are_431(served: dict[str, Any], headers: dict[str, str]) -> None:
    response = await served["client"].get("/healthz", headers=headers)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_openapi_document_needs_a_token_and_declares_problems(served: dict[str, Any]) -> None:
    client: httpx.AsyncClient = served["client"]
    assert (await client.get("/openapi.json")).status_code == 401
    assert (await client.get("/docs")).status_code == 404  # http.public_docs is off
    document = (await client.get("/openapi.json", headers={"Authorization": f"Bearer {token()}"})).json()
    scoped = document["paths"]["/v1/things/{thing_id}"]["get"]["responses"]
    assert {"401", "403", "422", "431"} <= set(scoped)
    for status in ("401", "403", "422"):
        assert scoped[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert "413" in document["paths"]["/v1/echo"]["post"]["responses"]
    assert "HTTPValidationError" not in str(document)
