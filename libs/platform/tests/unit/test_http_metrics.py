"""The HTTP metrics middleware counts every request by route template and status."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from regua_platform.app import ServiceDefinition, create_app
from regua_platform.messaging import messaging_tables
from regua_platform.settings import AuthSettings, ServiceSettings
from regua_platform.uow import UnitOfWork

SERVICE = "metrics-test"


class Settings(ServiceSettings):
    pass


@pytest.fixture
def app() -> FastAPI:
    router = APIRouter()

    @router.get("/v1/things/{thing_id}")
    async def read_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @router.post("/v1/things", status_code=202)
    async def create_thing() -> dict[str, str]:
        return {}

    @router.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("boom")

    metadata = MetaData(schema="metrics_test")
    definition = ServiceDefinition(
        name=SERVICE,
        schema="metrics_test",
        title="metrics test",
        description="test",
        metadata=metadata,
        messaging=messaging_tables(metadata),
        migrations_dir=Path("."),
        settings_class=Settings,
        uow_class=UnitOfWork,
        routers=[router],
    )
    # No lifespan runs (ASGITransport does not send it): these endpoints need no database.
    return create_app(definition, Settings(auth=AuthSettings(jwt_secret="m" * 40)), role="api")


def requests_total(method: str, route: str, status: str) -> float:
    labels = {"service": SERVICE, "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("regua_http_requests_total", labels) or 0.0


def latency_count(method: str, route: str) -> float:
    labels = {"service": SERVICE, "method": method, "route": route}
    return REGISTRY.get_sample_value("regua_http_request_duration_seconds_count", labels) or 0.0


async def test_requests_are_counted_by_route_template_and_status(app: FastAPI) -> None:
    before = {
        "read": requests_total("GET", "/v1/things/{thing_id}", "200"),
        "read_latency": latency_count("GET", "/v1/things/{thing_id}"),
        "create": requests_total("POST", "/v1/things", "202"),
        "unmatched": requests_total("GET", "unmatched", "404"),
        "broken": requests_total("GET", "/v1/broken", "500"),
    }
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/v1/things/a1")).status_code == 200
        assert (await client.get("/v1/things/b2")).status_code == 200
        assert (await client.post("/v1/things")).status_code == 202
        assert (await client.get("/v1/nothing-here")).status_code == 404
        assert (await client.get("/v1/broken")).status_code == 500

    # Two different ids, one series: the template is the label, never the raw path.
    assert requests_total("GET", "/v1/things/{thing_id}", "200") - before["read"] == 2
    assert latency_count("GET", "/v1/things/{thing_id}") - before["read_latency"] == 2
    assert requests_total("GET", "/v1/things/a1", "200") == 0
    assert requests_total("POST", "/v1/things", "202") - before["create"] == 1
    assert requests_total("GET", "unmatched", "404") - before["unmatched"] == 1
    # An endpoint that raises is counted as the 500 the client gets.
    assert requests_total("GET", "/v1/broken", "500") - before["broken"] == 1
