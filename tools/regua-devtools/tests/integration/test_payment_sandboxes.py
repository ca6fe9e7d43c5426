"""The PSP and bank sandboxes over real HTTP: the PSP's value on a day is the
oracle regua_br.amount_due is checked against, to the centavo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from regua_br.amount_due import Payment, breakdown
from regua_br.brcode import parse_dynamic_brcode
from regua_devtools.sandboxes import pix_schemas as api
from regua_devtools.sandboxes.bank import running_bank_sandbox
from regua_devtools.sandboxes.common import TIMEZONE, SandboxClock
from regua_devtools.sandboxes.psp import PspSandbox, running_psp_sandbox

KEY = "pix@tenant-a.example"
TXID = "RG0000000000000000000000000001"


def clock_at(day: date) -> SandboxClock:
    target = datetime(day.year, day.month, day.day, 12, tzinfo=TIMEZONE)
    return SandboxClock(int((target - datetime.now(TIMEZONE)).total_seconds()))


@pytest.fixture
async def psp() -> AsyncIterator[PspSandbox]:
    async with running_psp_sandbox(clock=clock_at(date(2026, 11, 1))) as sandbox:
        sandbox.store.add_receiver(client_id="tenant-a", client_secret="s3cret", pix_key=KEY)
        yield sandbox


async def token(
    client: httpx.AsyncClient,
    url: str,
    client_id: str = "tenant-a",
    secret: str = "s3cret",  # noqa: S107
) -> str:
    response = await client.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def cobv_request(original: str, due: date, *, fine: str = "2.00", interest: str = "1.00") -> dict[str, Any]:
    return {
        "calendario": {"dataDeVencimento": due.isoformat(), "validadeAposVencimento": 30},
        "devedor": {"cpf": "12345678909", "nome": "Fulano de Tal"},
        "valor": {
            "original": original,
            "multa": {"modalidade": 2, "valorPerc": fine},
            "juros": {"modalidade": 3, "valorPerc": interest},
        },
        "chave": KEY,
    }


# Principal R$ 1.500,00, fine 2 %, interest 1 % a month pro rata die (30-day month).
CASES = [
    # On the due date (Tue 10/11/2026): nothing but the principal.
    ("due-day", date(2026, 11, 10), date(2026, 11, 10), [], 150000),
    # One day late: 1500.00 + 30.00 fine + 1500 × 1 % × 1/30 = 0.50 -> 1530.50.
    ("one-day-late", date(2026, 11, 10), date(2026, 11, 11), [], 153050),
    # Ten days late: 1500.00 + 30.00 + 1500 × 1 % × 10/30 = 5.00 -> 1535.00.
    ("ten-days-late", date(2026, 11, 10), date(2026, 11, 20), [], 153500),
    # 1000.00 paid on 05/11, before the due date: the cobv is revised to 500.00;
    # 500.00 + 2 % = 10.00 + 500 × 1 % × 10/30 = 1.666… -> 1.67 -> 511.67 (DOMAIN.md's example).
    ("paid-before-due", date(2026, 11, 10), date(2026, 11, 20), [Payment(date(2026, 11, 5), 100000)], 51167),
    # Due Sunday 15/11/2026 (also a national holiday), paid Monday 16/11: the principal only.
    ("sunday-paid-monday", date(2026, 11, 15), date(2026, 11, 16), [], 150000),
    # Due Sunday 15/11, paid Tuesday 17/11: 30.00 fine + 1500 × 1 % × 2/30 = 1.00 (from the Sunday) -> 1531.00.
    ("sunday-paid-tuesday", date(2026, 11, 15), date(2026, 11, 17), [], 153100),
]


@pytest.mark.parametrize(("name", "due", "on", "payments", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_the_psp_value_on_a_day_is_the_hand_computed_figure_and_regua_br_agrees(
    psp: PspSandbox, name: str, due: date, on: date, payments: list[Payment], expected: int
) -> None:
    open_principal = 150000 - sum(p.cents for p in payments if p.on <= due)
    original = f"{open_principal // 100}.{open_principal % 100:02d}"
    txid = f"RG{name.replace('-', '')}".ljust(30, "0")[:30]
    async with httpx.AsyncClient() as client:
        bearer = {"Authorization": f"Bearer {await token(client, psp.url)}"}
        created = await client.put(
            f"{psp.url}/v2/cobv/{txid}", json=cobv_request(original, due), headers=bearer
        )
        assert created.status_code == 201, created.text
        api.CobVGerada.model_validate(created.json())
        value = (
            await client.get(f"{psp.url}/sandbox/cobv/{txid}/value", params={"on": on.isoformat()})
        ).json()
    psp_cents = int(value["valor"]["final"].replace(".", ""))
    ours = breakdown(
        principal_cents=150000,
        due_date=due,
        fine_bps=200,
        monthly_interest_bps=100,
        payments=payments,
        as_of=on,
    )
    assert psp_cents == expected
    assert ours.due_cents == expected


async def test_cobv_lifecycle_location_payload_and_problems(psp: PspSandbox) -> None:
    async with httpx.AsyncClient() as client:
        bearer = {"Authorization": f"Bearer {await token(client, psp.url)}"}
        body = cobv_request("1500.00", date(2026, 11, 10))
        created = await client.put(f"{psp.url}/v2/cobv/{TXID}", json=body, headers=bearer)
        assert created.status_code == 201
        generated = api.CobVGerada.model_validate(created.json())
        assert generated.revisao == 0 and generated.status == "ATIVA"
        code = parse_dynamic_brcode(generated.pixCopiaECola or "")
        assert code.location == generated.loc.location

        replay = await client.put(f"{psp.url}/v2/cobv/{TXID}", json=body, headers=bearer)
        assert replay.status_code == 200 and replay.json()["revisao"] == 0

        revised = await client.patch(
            f"{psp.url}/v2/cobv/{TXID}", json={"valor": {"original": "500.00"}}, headers=bearer
        )
        assert revised.status_code == 200
        assert revised.json()["revisao"] == 1 and revised.json()["valor"]["multa"]["valorPerc"] == "2.00"

        # The location serves the payload with the value on the intended payment date (DPP).
        token_part = code.location.rsplit("/", 1)[1]
        payload = await client.get(f"{psp.url}/qr/v2/cobv/{token_part}", params={"DPP": "2026-11-20"})
        assert payload.status_code == 200
        parsed = api.CobVPayload.model_validate(payload.json())
        # 500.00 + 10.00 + 1.67 (see the table above)
        assert (parsed.valor.original, parsed.valor.multa, parsed.valor.juros, parsed.valor.final) == (
            "500.00",
            "10.00",
            "1.67",
            "511.67",
        )

        old = await client.get(f"{psp.url}/v2/cobv/{TXID}", params={"revisao": 0}, headers=bearer)
        assert old.json()["valor"]["original"] == "1500.00"

        removed = await client.patch(
            f"{psp.url}/v2/cobv/{TXID}", json={"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, headers=bearer
        )
        assert (
            removed.json()["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR" and removed.json()["revisao"] == 2
        )
        again = await client.patch(
            f"{psp.url}/v2/cobv/{TXID}", json={"valor": {"original": "1.00"}}, headers=bearer
        )
        assert again.status_code == 400
        assert api.Problema.model_validate(again.json()).type.endswith("/CobVOperacaoInvalida")
        gone = await client.get(f"{psp.url}/qr/v2/cobv/{token_part}")
        assert gone.status_code == 404
        full = await client.get(f"{psp.url}/v2/cobv/{TXID}", headers=bearer)
        api.CobVCompleta.model_validate(full.json())

        bad = dict(body, chave="someone-else@example")
        refused = await client.put(f"{psp.url}/v2/cobv/{TXID[:-1]}2", json=bad, headers=bearer)
        assert refused.status_code == 400
        assert [v["propriedade"] for v in refused.json()["violacoes"]] == ["cobv.chave"]
        past = cobv_request("10.00", date(2026, 10, 30))
        assert (
            await client.put(f"{psp.url}/v2/cobv/{TXID[:-1]}3", json=past, headers=bearer)
        ).status_code == 400
        assert (await client.get(f"{psp.url}/v2/cobv/{TXID}")).status_code == 401
        short = await client.put(f"{psp.url}/v2/cobv/ABC", json=body, headers=bearer)
        assert short.status_code == 400


async def test_validity_after_due_follows_the_manuals_examples(psp: PspSandbox) -> None:
    # As the manual's Exemplo G: a Saturday due date, 5 days of validity.
    async with httpx.AsyncClient() as client:
        bearer = {"Authorization": f"Bearer {await token(client, psp.url)}"}
        body = cobv_request("100.00", date(2026, 11, 28))
        body["calendario"]["validadeAposVencimento"] = 5
        assert (await client.put(f"{psp.url}/v2/cobv/{TXID}", json=body, headers=bearer)).status_code == 201
        value = (await client.get(f"{psp.url}/sandbox/cobv/{TXID}/value", params={"on": "2026-11-28"})).json()
    # Due Sat 28/11 -> effective Mon 30/11; 30/11 + 5 = Sat 05/12 -> Mon 07/12.
    assert value["vencimentoEfetivo"] == "2026-11-30"
    assert value["ultimoDiaPagavel"] == "2026-12-07"
    assert value["valor"]["final"] == "100.00"


async def test_bank_registers_boletos_per_agreement_and_charges_late_payment() -> None:
    async with running_bank_sandbox(clock=clock_at(date(2026, 11, 1))) as bank, httpx.AsyncClient() as client:
        bank.store.oauth.add("tenant-a", "a"), bank.store.oauth.add("tenant-b", "b")
        registration = {
            "beneficiary": {
                "bank_code": "001",
                "agency": "1234",
                "account": "56789-0",
                "agreement": "1234567",
                "wallet": "17",
                "name": "Credora A Ltda",
                "document": "12345678000195",
            },
            "nosso_numero": 1,
            "reference": "charge-1",
            "due_date": "2026-11-10",
            "amount": "1500.00",
            "payer": {"document": "12345678909", "name": "Fulano de Tal"},
            "fine": {"percent": "2.00"},
            "interest": {"monthly_percent": "1.00"},
            "days_valid_after_due": 30,
        }
        a = {"Authorization": f"Bearer {await token(client, bank.url, 'tenant-a', 'a')}"}
        b = {"Authorization": f"Bearer {await token(client, bank.url, 'tenant-b', 'b')}"}
        first = await client.post(f"{bank.url}/v1/boletos", json=registration, headers=a)
        assert first.status_code == 201
        other = dict(registration, beneficiary=dict(registration["beneficiary"], agreement="7654321"))
        second = await client.post(f"{bank.url}/v1/boletos", json=other, headers=b)
        assert second.status_code == 201
        # Same amount, same date, same nosso número, different convênios: different barcodes.
        assert first.json()["barcode"] != second.json()["barcode"]
        assert first.json()["barcode"][19:] == "0000001234567000000000117"
        assert (await client.post(f"{bank.url}/v1/boletos", json=other, headers=a)).status_code == 403
        changed = dict(registration, amount="1400.00")
        assert (await client.post(f"{bank.url}/v1/boletos", json=changed, headers=a)).status_code == 409
        paid = await client.post(
            f"{bank.url}/sandbox/boletos/1234567/1/simulate-payment", json={"on": "2026-11-20"}
        )
        # 1500.00 + 30.00 + 1500 × 1 % × 10/30 = 5.00 -> 1535.00
        assert paid.json()["notification"]["amount_cents"] == 153500
        assert paid.json()["boleto"]["status"] == "paid"
