"""Security of the notifier's edges: every route's scope, and projections that
another tenant's forged events cannot touch."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceStatusChangedV1
from regua_devtools.testing import wait_for
from regua_platform.auth import mint_token

from .conftest import SECRET, Notifier
from .test_delivery import finished, load_invoice, now, step, unique_email

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_token_without_the_scope_gets_403(notifier: Notifier) -> None:
    def token(*scopes: str) -> dict[str, str]:
        minted = mint_token(
            secret=SECRET,
            tenant_id=notifier.tenant,
            scopes=scopes,
            issuer="regua-dev",
            audience="regua",
            ttl=timedelta(minutes=5),
            now=now(),
        )
        return {"Authorization": f"Bearer {minted}"}

    creditor = {
        "name": "Evil",
        "document": "11.222.333/0001-81",
        "address": "Rua X, 1",
        "portal_base_url": "https://evil.example",
    }
    reports = token("reports:read")
    for method, path, body in (
        ("GET", "/v1/templates", None),
        ("GET", "/v1/messages", None),
        ("GET", "/v1/settings/creditor", None),
        ("PUT", "/v1/settings/creditor", creditor),
    ):
        r = await notifier.client.request(method, path, json=body, headers=reports)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    readers = token("messages:read")
    assert (await notifier.client.get("/v1/messages", headers=readers)).status_code == 200
    # Reading messages does not let a token point every portal link elsewhere.
    r = await notifier.client.put("/v1/settings/creditor", json=creditor, headers=readers)
    assert r.status_code == 403 and r.json()["required_scope"] == "admin"


async def test_forged_events_of_another_tenant_change_nothing_of_ours(notifier: Notifier) -> None:
    """Tenant B publishes debtor.updated and invoice.status-changed carrying tenant
    A's ids: A's reminder still goes to A's debtor's address, with its amount."""
    email, attacker = unique_email(), unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    other_tenant = uuid4()
    await notifier.produce(
        DebtorUpdatedV1(
            debtor_id=debtor_id,
            external_id="forged",
            name="Forjado",
            document="52998224725",
            email=attacker,
            preferred_channels=["email"],
            consents={},
            updated_at=now() + timedelta(days=1),
        ),
        tenant=other_tenant,
    )
    await notifier.produce(
        InvoiceStatusChangedV1(
            debtor_id=debtor_id,
            invoice_id=invoice_id,
            previous_status="open",
            status="paid",
            reason="forged",
            amount_paid_cents=123456,
            amount_due_cents=0,
            changed_at=now() + timedelta(days=1),
        ),
        tenant=other_tenant,
    )
    await notifier.consumed()
    await notifier.publish(step(debtor_id, invoice_id))
    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert "R$ 1.234,56" in message["body"] and "Forjado" not in message["body"]
    assert (await finished(notifier, invoice_id))["status"] == "sent"  # not suppressed as paid
    assert await notifier.inbox(attacker) == []
