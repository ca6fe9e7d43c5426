"""The agreement flow against real PostgreSQL and Kafka: project invoice events,
simulate, accept (agreement.created), race, complete, break."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def ids(*values: UUID) -> list[str]:
    return [str(v) for v in values]


async def test_default_rules_and_custom_rules(service: Service) -> None:
    r = await service.get("/v1/offer-rules")
    assert r.status_code == 200
    body = r.json()
    assert body["default"] is True
    assert body["cash_discount_bps"] == 1_000
    assert body["discount_tiers"] == [{"min_days_overdue": 91, "max_discount_bps": 1_500}]
    assert (body["min_installments"], body["max_installments"], body["monthly_interest_bps"]) == (2, 6, 199)
    assert body["min_installment_cents"] == 5_000

    rules = {"cash_discount_bps": 500, "max_installments": 3, "monthly_interest_bps": 0, "tolerance_days": 2}
    assert (await service.post("/v1/offer-rules", rules)).status_code == 200
    body = (await service.get("/v1/offer-rules")).json()
    assert body["default"] is False and body["cash_discount_bps"] == 500 and body["tolerance_days"] == 2
    # Another tenant still has the defaults.
    assert (await service.get("/v1/offer-rules", tenant=uuid4())).json()["default"] is True
    bad = await service.post("/v1/offer-rules", {"min_installments": 5, "max_installments": 3})
    assert bad.status_code == 422


async def test_simulate_accept_publishes_agreement_created(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor, 60_000, date(2026, 2, 8))
    b = await service.issued(debtor, 40_000, date(2026, 3, 1))
    await service.overdue(debtor, a, date(2026, 2, 8), 62_500)
    await service.known(debtor, [a, b])
    await wait_for(
        lambda: _original(service, debtor, [a, b], 102_500),
    )
    r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(a, b)})
    offers = r.json()["offers"]
    assert [o["kind"] for o in offers] == ["cash", *(f"installments_{n}" for n in range(2, 7))]
    three = next(o for o in offers if o["kind"] == "installments_3")
    assert sum(i["amount_cents"] for i in three["installments"]) == three["total_cents"]
    assert three["monthly_rate"] == "0.0199"
    assert [i["due_date"] for i in three["installments"]] == ["2026-03-13", "2026-04-13", "2026-05-13"]

    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(a, b), "offer_id": three["offer_id"]}
    )
    assert r.status_code == 201, r.text
    agreement = r.json()
    assert agreement["status"] == "active" and agreement["total_cents"] == three["total_cents"]
    assert [i["status"] for i in agreement["installments"]] == ["open"] * 3

    await wait_for(lambda: service.of_type("agreement.created", agreement["agreement_id"]))
    created = service.of_type("agreement.created", agreement["agreement_id"])
    assert len(created) == 1
    data = created[0].data
    assert data["original_amount_cents"] == 102_500
    assert sum(i["amount_cents"] for i in data["installments"]) == data["total_cents"] == three["total_cents"]
    assert [i["installment_id"] for i in data["installments"]] == [
        i["installment_id"] for i in agreement["installments"]
    ]

    # An installment invoice is not renegotiated on its own.
    first = UUID(agreement["installments"][0]["installment_id"])
    await service.issued(debtor, 10_000, date(2026, 3, 13), first, UUID(agreement["agreement_id"]))

    async def installment_refused() -> bool:
        r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(first)})
        return r.status_code == 409

    await wait_for(installment_refused)
    # The invoices are taken now; reading and listing work.
    again = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(a), "kind": "cash"}
    )
    assert again.status_code == 409
    assert (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json() == agreement
    assert (
        await service.get(f"/v1/agreements/{agreement['agreement_id']}", tenant=uuid4())
    ).status_code == 404
    page = (await service.get("/v1/agreements", debtor_id=str(debtor))).json()
    assert [x["agreement_id"] for x in page["items"]] == [agreement["agreement_id"]]


async def _original(service: Service, debtor: UUID, invoices: list[UUID], cents: int) -> bool:
    r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(*invoices)})
    return r.status_code == 200 and r.json()["offers"][0]["original_cents"] == cents


async def test_invalid_invoices_are_refused(service: Service) -> None:
    debtor, other = uuid4(), uuid4()
    mine = await service.issued(debtor)
    theirs = await service.issued(other)
    paid = await service.issued(debtor)
    await service.status_changed(debtor, paid, "paid", paid=100_000)
    await service.known(debtor, [mine])
    await service.known(other, [theirs])

    async def paid_seen() -> bool:
        r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(paid)})
        return r.status_code == 409

    await wait_for(paid_seen)
    r = await service.post(
        "/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(mine, theirs)}
    )
    # Another debtor's invoice, or another tenant's: not found (BOLA: nothing told of theirs).
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = await service.post(
        "/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(mine)}, tenant=uuid4()
    )
    assert r.status_code == 404
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(mine), "offer_id": "nope"}
    )
    assert r.status_code == 409
    r = await service.post("/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(mine)})
    assert r.status_code == 422


async def test_racing_acceptances_make_one_agreement(service: Service) -> None:
    debtor = uuid4()
    invoice = await service.issued(debtor)
    await service.known(debtor, [invoice])
    body = {"debtor_id": str(debtor), "invoice_ids": ids(invoice)}
    responses = await asyncio.gather(
        *(service.post("/v1/agreements", {**body, "kind": k}) for k in ["cash", "installments_2"] * 4)
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7, [r.text for r in responses]
    page = (await service.get("/v1/agreements", debtor_id=str(debtor))).json()
    assert len(page["items"]) == 1


async def test_all_installments_paid_completes(service: Service) -> None:
    debtor = uuid4()
    invoice = await service.issued(debtor, 30_000)
    await service.known(debtor, [invoice])
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(invoice), "kind": "installments_3"}
    )
    assert r.status_code == 201, r.text
    agreement = r.json()
    parts = agreement["installments"]
    for part in parts:  # invoice-service issues the installment invoices, then they get paid
        await service.issued(
            debtor,
            part["amount_cents"],
            date.fromisoformat(part["due_date"]),
            UUID(part["installment_id"]),
            UUID(agreement["agreement_id"]),
        )
    for part in parts[:2]:
        await service.status_changed(debtor, UUID(part["installment_id"]), "paid", paid=part["amount_cents"])

    async def two_paid() -> bool:
        got = (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json()
        return [i["status"] for i in got["installments"]] == ["paid", "paid", "open"]

    await wait_for(two_paid)
    assert not service.of_type("agreement.completed", agreement["agreement_id"])
    await service.status_changed(
        debtor, UUID(parts[2]["installment_id"]), "paid", paid=parts[2]["amount_cents"]
    )
    await wait_for(lambda: service.of_type("agreement.completed", agreement["agreement_id"]))
    got = (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json()
    assert got["status"] == "completed" and got["paid_cents"] == agreement["total_cents"]
    done = service.of_type("agreement.completed", agreement["agreement_id"])
    assert len(done) == 1 and done[0].data["paid_cents"] == agreement["total_cents"]


async def test_installment_overdue_beyond_tolerance_breaks_once(service: Service) -> None:
    debtor = uuid4()
    invoice = await service.issued(debtor, 30_000)
    await service.known(debtor, [invoice])
    r = await service.post(
        "/v1/agreements", {"debtor_id": str(debtor), "invoice_ids": ids(invoice), "kind": "installments_2"}
    )
    agreement = r.json()
    first = agreement["installments"][0]
    await service.status_changed(debtor, UUID(first["installment_id"]), "paid", paid=first["amount_cents"])
    second_due = date.fromisoformat(agreement["installments"][1]["due_date"])

    async def first_paid() -> bool:
        got = (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json()
        return got["installments"][0]["status"] == "paid"

    await wait_for(first_paid)
    # On due date + 5 days (tolerance) nothing happens; the day after it breaks.
    service.clock.set(
        service.clock.now().replace(year=second_due.year, month=second_due.month, day=second_due.day)
        + timedelta(days=5)
    )
    await service.settled()
    got = (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json()
    assert got["status"] == "active" and got["installments"][1]["status"] == "overdue"
    service.clock.advance(timedelta(days=1))
    await wait_for(lambda: service.of_type("agreement.broken", agreement["agreement_id"]))
    await service.settled()  # another breaker pass: still one event
    broken = service.of_type("agreement.broken", agreement["agreement_id"])
    assert len(broken) == 1
    assert broken[0].data["paid_cents"] == first["amount_cents"]
    assert broken[0].data["reason"] == "installment 2 overdue beyond tolerance"
    got = (await service.get(f"/v1/agreements/{agreement['agreement_id']}")).json()
    assert got["status"] == "broken"
    # The original invoice may be renegotiated again.
    r = await service.post("/v1/offers:simulate", {"debtor_id": str(debtor), "invoice_ids": ids(invoice)})
    assert r.status_code == 200
