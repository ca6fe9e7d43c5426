"""Against real PostgreSQL and Kafka: the amount a page shows is computed for the
day it is seen from the projected inputs (after invoice.balance-changed), offers
state what CDC art. 52 asks, prepaying publishes agreement.prepaid and the
payoff completes (or breaks) the agreement, and offer rules with a segment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from regua_br.brcode import build_brcode
from regua_devtools.testing import wait_for

from .conftest import Service
from .portal_helpers import charge_removed, charges, debtor_updated, enter, field, set_creditor

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

RATES = {"fine_bps": 200, "monthly_interest_bps": 100}


def ids(*values: UUID) -> list[str]:
    return [str(v) for v in values]


async def test_the_portal_prices_the_day_it_is_seen(service: Service) -> None:
    debtor = uuid4()
    # R$ 1.500,00 due Mon 02/03/2026, 2 % fine, 1 % a.m.; R$ 1.000,00 paid on 25/02 (before the due date).
    invoice = await service.issued(debtor, 150_000, date(2026, 3, 2), **RATES)
    await service.balance_changed(debtor, invoice, [(date(2026, 2, 25), 100_000)], "partially_paid")
    await service.status_changed(debtor, invoice, "partially_paid", paid=100_000, due=50_000)
    await set_creditor(service)
    # The cobv's dynamic code is shown; a newer static code for R$ 1.500,00 never is.
    dynamic = await charges(service, debtor, invoice, 150_000, date(2026, 3, 2))
    stale = build_brcode(
        pix_key="financeiro@escola-aurora.com.br",
        merchant_name="Escola Aurora",
        merchant_city="Sao Paulo",
        amount_cents=150_000,
        txid="REGUAANTIGO1",
    )
    await charges(service, debtor, invoice, 150_000, date(2026, 3, 2), pix=stale)
    await service.known(debtor, [invoice])
    await enter(service, debtor, invoice)

    # Tue 10/03, 8 days late: 500,00 open (the fine falls on it only) + 2 % = 10,00
    # + 500 x 1 % x 8/30 = 1,33 -> R$ 511,33.
    async def priced(text: str) -> bool:
        return text in (await service.client.get(f"/portal/faturas/{invoice}")).text

    await wait_for(lambda: priced("Pagar R$ 511,33"))
    page = (await service.client.get(f"/portal/faturas/{invoice}")).text
    assert dynamic in page and stale not in page and 'id="pix-amount">R$ 511,33' in page
    assert "R$ 1.000,00" in page and "R$ 10,00" in page and "R$ 1,33" in page  # paid, fine, interest
    home = (await service.client.get("/portal")).text
    assert "Para pagar hoje (10/03/2026)" in home and "R$ 511,33" in home

    # Ten days later the same page says more: 500 x 1 % x 18/30 = 3,00 -> R$ 513,00.
    service.clock.set(datetime(2026, 3, 20, 15, 0, tzinfo=UTC))
    await enter(service, debtor, invoice, introduce=False)  # the session of 10/03 has ended
    assert await priced("Pagar R$ 513,00")
    r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(invoice)})
    base = r.json()["offers"][0]["base"]
    assert base == {
        "principal_cents": 50_000,
        "fine_cents": 1_000,
        "interest_cents": 300,
        "total_cents": 51_300,
    }

    # The charge is removed (a paid, revised or renegotiated invoice's cobv): its code is gone.
    await charge_removed(service, debtor, invoice, "pix")
    await wait_for(lambda: _absent(service, invoice, dynamic))


async def _absent(service: Service, invoice: UUID, code: str) -> bool:
    return code not in (await service.client.get(f"/portal/faturas/{invoice}")).text


async def _issue_example(service: Service, debtor: UUID) -> UUID:
    """The issue's debt on Tue 10/03/2026: R$ 1.500,00 due Mon 09/03, one day late:
    + 2 % fine 30,00 + 1500 x 1 % x 1/30 = 0,50 = R$ 1.530,50."""
    invoice = await service.issued(debtor, 150_000, date(2026, 3, 9), **RATES)
    await service.known(debtor, [invoice])
    assert (
        await service.post("/v1/offer-rules", {"min_installments": 3, "max_installments": 3})
    ).status_code == 200
    return invoice


async def test_offers_state_what_cdc_52_asks(service: Service) -> None:
    debtor = uuid4()
    invoice = await _issue_example(service, debtor)
    r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(invoice)})
    cash, three = r.json()["offers"]
    base = {"principal_cents": 150_000, "fine_cents": 3_000, "interest_cents": 50, "total_cents": 153_050}
    assert cash["base"] == three["base"] == base
    # Cash: 10 % off 1.530,50 = 153,05 -> 1.377,45 on Fri 13/03 (today + 3), no interest.
    assert (cash["discount_cents"], cash["total_cents"], cash["interest_cents"]) == (15_305, 137_745, 0)
    assert cash["installments"] == [{"number": 1, "due_date": "2026-03-13", "amount_cents": 137_745}]
    # 3 monthly on Fri 13/03, Mon 13/04, Wed 13/05 (3, 34, 64 days):
    # 1530.50 / (1.0199**(-3/30) + 1.0199**(-34/30) + 1.0199**(-64/30)) = 1530.50 / 2.934782 = 521.5038
    # -> 521,50; total round(521.5038 x 3 = 1564.5115) = 1.564,51, the last 521,51; interest 34,01.
    assert three["installment_count"] == 3 and three["periodicity"] == "monthly"
    assert [(i["due_date"], i["amount_cents"]) for i in three["installments"]] == [
        ("2026-03-13", 52_150),
        ("2026-04-13", 52_150),
        ("2026-05-13", 52_151),
    ]
    assert (three["total_cents"], three["interest_cents"], three["discount_cents"]) == (156_451, 3_401, 0)
    # The rate charged by this schedule rounds to the 1,99 % quoted; its annual equivalent
    # (1.019899)**12 - 1 = 26,674 % -> 26,67 % (1,99 % exactly would be 26,675 %: centavo rounding).
    assert (three["monthly_rate"], three["effective_monthly_rate"]) == ("0.0199", "0.0199")
    assert three["effective_annual_rate"] == "0.2667"
    assert three["start_date"] == "2026-03-10"
    assert three["terms"] == {
        "tolerance_days": 5,
        "late_fine_bps": 200,
        "late_monthly_interest_bps": 100,
        "on_break": "originals_restored_with_charges_less_paid",
        "early_payment": "interest_reduced_proportionally",
    }

    # The portal says the same in pt-BR.
    await enter(service, debtor, invoice)
    page = (await service.client.get("/portal/negociar/ofertas", params={"fatura": [str(invoice)]})).text
    offer = page[page.index('id="condicoes-installments_3"') :]
    for text in (
        "R$ 1.500,00",  # principal
        "R$ 30,00",  # fine
        "R$ 0,50",  # interest
        "R$ 1.530,50",
        "3 parcelas mensais",
        "R$ 521,50 em 13/03/2026",
        "R$ 521,51 em 13/05/2026",
        "R$ 1.564,51",
        "R$ 34,01",
        "1,99% ao mês",
        "1,99% ao mês, 26,67% ao ano",
    ):
        assert text in offer, text
    assert "Desconto à vista</dt><dd>R$ 153,05" in page
    terms = page[page.index('id="condicoes-gerais"') :]
    assert "multa de 2,00% e juros de 1,00% ao mês" in terms
    assert "mais de 5 dias" in terms and "art. 52, § 2º" in terms


async def test_prepay_publishes_agreement_prepaid_and_the_payoff_completes(service: Service) -> None:
    debtor = uuid4()
    invoice = await _issue_example(service, debtor)
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(invoice), "kind": "installments_3"}
    )
    assert r.status_code == 201, r.text
    agreement = r.json()
    agreement_id = agreement["agreement_id"]
    first, second, third = agreement["installments"]
    await service.issued(debtor, 52_150, date(2026, 3, 13), UUID(first["installment_id"]), UUID(agreement_id))
    await service.status_changed(debtor, UUID(first["installment_id"]), "paid", paid=52_150)

    async def first_paid() -> bool:
        got = (await service.get(f"/v1/agreements/{agreement_id}")).json()
        return got["installments"][0]["status"] == "paid"

    await wait_for(first_paid)
    # On Fri 13/03: 521,50 due 13/04 (31 days) and 521,51 due 13/05 (61 days), each discounted at 1,99 % a.m.:
    # 521.50 / 1.0199**(31/30) + 521.51 / 1.0199**(61/30) = 510.9889 + 501.0282 = 1.012,02;
    # interest waived 1.043,01 - 1.012,02 = 30,99. Due the same (business) day.
    service.clock.set(datetime(2026, 3, 13, 15, 0, tzinfo=UTC))
    quote = (await service.get(f"/v1/agreements/{agreement_id}/payoff")).json()
    assert (quote["amount_cents"], quote["interest_waived_cents"], quote["due_date"]) == (
        101_202,
        3_099,
        "2026-03-13",
    )
    assert quote["replaced_installment_ids"] == [second["installment_id"], third["installment_id"]]
    # Any other day: quoted, nothing stored (on 13/04 the 2nd is due: 521,50 + 521.51 / 1.0199**(30/30) = 1.032,83).
    later = (await service.get(f"/v1/agreements/{agreement_id}/payoff", on="2026-04-13")).json()
    assert later["amount_cents"] == 52_150 + 51_133

    r = await service.post(f"/v1/agreements/{agreement_id}:prepay", {})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["payoff"]["amount_cents"] == 101_202
    parts = body["agreement"]["installments"]
    assert [(p["number"], p["status"], p["payoff"]) for p in parts] == [
        (1, "paid", False),
        (2, "replaced", False),
        (3, "replaced", False),
        (4, "open", True),
    ]
    assert body["agreement"]["interest_waived_cents"] == 3_099
    payoff_id = parts[3]["installment_id"]
    await wait_for(lambda: service.of_type("agreement.prepaid", agreement_id))
    [prepaid] = service.of_type("agreement.prepaid", agreement_id)
    assert prepaid.data["replaced_installment_ids"] == [second["installment_id"], third["installment_id"]]
    assert prepaid.data["payoff"] == {
        "installment_id": payoff_id,
        "number": 4,
        "due_date": "2026-03-13",
        "amount_cents": 101_202,
    }
    assert prepaid.data["interest_waived_cents"] == 3_099

    # Nothing is left to prepay while the payoff is pending: a clear 422 problem.
    again = await service.post(f"/v1/agreements/{agreement_id}:prepay", {})
    assert again.status_code == 422 and again.headers["content-type"].startswith("application/problem+json")
    assert "payoff is already waiting" in again.json()["detail"]

    # invoice-service issues the payoff as an invoice; paid, it completes the agreement.
    await service.issued(debtor, 101_202, date(2026, 3, 13), UUID(payoff_id), UUID(agreement_id))
    await service.status_changed(debtor, UUID(payoff_id), "paid", paid=101_202)
    await wait_for(lambda: service.of_type("agreement.completed", agreement_id))
    [done] = service.of_type("agreement.completed", agreement_id)
    assert done.data["paid_cents"] == 52_150 + 101_202
    # Not active any more: 409.
    closed = await service.post(f"/v1/agreements/{agreement_id}:prepay", {})
    assert closed.status_code == 409
    assert (await service.post(f"/v1/agreements/{uuid4()}:prepay", {})).status_code == 404


async def test_an_unpaid_payoff_breaks_the_agreement(service: Service) -> None:
    debtor = uuid4()
    invoice = await _issue_example(service, debtor)
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(invoice), "kind": "installments_3"}
    )
    agreement_id = r.json()["agreement_id"]
    # Prepaid on the day of the agreement, Tue 10/03: the payoff is due that day.
    r = await service.post(f"/v1/agreements/{agreement_id}:prepay", {})
    assert r.status_code == 200 and r.json()["payoff"]["due_date"] == "2026-03-10"
    # 5 days of tolerance: on 15/03 still active, on 16/03 broken by the payoff (installment 4).
    service.clock.set(datetime(2026, 3, 15, 15, 0, tzinfo=UTC))
    await service.settled()
    assert (await service.get(f"/v1/agreements/{agreement_id}")).json()["status"] == "active"
    service.clock.advance(timedelta(days=1))
    await wait_for(lambda: service.of_type("agreement.broken", agreement_id))
    [broken] = service.of_type("agreement.broken", agreement_id)
    assert (
        broken.data["reason"] == "installment 4 overdue beyond tolerance" and broken.data["paid_cents"] == 0
    )


async def test_prepay_from_the_portal(service: Service) -> None:
    debtor = uuid4()
    invoice = await _issue_example(service, debtor)
    await set_creditor(service)
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(invoice), "kind": "installments_3"}
    )
    agreement_id = r.json()["agreement_id"]
    await enter(service, debtor, invoice)
    page = (await service.client.get(f"/portal/acordos/{agreement_id}")).text
    # On 10/03, nothing paid: 521.50 x 1.0199**(-3/30) + 521.50 x 1.0199**(-34/30) + 521.51 x 1.0199**(-64/30)
    # = 520.4734 + 509.9830 + 500.0417 = 1.530,50: the debt back, all 34,01 of interest waived.
    assert "Quitar o acordo hoje" in page and "Quitar por R$ 1.530,50" in page
    assert "Economia de juros</dt><dd>R$ 34,01" in page
    csrf = field(page, "csrf")
    unconfirmed = await service.client.post(f"/portal/acordos/{agreement_id}/quitar", data={"csrf": csrf})
    assert unconfirmed.status_code == 400
    r = await service.client.post(
        f"/portal/acordos/{agreement_id}/quitar", data={"csrf": csrf, "confirmo": "sim"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/portal/acordos/{agreement_id}"
    await wait_for(lambda: service.of_type("agreement.prepaid", agreement_id))
    page = (await service.client.get(f"/portal/acordos/{agreement_id}")).text
    assert "Quitação antecipada" in page and page.count("Substituída pela quitação") == 3
    assert "A quitação antecipada já foi pedida" in page
    again = await service.client.post(
        f"/portal/acordos/{agreement_id}/quitar", data={"csrf": csrf, "confirmo": "sim"}
    )
    assert again.status_code == 422 and "Não foi possível quitar" in again.text


async def test_a_rule_with_a_segment(service: Service) -> None:
    retail, wholesale = uuid4(), uuid4()
    rules = {"eligibility": {"segment": "varejo"}}
    assert (await service.post("/v1/offer-rules", rules)).status_code == 200
    mine = await service.issued(retail, 100_000, date(2026, 3, 9), **RATES)
    theirs = await service.issued(wholesale, 100_000, date(2026, 3, 9), **RATES)
    await debtor_updated(service, retail, "Ana Lima", segment="varejo")
    await debtor_updated(service, wholesale, "Bruno Costa", segment="atacado")

    async def offered(debtor: UUID, invoice: UUID) -> int:
        r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(invoice)})
        return len(r.json()["offers"]) if r.status_code == 200 else -1

    async def segments_known() -> bool:
        return await offered(retail, mine) > 0

    await wait_for(segments_known)
    await service.known(wholesale, [theirs])
    await wait_for(lambda: _portal_name(service, wholesale, theirs))
    assert await offered(wholesale, theirs) == 0
    # The portal passes the debtor's segment too.
    page = (await service.client.get("/portal/negociar/ofertas", params={"fatura": [str(theirs)]})).text
    assert "não há propostas" in page
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(wholesale), "invoice_ids": ids(theirs), "kind": "cash"}
    )
    assert r.status_code == 422
    await enter(service, retail, mine, introduce=False)
    page = (await service.client.get("/portal/negociar/ofertas", params={"fatura": [str(mine)]})).text
    assert re.search(r'id="oferta-installments_2"', page)


async def _portal_name(service: Service, debtor: UUID, invoice: UUID) -> bool:
    """The debtor event arrived (the portal greets them): their segment is known."""
    await enter(service, debtor, invoice, introduce=False)
    return "Olá, Bruno." in (await service.client.get("/portal")).text
