"""The PSP and bank adapters against the sandboxes over real HTTP: what they
send validates against the transcribed API Pix schemas, what they read is the
sandbox's answer, failures become GatewayError."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from payments_service.adapters import pix_api
from payments_service.adapters.bank_api import BankApiClient, registration_body
from payments_service.adapters.pix_api import ApiPixClient, cobv_body, gateway_http_client
from payments_service.domain.gateways import (
    BeneficiaryAccount,
    BoletoOrder,
    CobvOrder,
    Debtor,
    GatewayError,
)
from payments_service.domain.signature import HEADER, check_timestamp, parse_header, verify
from regua_br.brcode import parse_dynamic_brcode
from regua_devtools.sandboxes import pix_schemas as api
from regua_devtools.sandboxes.bank import BankSandbox, running_bank_sandbox
from regua_devtools.sandboxes.common import TIMEZONE, SandboxClock, free_port, serving
from regua_devtools.sandboxes.psp import PspSandbox, running_psp_sandbox

KEY = "pix@tenant-a.example"
SECRET = "webhook-secret-of-tenant-a"
TODAY = date(2026, 11, 2)


def clock_at(day: date) -> SandboxClock:
    target = datetime(day.year, day.month, day.day, 12, tzinfo=TIMEZONE)
    return SandboxClock(int((target - datetime.now(TIMEZONE)).total_seconds()))


def order(n: int = 1, **changes: Any) -> CobvOrder:
    base = CobvOrder(
        txid=f"RG{n:028d}",
        due_date=date(2026, 11, 10),
        days_valid_after_due=30,
        debtor=Debtor(document="12345678909", name="Fulano de Tal"),
        original_cents=150000,
        fine_bps=200,
        monthly_interest_bps=100,
        payer_message="Fatura 123",
    )
    return replace(base, **changes)


@pytest.fixture
async def psp() -> AsyncIterator[PspSandbox]:
    async with running_psp_sandbox(clock=clock_at(TODAY)) as sandbox:
        sandbox.store.add_receiver(client_id="tenant-a", client_secret="a-secret", pix_key=KEY)
        yield sandbox


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_http_client(timeout_s=5) as client:
        yield client


def pix_client(psp: PspSandbox, http: httpx.AsyncClient, secret: str = "a-secret") -> ApiPixClient:  # noqa: S107
    return ApiPixClient(base_url=psp.url, client_id="tenant-a", client_secret=secret, pix_key=KEY, http=http)


def test_the_adapter_builds_bodies_the_api_pix_schemas_accept() -> None:
    created = cobv_body(order(rebate_cents=1000), KEY)
    api.CobVSolicitada.model_validate(created)
    assert created["valor"] == {
        "original": "1500.00",
        "multa": {"modalidade": 2, "valorPerc": "2.00"},
        "juros": {"modalidade": 3, "valorPerc": "1.00"},
        "abatimento": {"modalidade": 1, "valorPerc": "10.00"},
    }
    assert created["devedor"] == {"cpf": "12345678909", "nome": "Fulano de Tal"}
    revised = cobv_body(order(fine_bps=0, debtor=Debtor("12345678000195", "Empresa")), KEY, revision=True)
    api.CobVRevisada.model_validate(revised)
    assert revised["valor"]["multa"] == {"modalidade": 2, "valorPerc": "0.00"}
    assert revised["devedor"] == {"cnpj": "12345678000195", "nome": "Empresa"}
    assert "multa" not in cobv_body(order(fine_bps=0), KEY)["valor"]


async def test_cobv_create_read_revise_remove(psp: PspSandbox, http: httpx.AsyncClient) -> None:
    client = pix_client(psp, http)
    created = await client.create_cobv(order())
    assert (created.revision, created.status, created.original_cents) == (0, "ATIVA", 150000)
    assert parse_dynamic_brcode(created.pix_copy_paste).location == created.location
    assert created.location.startswith("127.0.0.1:")
    # A replay (a retry after a lost answer) gives the same charge back.
    assert await client.create_cobv(order()) == created

    revised = await client.revise_cobv(order(original_cents=50000))
    assert (revised.revision, revised.original_cents) == (1, 50000)
    assert (await client.get_cobv(created.txid)) == revised
    # The PSP prices the revised charge: 500.00 + 10.00 + 500 × 1 % × 10/30 = 1.67 -> 511.67 on 20/11.
    async with httpx.AsyncClient() as plain:
        value = await plain.get(f"{psp.url}/sandbox/cobv/{created.txid}/value", params={"on": "2026-11-20"})
    assert value.json()["valor"]["final"] == "511.67"

    removed = await client.remove_cobv(created.txid)
    assert removed.status == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    assert (await client.remove_cobv(created.txid)).status == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    with pytest.raises(GatewayError) as refused:
        await client.revise_cobv(order(original_cents=100))
    assert (refused.value.status, refused.value.retryable) == (400, False)
    with pytest.raises(GatewayError) as missing:
        await client.get_cobv("RG" + "9" * 28)
    assert (missing.value.status, missing.value.retryable) == (404, False)
    # Every request the adapter sent passed the sandbox's schema check; every answer validates.
    full = psp.store.cobvs[("tenant-a", created.txid)]
    assert [r["valor"]["original"] for r in full.revisions] == ["1500.00", "500.00", "500.00"]


async def test_webhook_registration_callback_and_received_pix_pages(
    psp: PspSandbox, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, bytes, str | None]] = []
    receiver = FastAPI()

    @receiver.post("/v1/webhooks/pix/{tenant}")
    async def hook(tenant: str, request: Request) -> JSONResponse:
        raw = await request.body()
        received.append((request.url.path, raw, request.headers.get(HEADER)))
        return JSONResponse({"results": []})

    client = pix_client(psp, http)
    async with (
        serving(receiver, host="127.0.0.1", port=free_port()) as hook_url,
        httpx.AsyncClient() as plain,
    ):
        token = (
            await plain.post(
                f"{psp.url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("tenant-a", "a-secret"),
            )
        ).json()["access_token"]
        # "?ignorar=" keeps our path when the PSP appends /pix (the spec's callback URL).
        registered = await plain.put(
            f"{psp.url}/v2/webhook/{KEY}",
            json={"webhookUrl": f"{hook_url}/v1/webhooks/pix/tenant-a?ignorar="},
            headers={"Authorization": f"Bearer {token}", "X-Sandbox-Webhook-Secret": SECRET},
        )
        assert registered.status_code == 200
        shown = await plain.get(f"{psp.url}/v2/webhook/{KEY}", headers={"Authorization": f"Bearer {token}"})
        api.WebhookCompleto.model_validate(shown.json())
        for n in range(1, 6):
            await client.create_cobv(order(n))
            paid = await plain.post(f"{psp.url}/sandbox/cobv/{order(n).txid}/simulate-payment", json={})
            assert paid.json()["webhook_status"] == 200
        listed = await plain.get(
            f"{psp.url}/v2/pix",
            params={
                "inicio": "2026-11-01T00:00:00Z",
                "fim": "2026-11-03T00:00:00Z",
                "paginacao.itensPorPagina": 2,
                "paginacao.paginaAtual": 2,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        page = api.PixConsultados.model_validate(listed.json())
        assert page.parametros.paginacao.quantidadeDePaginas == 3 and len(page.pix) == 1

    assert len(received) == 5
    path, raw, signature = received[0]
    assert path == "/v1/webhooks/pix/tenant-a"
    signed = parse_header(signature)
    check_timestamp(signed, now=int(psp.store.clock.now().timestamp()))
    assert verify(signed, raw, SECRET, tenant_id="tenant-a", path=path, legacy_allowed=False) == "v2"
    body = api.WebhookPixBody.model_validate_json(raw)
    assert body.pix[0].txid == order(1).txid and body.pix[0].valor == "1500.00"
    assert json.loads(raw)["pix"][0]["endToEndId"].startswith("E99999999")

    monkeypatch.setattr(pix_api, "PAGE_SIZE", 2)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    pix = await client.received_pix(start, start + timedelta(days=1))
    assert sorted(p.txid or "" for p in pix) == sorted(order(n).txid for n in range(1, 6))
    assert {p.amount_cents for p in pix} == {150000}
    assert await client.received_pix(start + timedelta(days=1), start + timedelta(days=2)) == []


async def test_token_cached_refreshed_on_401_and_errors_mapped(
    psp: PspSandbox, http: httpx.AsyncClient
) -> None:
    client = pix_client(psp, http)
    await client.create_cobv(order())
    await client.get_cobv(order().txid)
    assert psp.store.oauth.clients["tenant-a"].tokens_issued == 1
    psp.store.oauth.revoke_all()
    await client.get_cobv(order().txid)
    assert psp.store.oauth.clients["tenant-a"].tokens_issued == 2

    for status in (503, 429):
        async with httpx.AsyncClient() as plain:
            await plain.put(f"{psp.url}/sandbox/faults", json={"status": status, "count": 1})
        with pytest.raises(GatewayError) as failed:
            await client.get_cobv(order().txid)
        assert (failed.value.status, failed.value.retryable) == (status, True)

    with pytest.raises(GatewayError) as bad_secret:
        await pix_client(psp, http, secret="wrong").get_cobv(order().txid)
    assert (bad_secret.value.status, bad_secret.value.retryable) == (401, False)

    with pytest.raises(GatewayError) as invalid:
        await client.create_cobv(order(2, due_date=date(2026, 10, 1)))
    assert (invalid.value.status, invalid.value.retryable) == (400, False)
    assert "cobv.calendario.dataDeVencimento" in invalid.value.detail

    unreachable = ApiPixClient(
        base_url=f"http://127.0.0.1:{free_port()}", client_id="x", client_secret="y", pix_key=KEY, http=http
    )
    with pytest.raises(GatewayError) as down:
        await unreachable.get_cobv(order().txid)
    assert down.value.retryable


ACCOUNT = BeneficiaryAccount(
    bank_code="001",
    agency="1234",
    account="56789-0",
    agreement="1234567",
    wallet="17",
    beneficiary_name="Credora A Ltda",
    beneficiary_document="12345678000195",
)


def boleto_order(nosso_numero: int = 1, **changes: Any) -> BoletoOrder:
    base = BoletoOrder(
        account=ACCOUNT,
        nosso_numero=nosso_numero,
        reference=f"charge-{nosso_numero}",
        due_date=date(2026, 11, 10),
        amount_cents=150000,
        payer=Debtor("12345678909", "Fulano de Tal"),
        fine_bps=200,
        monthly_interest_bps=100,
        days_valid_after_due=30,
    )
    return replace(base, **changes)


@pytest.fixture
async def bank() -> AsyncIterator[BankSandbox]:
    async with running_bank_sandbox(clock=clock_at(TODAY)) as sandbox:
        sandbox.store.oauth.add("tenant-a", "a-secret")
        yield sandbox


async def test_bank_register_get_write_off_and_duplicate_nosso_numero(
    bank: BankSandbox, http: httpx.AsyncClient
) -> None:
    client = BankApiClient(base_url=bank.url, client_id="tenant-a", client_secret="a-secret", http=http)
    body = registration_body(boleto_order())
    assert body["fine"] == {"percent": "2.00"} and body["interest"] == {"monthly_percent": "1.00"}
    registered = await client.register(boleto_order())
    assert registered.status == "registered" and registered.amount_cents == 150000
    # Bank 001, currency 9, factor of 2026-11-10, amount 0000150000, free field
    # 000000 + convênio 1234567 + nosso número 0000000001 + carteira 17.
    assert registered.barcode[:4] == "0019" and registered.barcode[9:19] == "0000150000"
    assert registered.barcode[19:] == "0000001234567000000000117"
    assert await client.register(boleto_order()) == registered
    with pytest.raises(GatewayError) as taken:
        await client.register(boleto_order(amount_cents=140000))
    assert (taken.value.status, taken.value.retryable) == (409, False)
    assert (await client.get(ACCOUNT, 1)) == registered

    written_off = await client.write_off(ACCOUNT, 1)
    assert written_off.status == "written_off"
    assert (await client.write_off(ACCOUNT, 1)).status == "written_off"

    await client.register(boleto_order(2))
    async with httpx.AsyncClient() as plain:
        paid = await plain.post(
            f"{bank.url}/sandbox/boletos/1234567/2/simulate-payment", json={"on": "2026-11-10"}
        )
    assert paid.json()["notification"]["amount_cents"] == 150000
    assert (await client.write_off(ACCOUNT, 2)).status == "paid"
    with pytest.raises(GatewayError) as missing:
        await client.get(ACCOUNT, 99)
    assert (missing.value.status, missing.value.retryable) == (404, False)
