"""Webhooks as an attacker sends them, over real HTTP and PostgreSQL: every
refusal is a 4xx problem+json that applies, publishes and (for unknown
tenants) stores nothing; a duplicate is applied once; a signature binds the
tenant and the path. Also: scopes on every route, key rotation, retention of
refusals, and forged cross-tenant events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.db.tables import bank_accounts, debtors, pix_settings, psp_accounts
from payments_service.adapters.db.tables import webhook_rejections as rejections
from payments_service.domain.signature import sign_legacy
from payments_service.entrypoints.cli import rotate_keys
from payments_service.main import DEFINITION
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceStatusChangedV1
from regua_platform.auth import mint_token
from regua_platform.clock import SystemClock
from regua_platform.db import create_sessionmaker
from regua_platform.settings import KafkaSettings

from .conftest import ENCRYPTION_KEYS, SECRET, Harness, Sandboxes, settings_for, start
from .test_payments_flow import charges_of, configure, issued, pix_body, post_signed

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def reasons_of(migrated: str, tenant: UUID) -> list[str]:
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        query = select(rejections.c.reason).where(rejections.c.tenant_id == tenant).order_by(rejections.c.id)
        found = list((await conn.execute(query)).scalars())
    await engine.dispose()
    return found


async def payments_of(h: Harness, tenant: UUID, invoice_id: UUID) -> list[dict[str, Any]]:
    r = await h.get("/v1/payments", tenant, invoice_id=str(invoice_id))
    assert r.status_code == 200, r.text
    return list(r.json())


async def pix_charge(h: Harness, tenant: UUID) -> tuple[UUID, str]:
    invoice = issued()
    await h.produce(invoice, tenant)
    pix = next(c for c in await charges_of(h, tenant, invoice.invoice_id) if c["method"] == "pix")
    return invoice.invoice_id, str(pix["txid"])


async def test_the_negative_suite_refuses_or_dedupes_and_applies_nothing(
    harness: Harness, migrated: str
) -> None:
    h = harness
    tenant, other = uuid4(), uuid4()
    await configure(h, tenant)
    await configure(h, other)  # both tenants share WEBHOOK_SECRET
    invoice_id, txid = await pix_charge(h, tenant)
    path = f"/v1/webhooks/pix/{tenant}"
    body = json.dumps(pix_body(txid)).encode()
    refused_before = metric("regua_webhooks_refused_total", reason="signature_mismatch")

    cases: list[tuple[str, Any, int, str]] = []
    r = await post_signed(h, path, body, secret="not-the-secret-at-all")
    cases.append(("bad signature", r, 401, "signature_mismatch"))
    r = await h.client.post(path, content=body, headers={"Content-Type": "application/json"})
    cases.append(("missing signature", r, 401, "signature_missing"))
    # The service reads its clock when the request arrives, maybe seconds later
    # on a loaded machine: a margin of a minute beyond the 300 s tolerance.
    r = await post_signed(h, path, body, t=int(h.clock.now().timestamp()) - 360)  # a replay
    cases.append(("replay", r, 401, "signature_stale"))
    r = await post_signed(h, path, body, t=int(h.clock.now().timestamp()) + 360)
    cases.append(("future t", r, 401, "signature_stale"))
    r = await post_signed(h, path, pix_body(txid, horario=(h.clock.now() + timedelta(days=3)).isoformat()))
    cases.append(("future horario", r, 422, "time_in_future"))
    r = await post_signed(h, path, pix_body(txid, horario="2001-01-01T00:00:00Z"))
    cases.append(("ancient horario", r, 422, "time_too_old"))
    # Signed for the other tenant's path, posted there: the signature names this tenant's path.
    r = await post_signed(h, f"/v1/webhooks/pix/{other}", body, signed_path=path)
    cases.append(("another tenant's path", r, 401, "signature_mismatch"))
    r = await post_signed(h, f"/v1/webhooks/pix/{tenant}/pix", body, signed_path=path)
    cases.append(("another path", r, 401, "signature_mismatch"))
    r = await post_signed(h, path, body, signed_path=f"/v1/webhooks/pix/{other}")
    cases.append(("signed for the other tenant", r, 401, "signature_mismatch"))
    header = f"t={'9' * 4300},v2={'0' * 64}"
    r = await h.client.post(path, content=body, headers={"X-Regua-Signature": header})
    cases.append(("4,300-digit t", r, 401, "signature_malformed"))
    r = await post_signed(h, path, pix_body(txid, valor="1234567890123.00"))
    cases.append(("13 integer digits", r, 422, "malformed"))
    r = await post_signed(h, path, b"[[[[[[[[")
    cases.append(("malformed JSON", r, 422, "malformed"))
    r = await post_signed(h, path, {"pix": [{"endToEndId": 5, "txid": [], "valor": 1, "horario": True}]})
    cases.append(("wrong types", r, 422, "malformed"))
    r = await post_signed(h, path, b"{" + b" " * (1024 * 1024 + 1) + b"}")
    cases.append(("oversize", r, 413, ""))

    for name, response, status, reason in cases:
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        if reason:
            assert response.json()["reason"] == reason, name
    assert metric("regua_webhooks_refused_total", reason="signature_mismatch") - refused_before == 4

    # The good one, twice: applied once.
    first = await post_signed(h, path, body)
    again = await post_signed(h, path, body)
    assert first.status_code == 200, first.text
    assert [r["outcome"] for r in first.json()["results"]] == ["recorded"]
    assert [r["outcome"] for r in again.json()["results"]] == ["duplicate"]
    await h.settled()
    assert len(await payments_of(h, tenant, invoice_id)) == 1
    assert len(h.of_type("payment.received")) == 1
    # Stored for the tenant that exists (the oversize body never reached the route).
    # 14 cases - the oversize one - the one posted to the other tenant = 12.
    assert len(await reasons_of(migrated, tenant)) == 12
    assert await reasons_of(migrated, other) == ["signature_mismatch"]


async def test_an_unknown_tenant_is_counted_and_nothing_is_written(harness: Harness, migrated: str) -> None:
    h = harness
    stranger = uuid4()
    before = metric("regua_webhooks_refused_total", reason="unknown_tenant")
    for _ in range(3):
        r = await post_signed(h, f"/v1/webhooks/pix/{stranger}", pix_body("A" * 30))
        assert r.status_code == 403 and r.json()["reason"] == "unknown_tenant", r.text
    r = await h.client.post(f"/v1/webhooks/boleto/{stranger}", content=b"junk")
    assert r.status_code == 401
    assert metric("regua_webhooks_refused_total", reason="unknown_tenant") - before == 3
    assert await reasons_of(migrated, stranger) == []


async def test_legacy_signatures_are_counted_until_the_date_then_refused(
    migrated: str, kafka_settings: KafkaSettings, sandboxes: Sandboxes
) -> None:
    # The setting names a UTC day: its last minute still accepts v1, the first
    # minutes of the next refuse it, whatever the date in Brasília (the same
    # one at both instants, 20:59 and 21:01).
    now = sandboxes.clock.now().astimezone(UTC)
    until = now.date()
    sandboxes.clock.advance(datetime.combine(until, time(23, 59), UTC) - now)
    for expected in (200, 401):
        async with start(migrated, kafka_settings, sandboxes, webhook_legacy_signatures_until=until) as h:
            tenant = uuid4()
            await configure(h, tenant)
            _, txid = await pix_charge(h, tenant)
            raw = json.dumps(pix_body(txid)).encode()
            before = metric("regua_webhooks_legacy_signatures_total", provider="pix")
            header = sign_legacy("whsec_test_0123456789abcdefXYZ9", raw, int(h.clock.now().timestamp()))
            r = await h.client.post(
                f"/v1/webhooks/pix/{tenant}", content=raw, headers={"X-Regua-Signature": header}
            )
            assert r.status_code == expected, r.text
            counted = metric("regua_webhooks_legacy_signatures_total", provider="pix") - before
            assert counted == (1 if expected == 200 else 0)
            if expected == 401:
                assert r.json()["reason"] == "signature_legacy_expired"
        sandboxes.clock.advance(timedelta(minutes=2))


async def test_a_source_over_its_rate_gets_429_with_retry_after(
    migrated: str, kafka_settings: KafkaSettings, sandboxes: Sandboxes
) -> None:
    async with start(
        migrated, kafka_settings, sandboxes, webhook_rate_burst=3, webhook_rate_per_second=0.01
    ) as h:
        path = f"/v1/webhooks/card/{uuid4()}"
        statuses = [(await h.client.post(path, content=b"{}")).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        limited = await h.client.post(path, content=b"{}")
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["Retry-After"]) >= 1


ROUTES: list[tuple[str, str, str, Any]] = [
    ("PUT", "/v1/settings/pix", "admin", {"webhook_secret": "x" * 20}),
    ("GET", "/v1/settings/pix", "admin", None),
    ("PUT", "/v1/settings/psp", "admin", {}),
    ("GET", "/v1/settings/psp", "admin", None),
    ("DELETE", "/v1/settings/psp", "admin", None),
    ("PUT", "/v1/settings/bank", "admin", {}),
    ("GET", "/v1/settings/bank", "admin", None),
    ("GET", f"/v1/charges?invoice_id={uuid4()}", "payments:read", None),
    ("GET", f"/v1/charges/{uuid4()}", "payments:read", None),
    ("GET", f"/v1/payments?invoice_id={uuid4()}", "payments:read", None),
    ("GET", f"/v1/payments/{uuid4()}", "payments:read", None),
    ("POST", f"/v1/payments/{uuid4()}:refund", "payments:write", {"amount_cents": 1}),
]


async def test_every_route_needs_its_scope(harness: Harness) -> None:
    h = harness

    def token(scopes: list[str]) -> dict[str, str]:
        minted = mint_token(
            secret=SECRET,
            tenant_id=uuid4(),
            scopes=scopes,
            issuer="regua-dev",
            audience="regua",
            ttl=timedelta(minutes=5),
            now=datetime.now(UTC),
        )
        return {"Authorization": f"Bearer {minted}"}

    for method, path, scope, body in ROUTES:
        # Every other scope of the service (and reports:read) is not enough.
        lacking = [s for s in ("reports:read", "payments:read", "payments:write") if s != scope]
        r = await h.client.request(method, path, json=body, headers=token(lacking))
        assert r.status_code == 403, (method, path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["required_scope"] == scope
        allowed = await h.client.request(method, path, json=body, headers=token([scope]))
        assert allowed.status_code != 403, (method, path, allowed.text)


async def test_rotate_keys_re_encrypts_every_stored_secret_under_the_first_key(
    harness: Harness, migrated: str, kafka_settings: KafkaSettings
) -> None:
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    await h.psp_account(tenant)
    await h.bank_account(tenant)
    new = Fernet.generate_key().decode()
    ring = [SecretStr(k) for k in (new, *ENCRYPTION_KEYS)]
    settings = settings_for(migrated, kafka_settings, encryption_keys=ring)
    report = await rotate_keys(settings)
    assert report.checked == 3 and report.rotated == 3
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        tokens = [
            (await conn.execute(select(column).where(key == tenant))).scalar_one()
            for column, key in (
                (pix_settings.c.webhook_secret_encrypted, pix_settings.c.tenant_id),
                (psp_accounts.c.client_secret_encrypted, psp_accounts.c.tenant_id),
                (bank_accounts.c.client_secret_encrypted, bank_accounts.c.tenant_id),
            )
        ]
    await engine.dispose()
    only_new = SecretBox([SecretStr(new)])
    assert [only_new.decrypt(t) for t in tokens] == [
        "whsec_test_0123456789abcdefXYZ9",
        "psp-secret-123",
        "bank-secret-123",
    ]
    again = await rotate_keys(settings)
    assert (again.checked, again.rotated) == (3, 0)


async def test_old_webhook_rejections_are_pruned(migrated: str) -> None:
    tenant = uuid4()
    engine = create_async_engine(migrated)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for age in (31, 29):
            await conn.execute(
                insert(rejections).values(
                    tenant_id=tenant,
                    provider="pix",
                    reason=f"r{age}",
                    body_sha256="",
                    received_at=now - timedelta(days=age),
                )
            )
    uow = PaymentsUnitOfWork(
        create_sessionmaker(engine), DEFINITION.messaging, source="/test", clock=SystemClock()
    )
    async with uow:
        await uow.rejections.prune(now - timedelta(days=30), 1000)
        await uow.commit()
    await engine.dispose()
    assert await reasons_of(migrated, tenant) == ["r29"]


async def test_a_forged_event_of_another_tenant_changes_nothing_of_ours(
    harness: Harness, migrated: str
) -> None:
    h = harness
    victim, forger = uuid4(), uuid4()
    await configure(h, victim)
    invoice = await h.issue(victim)
    before = await h.charges(
        victim,
        invoice.invoice_id,
        lambda items: len(items) >= 2 and all(c["status"] != "pending" for c in items),
    )
    # Tenant B's events carrying tenant A's debtor and invoice ids.
    await h.produce(
        DebtorUpdatedV1(
            debtor_id=invoice.debtor_id,
            external_id="forged",
            name="Atacante",
            document="11144477735",
            updated_at=h.clock.now() + timedelta(minutes=1),
        ),
        forger,
    )
    await h.produce(
        InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            previous_status="open",
            status="cancelled",
            reason="forged",
            amount_paid_cents=0,
            amount_due_cents=0,
            changed_at=h.clock.now(),
        ),
        forger,
    )
    await h.settled()
    after = await h.get("/v1/charges", victim, invoice_id=str(invoice.invoice_id))
    assert after.json()["items"] == before
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(debtors.c.tenant_id, debtors.c.name).where(debtors.c.debtor_id == invoice.debtor_id)
            )
        ).all()
    await engine.dispose()
    assert sorted((str(t), n) for t, n in rows) == sorted(
        [(str(victim), "Maria da Silva Souza"), (str(forger), "Atacante")]
    )
