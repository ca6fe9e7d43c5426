"""Access, live: walked from each service's route table (the one
``tests/test_access.py`` checks), against the five services running.

- Least privilege: for every scoped route, a token holding every scope but
  the one it needs gets 403 problem+json naming that scope; a token holding
  only that scope gets past the check.
- BOLA, generated: tenant A builds one of everything a route id can name (a
  debtor, invoices, a policy, a charge, a payment, an agreement); for every
  route with an id, tenant B's admin token on A's id gets 404 problem+json,
  while A's own token reads it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from regua_devtools.testing import admin_token, wait_for
from regua_platform.auth import ADMIN_SCOPE, SCOPES, mint_token

from ..offline import route_tables
from .conftest import NAMES, SECRET, TZ, Stack, Tenant, business_day_before, new_tenant, step

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
PARAM = re.compile(r"\{(\w+)\}")
PROBLEM = "application/problem+json"
#: Bodies for the id routes that need one (valid, so only the id can be refused).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/debtors/{debtor_id}"): {"segment": "bola"},
    ("POST", "/v1/payments/{payment_id}:refund"): {"amount_cents": 1},
}


def scoped_routes() -> list[tuple[str, str, str, str]]:
    return [
        (service, r.method, r.path, r.access.scope)
        for service, routes in route_tables().items()
        for r in routes
        if r.access is not None and r.access.scope is not None
    ]


def token(tenant: UUID, scopes: list[str]) -> dict[str, str]:
    minted = mint_token(
        secret=SECRET,
        tenant_id=tenant,
        scopes=scopes,
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(minutes=10),
        now=datetime.now(UTC),  # the services check iat/exp against the real time
    )
    return {"Authorization": f"Bearer {minted}"}


async def test_every_scoped_route_refuses_a_token_without_its_scope(stack: Stack) -> None:
    tenant = uuid4()
    routes = scoped_routes()
    assert {service for service, *_ in routes} == set(NAMES)
    async with httpx.AsyncClient(timeout=15) as http:
        for service, method, path, scope in routes:
            url = stack.url(service) + PARAM.sub(lambda _: str(uuid4()), path)
            others = [s for s in SCOPES if s not in (scope, ADMIN_SCOPE)]
            r = await http.request(method, url, headers=token(tenant, others))
            where = f"{service} {method} {path}"
            assert r.status_code == 403, f"{where} without {scope}: {r.status_code} {r.text}"
            assert r.headers["content-type"] == PROBLEM, where
            assert r.json()["required_scope"] == scope, where
            r = await http.request(method, url, headers=token(tenant, [scope]))
            assert r.status_code not in (401, 403), f"{where} with {scope}: {r.status_code} {r.text}"


async def tenant_a_ids(stack: Stack, tenant: Tenant) -> dict[str, str]:
    """One of everything an id in a route names, all of tenant A."""
    today = stack.now().astimezone(TZ).date()
    await tenant.policy(step("atraso", "P1D", "overdue", "firm"))
    policies = await tenant.call("GET", "scheduler-service", "/v1/policies")
    due = business_day_before(today - timedelta(days=3))
    email = f"bola.{uuid4().hex[:8]}@exemplo.com.br"
    debtor_id, paid = await tenant.debtor_with_invoice(name="Ana", email=email, amount_cents=10_000, due=due)
    renegotiated = await tenant.call(
        "POST",
        "invoice-service",
        "/v1/invoices",
        status=201,
        json={
            "external_id": f"i-{uuid4().hex[:8]}",
            "debtor_id": debtor_id,
            "amount_cents": 20_000,
            "due_date": due.isoformat(),
        },
    )
    await wait_for(lambda: _pix_ready(tenant, paid), timeout=60)
    charge = await tenant.pix_charge(paid)
    assert (await tenant.simulate_pix(charge["txid"]))["webhook_status"] == 200

    async def payment() -> str | None:
        found = await tenant.call("GET", "payments-service", "/v1/payments", params={"invoice_id": paid})
        return str(found[0]["id"]) if found else None

    await wait_for(payment, timeout=30)
    simulate = {"debtor_id": debtor_id, "invoice_ids": [renegotiated["id"]]}

    async def offers() -> bool:
        r = await tenant.http.post(f"{stack.url('negotiation-service')}/v1/offers:simulate", json=simulate)
        return r.status_code == 200 and bool(r.json()["offers"])

    await wait_for(offers, timeout=30)
    agreement = await tenant.call(
        "POST", "negotiation-service", "/v1/agreements", status=201, json={**simulate, "kind": "cash"}
    )
    return {
        "debtor_id": debtor_id,
        "invoice_id": paid,
        "policy_id": str(policies["items"][0]["id"]),
        "charge_id": str(charge["id"]),
        "payment_id": str(await payment()),
        "agreement_id": str(agreement["agreement_id"]),
    }


async def _pix_ready(tenant: Tenant, invoice_id: str) -> bool:
    page = await tenant.call("GET", "payments-service", "/v1/charges", params={"invoice_id": invoice_id})
    return any(c["method"] == "pix" and c["status"] == "active" for c in page["items"])


async def test_another_tenant_gets_404_on_every_route_with_an_id(stack: Stack) -> None:
    async with new_tenant(stack) as a:
        ids = await tenant_a_ids(stack, a)
        b = {"Authorization": f"Bearer {admin_token(SECRET, uuid4())}"}
        probed = 0
        for service, method, path, _scope in scoped_routes():
            names = PARAM.findall(path)
            if not names:
                continue
            missing = set(names) - set(ids)
            assert not missing, f"{service} {method} {path}: no id of tenant A for {missing}"
            url = stack.url(service) + PARAM.sub(lambda m: ids[m.group(1)], path)
            where = f"{service} {method} {path}"
            r = await a.http.request(method, url, headers=b, json=BODIES.get((method, path)))
            assert r.status_code == 404, f"tenant B on A's id, {where}: {r.status_code} {r.text}"
            assert r.headers["content-type"] == PROBLEM, where
            if method == "GET":  # the id is A's for real: A reads it
                mine = await a.http.get(url)
                assert mine.status_code == 200, f"tenant A on its own id, {where}: {mine.text}"
            probed += 1
        assert probed >= 14, probed
