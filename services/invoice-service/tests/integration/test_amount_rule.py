"""The amount rule end to end: tenant holidays, the frozen effective due date and
rates on invoice.issued, the amount-due endpoint, CC art. 354 with payment
dates, settlement by the figure of the day, through real Kafka and PostgreSQL.
2 % fine and 1 % a month unless said otherwise; figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def received(invoice: dict[str, Any], amount: int, paid_at: datetime) -> PaymentReceivedV1:
    return PaymentReceivedV1(
        debtor_id=UUID(invoice["debtor_id"]),
        payment_id=uuid4(),
        invoice_id=UUID(invoice["id"]),
        method="pix",
        amount_cents=amount,
        gateway_reference=uuid4().hex,
        paid_at=paid_at,
    )


async def amount_due(service: Service, invoice_id: str, on: str) -> dict[str, Any]:
    response = await service.get(f"/v1/invoices/{invoice_id}/amount-due", on=on)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_tenant_holidays_move_the_due_date_frozen_at_issue(service: Service) -> None:
    for bad in (["2026-02-30"], ["07/12/2026"], [20261207], ["2026-12-7"], "2026-12-07"):
        response = await service.put("/v1/settings", {"holidays": bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    put = await service.put("/v1/settings", {"holidays": ["2026-12-07", "2026-12-07", "2026-11-30"]})
    assert put.status_code == 200, put.text
    assert put.json()["holidays"] == ["2026-11-30", "2026-12-07"]  # sorted, once each
    assert (await service.get("/v1/settings")).json()["holidays"] == ["2026-11-30", "2026-12-07"]

    debtor = await service.debtor()
    # Mon 07/12/2026 is the tenant's holiday: payable without charges on Tue 08/12.
    invoice = await service.invoice(debtor["id"], due_date="2026-12-07")
    assert invoice["effective_due_date"] == "2026-12-08"
    await wait_for(lambda: service.of_type("invoice.issued", invoice["id"]), timeout=30)
    [issued] = service.of_type("invoice.issued", invoice["id"])
    assert issued.data["effective_due_date"] == "2026-12-08"
    assert (issued.data["fine_bps"], issued.data["monthly_interest_bps"]) == (200, 100)

    # Removing the holiday later does not rewrite the issued invoice's due date.
    assert (await service.put("/v1/settings", {"holidays": []})).status_code == 200
    assert (await amount_due(service, invoice["id"], "2026-12-08"))["due_cents"] == 100_000
    # Wed 09/12: late 2 days from 07/12. Fine 20,00; 1.000,00 x 1 % x 2/30 = 0,666.. -> 0,67.
    late = await amount_due(service, invoice["id"], "2026-12-09")
    assert (late["effective_due_date"], late["days_late"], late["fine_cents"], late["interest_cents"]) == (
        "2026-12-08",
        2,
        2_000,
        67,
    )
    assert late["due_cents"] == 102_067
    # An invoice issued now, with no tenant holiday: due on the 7th, late on the 8th.
    other = await service.invoice(debtor["id"], due_date="2026-12-07")
    assert other["effective_due_date"] == "2026-12-07"


async def test_amount_due_endpoint_refuses_bad_dates_and_other_tenants(service: Service) -> None:
    debtor = await service.debtor()
    invoice = await service.invoice(debtor["id"], due_date="2026-03-20")
    path = f"/v1/invoices/{invoice['id']}/amount-due"
    for bad in ("2026-13-01", "20260320", "tomorrow", "2026-3-20", ""):
        response = await service.get(path, on=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    # Issued on 10/03 (the test clock): an earlier day is refused, the issue day is fine.
    early = await service.get(path, on="2026-03-09")
    assert early.status_code == 422 and "issued" in early.json()["detail"]
    assert (await amount_due(service, invoice["id"], "2026-03-10"))["due_cents"] == 100_000
    # Default: today in the tenant's zone.
    today = (await service.get(path)).json()
    assert (today["as_of"], today["due_cents"]) == ("2026-03-10", 100_000)
    assert (await service.get(path, tenant=uuid4(), on="2026-03-20")).status_code == 404
    assert (await service.get(f"/v1/invoices/{uuid4()}/amount-due")).status_code == 404
    schema = (await service.get("/openapi.json")).json()
    documented = schema["paths"]["/v1/invoices/{invoice_id}/amount-due"]["get"]
    assert [p["name"] for p in documented["parameters"] if p["in"] == "query"] == ["on"]


async def test_payment_before_the_due_date_lowers_the_base_of_fine_and_interest(service: Service) -> None:
    debtor = await service.debtor()
    # The issue's case: 1.500,00 due Tue 10/11/2026, 1.000,00 paid on 05/11.
    invoice = await service.invoice(debtor["id"], amount_cents=150_000, due_date="2026-11-10")
    payment = received(invoice, 100_000, datetime(2026, 11, 5, 15, 0, tzinfo=UTC))
    await service.produce(payment)
    await wait_for(lambda: service.of_type("invoice.balance-changed", invoice["id"]), timeout=30)
    [balance] = service.of_type("invoice.balance-changed", invoice["id"])
    assert balance.data["payments"] == [
        {"payment_id": str(payment.payment_id), "paid_on": "2026-11-05", "amount_cents": 100_000}
    ]
    assert (balance.data["amount_paid_cents"], balance.data["status"]) == (100_000, "partially_paid")
    # Asked 20/11: open 500,00 + fine 2 % x 500,00 = 10,00 + interest 500,00 x 1 % x 10/30 = 1,67.
    body = await amount_due(service, invoice["id"], "2026-11-20")
    parts = ("principal_cents", "open_principal_cents", "fine_cents", "interest_cents", "paid_cents")
    assert tuple(body[k] for k in parts) == (150_000, 50_000, 1_000, 167, 100_000)
    assert (body["due_cents"], body["days_late"]) == (51_167, 10)
    # Asked before the payment was made, it is not counted.
    assert (await amount_due(service, invoice["id"], "2026-11-04"))["due_cents"] == 150_000

    # GET /v1/invoices/{id} gives the same breakdown for today.
    service.clock.set(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    state = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (state["amount_due_cents"], state["fine_cents"], state["interest_cents"]) == (51_167, 1_000, 167)
    assert state["breakdown"]["due_cents"] == 51_167 and state["breakdown"]["as_of"] == "2026-11-20"
    # The overdue flag prices it by the rule too: 511,67 on 20/11 (the scanner's first pass then).
    await wait_for(lambda: service.of_type("invoice.overdue", invoice["id"]), timeout=30)
    [overdue] = service.of_type("invoice.overdue", invoice["id"])
    assert overdue.data["amount_due_cents"] == 51_167 and overdue.data["overdue_since"] == "2026-11-11"


async def test_paying_the_figure_of_the_day_settles_it(service: Service) -> None:
    debtor = await service.debtor()
    # Due Sun 15/11/2026 (also a national holiday): payable without charges on Mon 16/11.
    invoice = await service.invoice(debtor["id"], amount_cents=150_000, due_date="2026-11-15")
    assert invoice["effective_due_date"] == "2026-11-16"
    # The payment event arrives on Tue 17/11, after the invoice was flagged overdue.
    service.clock.set(datetime(2026, 11, 17, 15, 0, tzinfo=UTC))
    await wait_for(lambda: service.of_type("invoice.overdue", invoice["id"]), timeout=30)
    [overdue] = service.of_type("invoice.overdue", invoice["id"])
    # Overdue from 17/11: 2 days from 15/11. 1.500,00 + 30,00 + 1.500,00 x 1 % x 2/30 (1,00) = 1.531,00.
    assert overdue.data["overdue_since"] == "2026-11-17" and overdue.data["amount_due_cents"] == 153_100

    # But the debtor paid 1.500,00 on Mon 16/11 (12:00 in São Paulo): exactly what was due that day.
    await service.produce(received(invoice, 150_000, datetime(2026, 11, 16, 15, 0, tzinfo=UTC)))

    async def paid() -> bool:
        return bool((await service.get(f"/v1/invoices/{invoice['id']}")).json()["status"] == "paid")

    await wait_for(paid, timeout=30)
    state = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (state["settled_on"], state["amount_due_cents"], state["fine_cents"]) == ("2026-11-16", 0, 0)
    await service.settled()
    [change] = service.of_type("invoice.status-changed", invoice["id"])
    assert (change.data["previous_status"], change.data["status"]) == ("overdue", "paid")
    assert change.data["amount_due_cents"] == 0


async def test_late_partial_payments_go_to_interest_first(service: Service) -> None:
    debtor = await service.debtor()
    # 1.000,00 due Tue 01/12/2026; 500,00 paid 11/12 (10 days late).
    invoice = await service.invoice(debtor["id"], amount_cents=100_000, due_date="2026-12-01")
    await service.produce(received(invoice, 50_000, datetime(2026, 12, 11, 15, 0, tzinfo=UTC)))
    await wait_for(lambda: service.of_type("invoice.balance-changed", invoice["id"]), timeout=30)
    # To 11/12: interest 1.000,00 x 1 % x 10/30 = 3,33; fine 20,00. The 500,00 pay those and
    # 476,67 principal: 523,33 open. To 21/12: 523,33 x 1 % x 10/30 = 1,744.. -> 1,74. Due 525,07.
    body = await amount_due(service, invoice["id"], "2026-12-21")
    assert (body["open_principal_cents"], body["open_fine_cents"], body["open_interest_cents"]) == (
        52_333,
        0,
        174,
    )
    assert (body["interest_cents"], body["due_cents"]) == (333 + 174, 52_507)
