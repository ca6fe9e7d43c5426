"""Security of the scheduler's edges: every route's scope, hostile bodies
refused with a problem (nothing stored), and plans that another tenant's forged
events cannot touch."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceStatusChangedV1
from regua_contracts.notification.v1 import MessageFailedV1
from regua_platform.auth import mint_token

from .conftest import SECRET, Served
from .test_policies_api import step

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def bearer(served: Served, *scopes: str) -> dict[str, str]:
    minted = mint_token(
        secret=SECRET,
        tenant_id=served.tenant,
        scopes=scopes,
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {minted}"}


POLICY = {"name": "Curta", "steps": [step("due", "P0D")]}


async def test_a_token_without_the_scope_gets_403(served: Served) -> None:
    routes: list[tuple[str, str, Any, str]] = [
        ("POST", "/v1/policies", POLICY, "policies:write"),
        ("GET", "/v1/policies", None, "policies:read"),
        ("GET", f"/v1/policies/{uuid4()}", None, "policies:read"),
        ("GET", f"/v1/invoices/{uuid4()}/timeline", None, "invoices:read"),
    ]
    reports = bearer(served, "reports:read")
    for method, path, body, scope in routes:
        r = await served.client.request(method, path, json=body, headers=reports)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["required_scope"] == scope
    # Reading policies does not let a token write one.
    readers = bearer(served, "policies:read")
    assert (await served.client.get("/v1/policies", headers=readers)).status_code == 200
    r = await served.client.post("/v1/policies", json=POLICY, headers=readers)
    assert r.status_code == 403
    r = await served.client.post("/v1/policies", json=POLICY, headers=bearer(served, "policies:write"))
    assert r.status_code == 201, r.text


def _raw(body: str) -> tuple[str, str]:
    return ("raw", body)


HOSTILE: list[tuple[str, Any]] = [
    ("nul in the name", {**POLICY, "name": "a\x00b"}),
    ("nul in a step name", {"name": "x", "steps": [step("a\x00", "P0D")]}),
    ("a directory for a zone", {**POLICY, "timezone": "America"}),
    ("a path for a zone", {**POLICY, "timezone": "../../../etc/passwd"}),
    ("an offset beyond timedelta", {"name": "x", "steps": [step("a", "PT" + "9" * 37 + "S")]}),
    ("unicode digits in an offset", {"name": "x", "steps": [step("a", "P\u0663D")]}),
    ("wrong types", {"name": 7, "steps": "all"}),
    ("nested thousands deep", _raw("[" * 5_000 + "]" * 5_000)),
    ("a 5,000-digit number", _raw('{"name": "x", "default": ' + "9" * 5_000 + ', "steps": []}')),
    ("not UTF-8", _raw('{"name": "\xff\xfe"}')),
]


@pytest.mark.parametrize(("case", "body"), HOSTILE, ids=[c for c, _ in HOSTILE])
async def test_hostile_bodies_are_problems_and_store_nothing(served: Served, case: str, body: Any) -> None:
    headers = {**served.auth(), "content-type": "application/json"}
    if isinstance(body, tuple):
        content = body[1].encode("latin-1") if case == "not UTF-8" else body[1].encode()
    else:
        content = json.dumps(body).encode()
    r = await served.client.post("/v1/policies", content=content, headers=headers)
    assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    listed = (await served.get("/v1/policies")).json()["items"]
    assert [p["builtin"] for p in listed] == [True]  # only the built-in default, made on listing


async def test_forged_events_of_another_tenant_change_nothing_of_ours(served: Served) -> None:
    """Tenant B publishes invoice.issued (first), invoice.status-changed (paid)
    and message.failed carrying tenant A's invoice and step ids: A's plan is
    made with A's debtor and its steps stay scheduled."""
    debtor, invoice, attacker = uuid4(), uuid4(), uuid4()
    other = uuid4()
    now = served.clock.now()
    forged_issue = InvoiceIssuedV1(
        debtor_id=attacker,
        invoice_id=invoice,
        external_id="forged",
        amount_cents=1,
        due_date=date(2026, 12, 3),
        issued_at=now,
    )
    await served.produce(forged_issue, tenant=other)
    await served.settled()
    await served.produce(
        InvoiceIssuedV1(
            debtor_id=debtor,
            invoice_id=invoice,
            external_id="ours",
            amount_cents=150_000,
            due_date=date(2026, 12, 10),
            issued_at=now,
        )
    )
    timeline = await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    assert timeline["debtor_id"] == str(debtor) and timeline["due_date"] == "2026-12-10"
    ours = [s["id"] for s in timeline["steps"]]

    await served.produce(
        InvoiceStatusChangedV1(
            debtor_id=debtor,
            invoice_id=invoice,
            previous_status="open",
            status="paid",
            reason="forged",
            amount_paid_cents=150_000,
            amount_due_cents=0,
            changed_at=now,
        ),
        tenant=other,
    )
    for step_id in ours:
        await served.produce(
            MessageFailedV1(
                debtor_id=debtor,
                invoice_id=invoice,
                step_id=step_id,
                channel="email",
                reason="forged",
                failed_at=now,
            ),
            tenant=other,
        )
    await served.settled()
    after = await served.timeline(invoice)
    assert [s["status"] for s in after["steps"]] == ["scheduled"] * 5
    assert [s["id"] for s in after["steps"]] == ours and after["debtor_id"] == str(debtor)
    # The forged plan is the other tenant's own, seen only with its token.
    theirs = await served.get(f"/v1/invoices/{invoice}/timeline", tenant=other)
    assert theirs.status_code == 200 and theirs.json()["debtor_id"] == str(attacker)
