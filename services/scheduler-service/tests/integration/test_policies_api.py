"""Policy CRUD over HTTP, validation as problem+json, tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from .conftest import Served, token

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def step(name: str, offset: str, **over: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "offset": offset,
        "channels": ["email", "sms"],
        "template": "reminder",
        "tone": "friendly",
        "action": "message",
    }
    body.update(over)
    return body


async def test_a_new_tenant_gets_the_builtin_default(served: Served) -> None:
    response = await served.client.get("/v1/policies", headers=served.auth())
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    [policy] = page["items"]
    assert policy["default"] is True and policy["builtin"] is True
    assert policy["timezone"] == "America/Sao_Paulo"
    assert [(s["name"], s["offset"], s["template"], s["tone"]) for s in policy["steps"]] == [
        ("reminder", "-P3D", "reminder", "friendly"),
        ("due_today", "P0D", "due_today", "friendly"),
        ("overdue_3d", "P3D", "overdue", "firm"),
        ("overdue_10d", "P10D", "overdue", "firm"),
        ("final_notice", "P20D", "final_notice", "final"),
    ]
    assert policy["steps"][0]["channels"] == ["email", "whatsapp", "sms"]
    assert policy["send_window"]["weekdays"]["sat"] == ["09:00", "13:00"]
    assert "sun" not in policy["send_window"]["weekdays"]
    # Listing again does not make a second one.
    again = (await served.client.get("/v1/policies", headers=served.auth())).json()
    assert [p["id"] for p in again["items"]] == [policy["id"]]


async def test_create_get_and_switch_default(served: Served) -> None:
    body = {
        "name": "Demo",
        "default": True,
        "send_window": None,
        "steps": [step("early", "-PT2H"), step("on_time", "PT30S", template="due_today")],
    }
    created = await served.client.post("/v1/policies", json=body, headers=served.auth())
    assert created.status_code == 201, created.text
    policy = created.json()
    assert created.headers["location"] == f"/v1/policies/{policy['id']}"
    assert policy["default"] is True and policy["builtin"] is False and policy["send_window"] is None
    assert policy["steps"][1] == step("on_time", "PT30S", template="due_today")

    fetched = await served.client.get(f"/v1/policies/{policy['id']}", headers=served.auth())
    assert fetched.status_code == 200 and fetched.json() == policy

    # Left out, send_window is the default business window.
    served.clock.advance(timedelta(seconds=1))
    second = await served.client.post(
        "/v1/policies",
        json={"name": "Second", "default": True, "timezone": "America/Manaus", "steps": [step("a", "P0D")]},
        headers=served.auth(),
    )
    assert second.status_code == 201, second.text
    assert second.json()["send_window"]["weekdays"]["mon"] == ["08:00", "20:00"]
    assert second.json()["timezone"] == "America/Manaus"
    items = (await served.client.get("/v1/policies", headers=served.auth())).json()["items"]
    assert [(p["name"], p["default"]) for p in items] == [("Demo", False), ("Second", True)]


async def test_cursor_pagination(served: Served) -> None:
    for i in range(5):
        served.clock.advance(timedelta(seconds=1))
        r = await served.client.post(
            "/v1/policies", json={"name": f"p{i}", "steps": [step("a", "P0D")]}, headers=served.auth()
        )
        assert r.status_code == 201
    names: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await served.client.get("/v1/policies", params=params, headers=served.auth())).json()
        names += [p["name"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Oldest first; the built-in default was made with the first non-default policy.
    assert set(names[:2]) == {"p0", "Régua padrão"}
    assert names[2:] == ["p1", "p2", "p3", "p4"]
    assert pages == 3
    bad = await served.client.get("/v1/policies", params={"cursor": "garbage!"}, headers=served.auth())
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": "x", "steps": [step("a", "3 days")]}, "ISO 8601"),
        ({"name": "x", "steps": [step("a", "P0D", channels=[])]}, "at least 1"),
        ({"name": "x", "steps": [step("a", "P0D", tone="rude")]}, "tone"),
        ({"name": "x", "steps": [step("a", "P0D"), step("a", "P1D")]}, "unique"),
        ({"name": "x", "steps": [step(f"s{i}", f"P{i}D") for i in range(31)]}, "at most 30"),
        ({"name": "x", "steps": []}, "at least 1"),
        ({"name": "x", "timezone": "Nowhere/City", "steps": [step("a", "P0D")]}, "time zone"),
        ({"name": "x", "steps": [step("a", "P0D", action="credit_bureau")]}, "not supported"),
        (
            {
                "name": "x",
                "send_window": {"weekdays": {"mon": ["20:00", "08:00"]}},
                "steps": [step("a", "P0D")],
            },
            "open before",
        ),
        ({"steps": [step("a", "P0D")]}, "name"),
    ],
)
async def test_validation_problems(served: Served, body: dict[str, Any], needle: str) -> None:
    response = await served.client.post("/v1/policies", json=body, headers=served.auth())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert needle in str(problem["errors"])


async def test_other_tenants_policies_are_not_found(served: Served) -> None:
    created = await served.client.post(
        "/v1/policies", json={"name": "mine", "steps": [step("a", "P0D")]}, headers=served.auth()
    )
    other = {"Authorization": f"Bearer {token(uuid4())}"}
    response = await served.client.get(f"/v1/policies/{created.json()['id']}", headers=other)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (await served.client.get("/v1/policies", headers={})).status_code == 401
