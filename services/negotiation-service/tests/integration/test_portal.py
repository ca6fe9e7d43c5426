"""The debtor portal against the real service: links, session cookie, pages,
pay page with Pix and boleto, payment noticed, negotiation, isolation, rate
limit, and who is collecting on every page (CDC art. 42-A)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from regua_contracts.topics import INVOICE_EVENTS, namespaced
from regua_devtools.testing import collect_events, wait_for
from regua_platform.auth import mint_token

from .conftest import SECRET, Service
from .portal_helpers import (
    CREDITOR,
    DIGITABLE,
    charges,
    creditor_shown,
    debtor_updated,
    enter,
    field,
    link,
    set_creditor,
)

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


async def test_bad_and_expired_links_show_no_data(service: Service) -> None:
    r = await service.client.get("/portal/l/not-a-valid-token")
    assert r.status_code == 401 and "Link inválido" in r.text and 'lang="pt-BR"' in r.text
    assert "set-cookie" not in r.headers
    expired = link(service, uuid4(), uuid4(), ttl_days=-1)
    r = await service.client.get(expired)
    assert r.status_code == 410 and "expirou" in r.text and "R$" not in r.text
    r = await service.client.get("/portal")
    assert r.status_code == 401 and "sessão terminou" in r.text
    # A forged cookie is no session either.
    async with httpx.AsyncClient(
        base_url=str(service.client.base_url), cookies={"regua_portal": "AAAA" * 20}
    ) as forged:
        assert (await forged.get("/portal")).status_code == 401


async def test_portal_lists_debts_and_pays_with_pix(service: Service) -> None:
    debtor, stranger = uuid4(), uuid4()
    a = await service.issued(debtor, 100_000, date(2026, 2, 8))
    b = await service.issued(debtor, 23_456, date(2026, 3, 20))
    await service.overdue(debtor, a, date(2026, 2, 8), 123_456)
    theirs = await service.issued(stranger, 50_000, date(2026, 2, 8))
    await debtor_updated(service, debtor, "Maria Aparecida Souza")
    pix = await charges(service, debtor, a, 123_456, date(2026, 2, 8))
    await service.known(debtor, [a, b])
    await service.known(stranger, [theirs])

    r = await enter(service, debtor, a, introduce=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    set = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    for name in ("regua_portal", "regua_portal_device"):  # the session, and this device remembered
        cookie = set[name]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/portal" in cookie

    async def home_ready() -> bool:
        r = await service.client.get("/portal")
        return r.status_code == 200 and "Olá, Maria." in r.text and "R$ 1.234,56" in r.text

    await wait_for(home_ready)
    home = (await service.client.get("/portal")).text
    assert "Suas pendências" in home
    assert "R$ 1.000,00" in home and "08/02/2026" in home  # original amount, due date
    assert "R$ 234,56" in home and "20/03/2026" in home
    assert "Vencida" in home and "Souza" not in home

    async def pay_ready() -> bool:
        return DIGITABLE in (await service.client.get(f"/portal/faturas/{a}")).text

    await wait_for(pay_ready)
    pay = (await service.client.get(f"/portal/faturas/{a}")).text
    assert "Copiar código Pix" in pay and pix in pay and 'readonly value="' in pay
    assert re.search(r'<img class="qr" src="data:image/svg\+xml[^"]+" alt="QR Code Pix', pay)
    assert f"/portal/api/faturas/{a}/status" in pay
    status = await service.client.get(f"/portal/api/faturas/{a}/status")
    assert status.json() == {"status": "overdue", "paid": False}

    # Another debtor's invoice, another tenant's link, junk ids: 404 pages with no data.
    r = await service.client.get(f"/portal/faturas/{theirs}")
    assert r.status_code == 404 and "R$" not in r.text
    assert (await service.client.get(f"/portal/api/faturas/{theirs}/status")).status_code == 404
    assert (await service.client.get("/portal/faturas/zzz")).status_code == 404
    async with httpx.AsyncClient(base_url=str(service.client.base_url)) as other:
        # Another tenant's link with this debtor's id: the challenge, which no answer passes.
        foreign = link(service, debtor, a, tenant=uuid4())
        page = await other.get(foreign)
        assert page.status_code == 200 and "Confirme que é você" in page.text and "R$" not in page.text
        r = await other.post(foreign, data={"csrf": field(page.text, "csrf"), "digitos": "529"})
        assert r.status_code == 503 and "set-cookie" not in r.headers
        assert (await other.get(f"/portal/faturas/{a}")).status_code == 401

    await service.status_changed(debtor, a, "paid", previous="overdue", paid=123_456)

    async def paid() -> bool:
        return bool((await service.client.get(f"/portal/api/faturas/{a}/status")).json()["paid"])

    await wait_for(paid)
    assert "Pagamento recebido! Obrigado." in (await service.client.get(f"/portal/faturas/{a}")).text


async def test_negotiate_accept_three_installments(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor, 60_000, date(2026, 2, 8))
    b = await service.issued(debtor, 40_000, date(2026, 3, 1))
    await service.known(debtor, [a, b])
    await enter(service, debtor, a)
    page = await service.client.get("/portal/negociar")
    assert page.status_code == 200 and str(a) in page.text and str(b) in page.text
    r = await service.client.get("/portal/negociar/ofertas", params={"fatura": [str(a), str(b)]})
    assert r.status_code == 200 and "3 parcelas mensais de" in r.text and "13/03/2026" in r.text
    offer = re.search(r'name="oferta" value="([0-9a-f]+)" id="oferta-installments_3"', r.text)
    assert offer
    csrf = field(r.text, "csrf")
    form = {"csrf": csrf, "fatura": [str(a), str(b)], "oferta": offer.group(1), "confirmo": "sim"}

    forged = await service.client.post("/portal/negociar/aceitar", data={**form, "csrf": "x" * 40})
    assert forged.status_code == 403
    # Hostile forms are refused like a forged one, never a 500.
    accented = await service.client.post("/portal/negociar/aceitar", data={**form, "csrf": "ção" * 14})
    assert accented.status_code == 403
    crowded = await service.client.post(
        "/portal/negociar/aceitar", data={**form, **{f"f{i}": "x" for i in range(300)}}
    )
    assert crowded.status_code == 403
    unconfirmed = await service.client.post("/portal/negociar/aceitar", data={**form, "confirmo": ""})
    assert unconfirmed.status_code == 400

    r = await service.client.post("/portal/negociar/aceitar", data=form)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/portal/acordos/")
    agreement_id = location.rsplit("/", 1)[1]
    await wait_for(lambda: service.of_type("agreement.created", agreement_id))
    page = await service.client.get(location)
    assert page.status_code == 200 and "Parcela 3 de 3" in page.text and "A vencer" in page.text
    # Accepting again: those invoices are taken.
    again = await service.client.post("/portal/negociar/aceitar", data=form)
    assert again.status_code == 409

    # The installment invoices and their charges arrive: their codes appear.
    body = (await service.get(f"/v1/agreements/{agreement_id}")).json()
    first = body["installments"][0]
    inst = UUID(first["installment_id"])
    await service.issued(debtor, first["amount_cents"], date(2026, 3, 13), inst, UUID(agreement_id))
    pix = await charges(service, debtor, inst, first["amount_cents"], date(2026, 3, 13))

    async def codes_shown() -> bool:
        text = (await service.client.get(location)).text
        return pix in text and DIGITABLE in text and f"/portal/faturas/{inst}" in text

    await wait_for(codes_shown)
    # Another debtor cannot see the agreement.
    async with httpx.AsyncClient(base_url=str(service.client.base_url)) as other:
        await enter(service, uuid4(), a, client=other)
        assert (await other.get(location)).status_code == 404


async def test_requests_are_rate_limited(service: Service) -> None:
    codes = [(await service.client.get("/portal/l/junk")).status_code for _ in range(70)]
    assert codes[0] == 401 and codes[-1] == 429
    r = await service.client.get("/portal/l/junk")
    assert "Muitas solicitações" in r.text and r.headers["retry-after"] == "60"


async def test_opt_out_of_a_channel_is_announced(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor)
    await debtor_updated(service, debtor, "João", {"email": True})
    await service.known(debtor, [a])
    topic = namespaced(INVOICE_EVENTS, service.kafka.topic_namespace)
    async with collect_events(service.kafka.bootstrap_servers, topic) as events:
        await enter(service, debtor, a, introduce=False)
        page = await service.client.get("/portal/preferencias")
        assert page.status_code == 200 and 'id="canal-whatsapp" checked' in page.text
        csrf = field(page.text, "csrf")
        assert (
            await service.client.post("/portal/preferencias", data={"canal": ["email"]})
        ).status_code == 403
        r = await service.client.post("/portal/preferencias", data={"csrf": csrf, "canal": ["email", "sms"]})
        assert r.status_code == 200 and "Preferências salvas" in r.text
        assert 'id="canal-whatsapp">' in r.text and 'id="canal-email" checked' in r.text

        def changed() -> list[dict[str, object]]:
            return [e.data for e in events if e.type == "br.regua.debtor.consent-changed.v1"]

        await wait_for(changed)
        assert changed() == [
            {
                "debtor_id": str(debtor),
                "channel": "whatsapp",
                "consent": False,
                "changed_at": changed()[0]["changed_at"],
            }
        ]
        # Saving the same choice again announces nothing new.
        await service.client.post("/portal/preferencias", data={"csrf": csrf, "canal": ["email", "sms"]})
        page = await service.client.get("/portal/preferencias")
        assert 'id="canal-whatsapp">' in page.text
    assert len(changed()) == 1


async def test_portal_settings_api(service: Service) -> None:
    r = await service.get("/v1/portal/settings")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    bad = await service.put("/v1/portal/settings", {**CREDITOR, "creditor_document": "11.222.333/0001-82"})
    assert bad.status_code == 422
    no_contact = {**CREDITOR, "contact_email": None, "contact_phone": None}
    assert (await service.put("/v1/portal/settings", no_contact)).status_code == 422
    await set_creditor(service)
    got = (await service.get("/v1/portal/settings")).json()
    assert got["creditor_document"] == "11222333000181" and got["creditor_name"] == "Escola Aurora Ltda"
    # Another tenant has none; a token without the admin scope may not read or change them.
    assert (await service.get("/v1/portal/settings", tenant=uuid4())).status_code == 404
    token = mint_token(
        secret=SECRET,
        tenant_id=service.tenant,
        scopes=["agreements"],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert (await service.client.get("/v1/portal/settings", headers=headers)).status_code == 403
    assert (
        await service.client.put("/v1/portal/settings", json=CREDITOR, headers=headers)
    ).status_code == 403


async def test_every_page_says_who_is_collecting(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor, 100_000, date(2026, 3, 9), fine_bps=200, monthly_interest_bps=100)
    await debtor_updated(service, debtor, "Maria Souza")
    await service.known(debtor, [a])
    # A tenant that has not set its portal settings: a neutral notice, never another creditor.
    await enter(service, debtor, a, introduce=False)
    home = (await service.client.get("/portal")).text
    assert "ainda não foram informados" in home and "Escola Aurora" not in home

    await set_creditor(service)
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": [str(a)], "kind": "cash"}
    )
    agreement_id = r.json()["agreement_id"]
    pages = [
        "/portal",
        f"/portal/faturas/{a}",
        "/portal/negociar",
        f"/portal/negociar/ofertas?fatura={a}",
        "/portal/negociar/ofertas",  # nothing chosen (400)
        f"/portal/acordos/{agreement_id}",
        "/portal/preferencias",
        f"/portal/faturas/{uuid4()}",  # not found (404)
    ]
    for path in pages:
        r = await service.client.get(path)
        assert creditor_shown(r.text), (path, r.status_code)
    refused = await service.client.post("/portal/preferencias", data={"canal": ["email"]})
    assert refused.status_code == 403 and creditor_shown(refused.text)
    # Without a session no tenant is known: no data, and a neutral line instead.
    async with httpx.AsyncClient(base_url=str(service.client.base_url)) as anonymous:
        r = await anonymous.get("/portal")
        assert r.status_code == 401 and 'id="credor"' in r.text and "Escola Aurora" not in r.text
