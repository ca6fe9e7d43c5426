"""invoice.issued -> charges; signed webhooks -> payment.received once;
refusals publish nothing; refunds -> payment.reversed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic_brasil.boleto import BoletoBancario
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from payments_service.adapters.db.tables import pix_settings, webhook_rejections
from payments_service.domain.signature import sign
from regua_br.brcode import parse_brcode
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1
from regua_devtools.testing import wait_for

from .conftest import WEBHOOK_SECRET, Harness

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def issued(amount_cents: int = 11000) -> InvoiceIssuedV1:
    return InvoiceIssuedV1(
        debtor_id=uuid4(),
        invoice_id=uuid4(),
        external_id=f"NF-{uuid4().hex[:8]}",
        amount_cents=amount_cents,
        due_date=date(2026, 12, 1),
        issued_at=NOW,
    )


async def charges_of(h: Harness, tenant: UUID, invoice_id: UUID, n: int = 2) -> list[dict[str, Any]]:
    return await h.charges(tenant, invoice_id, lambda items: len(items) >= n)


async def configure(h: Harness, tenant: UUID) -> None:
    """The webhook secret and the static-code option (no PSP: the code is made at once)."""
    await h.pix_settings(tenant, static_codes=True)


async def post_signed(
    h: Harness,
    path: str,
    body: dict[str, Any] | bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    t: int | None = None,
    signed_path: str | None = None,
) -> Any:
    """POST ``body`` signed (v2) for the tenant and path it is posted to, or for ``signed_path``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    t = int(h.clock.now().timestamp()) if t is None else t
    signed_path = signed_path or path
    tenant = signed_path.split("/")[4]
    header = sign(secret, raw, t, tenant_id=tenant, path=signed_path)
    return await h.client.post(
        path, content=raw, headers={"X-Regua-Signature": header, "Content-Type": "application/json"}
    )


def pix_body(txid: str, valor: str = "110.00", e2e: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "pix": [
            {
                "endToEndId": e2e or f"E{uuid4().hex[:31]}",
                "txid": txid,
                "valor": valor,
                "horario": "2026-11-23T11:58:00.000Z",
                "infoPagador": "pagamento",
                **extra,
            }
        ]
    }


async def test_an_invoice_announced_again_gets_its_charges_once(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.psp_account(tenant)
    await h.bank_account(tenant)
    invoice = await h.issue(tenant, amount_cents=12345)
    await h.produce(invoice, tenant)  # the same invoice announced again, another event id
    items = await h.charges(
        tenant,
        invoice.invoice_id,
        lambda cs: {c["kind"] for c in cs if c["status"] == "active"} == {"cobv", "boleto"},
    )
    await wait_for(lambda: len(h.of_type("payment.charge-created")) >= 2, timeout=30)
    await h.settled()
    assert len(items) == 2 and len(h.of_type("payment.charge-created")) == 2
    by_method = {c["method"]: c for c in items}

    boleto = by_method["boleto"]
    parsed = BoletoBancario(boleto["digitable_line"])
    assert parsed.codigo_barras == boleto["barcode"] and parsed.codigo_banco == "001"
    assert int(boleto["barcode"][9:19]) == 12345 and boleto["nosso_numero"] == 1

    pix = by_method["pix"]
    detail = await h.client.get(f"/v1/charges/{pix['id']}", headers=h.auth(tenant))
    assert detail.json()["qr_code_data_uri"].startswith("data:image/png;base64,")
    other = await h.client.get(f"/v1/charges/{pix['id']}", headers=h.auth(uuid4()))
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"

    page = await h.client.get("/v1/charges", params={"limit": 1}, headers=h.auth(tenant))
    second = await h.client.get(
        "/v1/charges", params={"limit": 1, "cursor": page.json()["next_cursor"]}, headers=h.auth(tenant)
    )
    assert {page.json()["items"][0]["id"], second.json()["items"][0]["id"]} == {pix["id"], boleto["id"]}
    assert second.json()["next_cursor"] is None


async def test_settings_never_return_the_secret_and_encrypt_it(harness: Harness, migrated: str) -> None:
    h = harness
    tenant = uuid4()
    default = (await h.client.get("/v1/settings/pix", headers=h.auth(tenant))).json()
    assert not default["webhook_secret_set"] and not default["static_codes"] and default["pix_key"] is None
    assert (await h.get("/v1/settings/psp", tenant)).status_code == 404
    await configure(h, tenant)
    r = await h.client.get("/v1/settings/pix", headers=h.auth(tenant))
    body = r.json()
    assert body["webhook_secret_set"] and body["webhook_secret_last4"] == "XYZ9"
    assert WEBHOOK_SECRET not in r.text
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(pix_settings.c.webhook_secret_encrypted).where(pix_settings.c.tenant_id == tenant)
            )
        ).scalar_one()
    await engine.dispose()
    assert WEBHOOK_SECRET.encode() not in stored
    await h.psp_account(tenant)
    psp = await h.get("/v1/settings/psp", tenant)
    assert psp.json()["client_secret_last4"] == "-123" and "psp-secret-123" not in psp.text
    await h.bank_account(tenant)
    bank = await h.get("/v1/settings/bank", tenant)
    assert bank.json()["beneficiary_document"] == "11222333000181" and "bank-secret-123" not in bank.text
    refused = await h.put("/v1/settings/psp", {"base_url": "http://psp.example", "client_id": "x"}, tenant)
    assert refused.status_code == 422
    # A complete body: plain http only to GATEWAYS__PLAIN_HTTP_HOSTS (loopback by default).
    body = {
        "base_url": "http://psp.example",
        "client_id": "c",
        "client_secret": "s" * 12,
        "pix_key": "k@x.example",
    }
    plain = await h.put("/v1/settings/psp", body, tenant)
    assert plain.status_code == 422, plain.text
    assert plain.headers["content-type"] == "application/problem+json"
    assert "plain http is allowed only to 127.0.0.1, localhost, ::1" in plain.json()["detail"]
    assert (await h.get("/v1/settings/psp", tenant)).json()["base_url"] == h.sb.psp.url  # unchanged


async def test_a_signed_pix_webhook_posted_twice_is_one_payment(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    invoice = issued(11000)
    await h.produce(invoice, tenant)
    pix = next(c for c in await charges_of(h, tenant, invoice.invoice_id) if c["method"] == "pix")
    code = parse_brcode(pix["pix_copy_paste"])
    assert code.merchant_name == "LOJA EXEMPLO COMERCIO LTDA"[:25] and code.txid == pix["txid"]
    assert pix["kind"] == "static" and len(pix["txid"]) <= 25

    body = pix_body(pix["txid"])
    first = await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)
    h.clock.advance(timedelta(seconds=30))
    again = await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)
    assert first.status_code == 200, first.text
    assert first.json()["results"][0]["outcome"] == "recorded"
    assert again.status_code == 200 and again.json()["results"][0]["outcome"] == "duplicate"
    await wait_for(lambda: h.of_type("payment.received"), timeout=30)
    await h.settled()
    received = h.of_type("payment.received")
    assert len(received) == 1
    payment = received[0].payload
    assert isinstance(payment, PaymentReceivedV1)
    assert payment.method == "pix" and payment.amount_cents == 11000
    assert payment.gateway_reference == body["pix"][0]["endToEndId"]
    assert payment.invoice_id == invoice.invoice_id and payment.charge_id == UUID(pix["id"])
    assert payment.paid_at.isoformat() == "2026-11-23T11:58:00+00:00"
    assert received[0].tenantid == tenant and received[0].key == str(invoice.debtor_id).encode()


async def test_a_rotated_webhook_secret_takes_effect_at_once(harness: Harness) -> None:
    """The secret is cached per process; the PUT that replaces it forgets it."""
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    invoice = issued(11000)
    await h.produce(invoice, tenant)
    pix = next(c for c in await charges_of(h, tenant, invoice.invoice_id) if c["method"] == "pix")
    path = f"/v1/webhooks/pix/{tenant}"
    assert (await post_signed(h, path, pix_body(pix["txid"]))).status_code == 200  # cached now
    rotated = "whsec_rotated_0123456789abcdefWXYZ"
    r = await h.put("/v1/settings/pix", {"webhook_secret": rotated, "static_codes": True,
                    "pix_key": "cobranca@lojaexemplo.com.br", "merchant_name": "Loja Exemplo Comércio Ltda",
                    "merchant_city": "São Paulo"}, tenant)  # fmt: skip
    assert r.status_code == 200, r.text
    old = await post_signed(h, path, pix_body(pix["txid"]))
    assert old.status_code == 401 and old.json()["reason"] == "signature_mismatch"
    new = await post_signed(h, path, pix_body(pix["txid"]), secret=rotated)
    assert new.status_code == 200 and new.json()["results"][0]["outcome"] == "recorded"


@pytest.mark.parametrize(
    "case", ["bad_signature", "old_timestamp", "future_timestamp", "unknown_txid", "malformed", "no_secret"]
)
async def test_refused_webhooks_answer_4xx_and_publish_nothing(
    harness: Harness, migrated: str, case: str
) -> None:
    h = harness
    tenant = uuid4()
    if case != "no_secret":
        await configure(h, tenant)
    invoice = issued()
    await h.produce(invoice, tenant)
    pix = next(c for c in await charges_of(h, tenant, invoice.invoice_id) if c["method"] == "pix")
    path = f"/v1/webhooks/pix/{tenant}"
    now = int(h.clock.now().timestamp())
    if case == "bad_signature":
        r = await post_signed(h, path, pix_body(pix["txid"]), secret="not-the-secret-at-all")
        expected = (401, "signature_mismatch")
    elif case == "old_timestamp":
        # A minute beyond the 300 s tolerance: the request may arrive seconds later.
        r = await post_signed(h, path, pix_body(pix["txid"]), t=now - 360)
        expected = (401, "signature_stale")
    elif case == "future_timestamp":
        r = await post_signed(h, path, pix_body(pix["txid"]), t=now + 360)
        expected = (401, "signature_stale")
    elif case == "unknown_txid":
        r = await post_signed(h, path, pix_body("A" * 32))
        expected = (422, "unknown_txid")
    elif case == "malformed":
        r = await post_signed(h, path, pix_body(pix["txid"], valor="110.001"))
        expected = (422, "malformed")
    else:
        r = await post_signed(h, path, pix_body("A" * 25))
        expected = (403, "unknown_tenant")
    assert r.status_code == expected[0], r.text
    assert r.headers["content-type"] == "application/problem+json"
    await h.settled()
    assert not h.of_type("payment.received")
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        reasons = (
            (
                await conn.execute(
                    select(webhook_rejections.c.reason).where(webhook_rejections.c.tenant_id == tenant)
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    # A tenant that does not exist (no webhook secret) gets nothing written.
    assert reasons == ([] if case == "no_secret" else [expected[1]])
    payments = await h.client.get(
        "/v1/payments", params={"invoice_id": str(invoice.invoice_id)}, headers=h.auth(tenant)
    )
    assert payments.json() == []


async def test_a_mixed_pix_batch_applies_the_good_items_and_answers_422(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    invoice = issued(5000)
    await h.produce(invoice, tenant)
    pix = next(c for c in await charges_of(h, tenant, invoice.invoice_id) if c["method"] == "pix")
    body = {"pix": pix_body(pix["txid"], "50.00")["pix"] + pix_body("B" * 30)["pix"]}
    r = await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)
    assert r.status_code == 422
    assert [x["outcome"] for x in r.json()["results"]] == ["recorded", "unmatched"]
    await wait_for(lambda: h.of_type("payment.received"), timeout=30)
    retry = await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)
    assert [x["outcome"] for x in retry.json()["results"]] == ["duplicate", "unmatched"]
    await h.settled()
    assert len(h.of_type("payment.received")) == 1


async def test_refunds_and_chargebacks_publish_payment_reversed_never_beyond_paid(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    invoice = issued(10000)
    await h.produce(invoice, tenant)
    charges = {c["method"]: c for c in await charges_of(h, tenant, invoice.invoice_id)}
    e2e = f"E{uuid4().hex[:31]}"
    r = await post_signed(
        h, f"/v1/webhooks/pix/{tenant}", pix_body(charges["pix"]["txid"], "100.00", e2e=e2e)
    )
    payment_id = r.json()["results"][0]["payment_id"]

    too_much = await h.client.post(
        f"/v1/payments/{payment_id}:refund", json={"amount_cents": 10001}, headers=h.auth(tenant)
    )
    assert too_much.status_code == 422 and too_much.json()["refundable_cents"] == 10000
    headers = {**h.auth(tenant), "Idempotency-Key": "refund-1"}
    refund = await h.client.post(
        f"/v1/payments/{payment_id}:refund",
        json={"amount_cents": 3000, "reason": "desconto"},
        headers=headers,
    )
    assert refund.status_code == 201, refund.text
    repeat = await h.client.post(
        f"/v1/payments/{payment_id}:refund",
        json={"amount_cents": 3000, "reason": "desconto"},
        headers=headers,
    )
    assert repeat.status_code == 200 and repeat.json()["id"] == refund.json()["id"]
    other_tenant = await h.client.post(
        f"/v1/payments/{payment_id}:refund", json={"amount_cents": 1}, headers=h.auth(uuid4())
    )
    assert other_tenant.status_code == 404

    # The same Pix, redelivered with a settled devolução of R$ 20,00 and a pending one.
    devolucoes = [
        {
            "id": "D1",
            "rtrId": "D" + "1" * 31,
            "valor": "20.00",
            "status": "DEVOLVIDO",
            "horario": {"solicitacao": "2026-11-23T12:00:00Z", "liquidacao": "2026-11-23T12:00:05Z"},
        },
        {
            "id": "D2",
            "valor": "5.00",
            "status": "EM_PROCESSAMENTO",
            "horario": {"solicitacao": "2026-11-23T12:00:00Z"},
        },
    ]
    body = pix_body(charges["pix"]["txid"], "100.00", e2e=e2e, devolucoes=devolucoes)
    r = await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)
    assert r.status_code == 200, r.text
    assert [x["outcome"] for x in r.json()["results"][0]["reversals"]] == ["recorded", "ignored"]
    await post_signed(h, f"/v1/webhooks/pix/{tenant}", body)  # retried: nothing new

    # A chargeback of everything is more than is left (100 - 30 - 20): refused.
    chargeback = {
        "event_id": "cb-1",
        "type": "chargeback",
        "payment_id": payment_id,
        "amount_cents": 10000,
        "occurred_at": "2026-11-23T12:01:00Z",
    }
    r = await post_signed(h, f"/v1/webhooks/card/{tenant}", chargeback)
    assert r.status_code == 422 and r.json()["results"][0]["outcome"] == "refused"
    r = await post_signed(
        h, f"/v1/webhooks/card/{tenant}", {**chargeback, "event_id": "cb-2", "amount_cents": 5000}
    )
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "recorded"

    await wait_for(lambda: len(h.of_type("payment.reversed")) >= 3, timeout=30)
    await h.settled()
    reversed_ = [e.payload for e in h.of_type("payment.reversed")]
    assert all(isinstance(p, PaymentReversedV1) for p in reversed_)
    assert sorted((p.kind, p.amount_cents) for p in reversed_) == [  # type: ignore[attr-defined]
        ("chargeback", 5000),
        ("refund", 2000),
        ("refund", 3000),
    ]
    assert {p.invoice_id for p in reversed_} == {invoice.invoice_id}  # type: ignore[attr-defined]
    paid = await h.client.get(f"/v1/payments/{payment_id}", headers=h.auth(tenant))
    assert paid.json()["reversed_cents"] == 10000


async def test_boleto_and_card_captures_are_recorded_once(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await configure(h, tenant)
    await h.bank_account(tenant)
    invoice = await h.issue(tenant, amount_cents=7000)
    items = await h.charges(
        tenant, invoice.invoice_id, lambda cs: any(c["barcode"] for c in cs) and len(cs) == 2
    )
    charges = {c["method"]: c for c in items}
    boleto = {
        "event_id": "bol-1",
        "digitable_line": charges["boleto"]["digitable_line"],
        "amount_cents": 7000,
        "paid_at": "2026-11-23T10:00:00-03:00",
    }
    for _ in range(2):
        r = await post_signed(h, f"/v1/webhooks/boleto/{tenant}", boleto)
        assert r.status_code == 200, r.text
    bad_line = charges["boleto"]["digitable_line"][:-1] + "9"
    r = await post_signed(
        h,
        f"/v1/webhooks/boleto/{tenant}",
        {**boleto, "event_id": "bol-2", "barcode": "0" * 44, "digitable_line": bad_line},
    )
    assert r.status_code == 422
    capture = {
        "event_id": "cap-1",
        "type": "capture",
        "charge_id": charges["pix"]["id"],
        "amount_cents": 1000,
        "occurred_at": "2026-11-23T12:00:00Z",
    }
    assert (await post_signed(h, f"/v1/webhooks/card/{tenant}", capture)).status_code == 200
    assert (await post_signed(h, f"/v1/webhooks/card/{tenant}", capture)).status_code == 200
    await wait_for(lambda: len(h.of_type("payment.received")) >= 2, timeout=30)
    await h.settled()
    methods = sorted(e.payload.method for e in h.of_type("payment.received"))  # type: ignore[attr-defined]
    assert methods == ["boleto", "card"]

    async def _count() -> int:
        r = await h.client.get(
            "/v1/payments", params={"invoice_id": str(invoice.invoice_id)}, headers=h.auth(tenant)
        )
        return len(r.json())

    assert await _count() == 2
