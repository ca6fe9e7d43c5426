"""The overdue worker and payment events, through real Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from regua_contracts.payment.v1 import PaymentReceivedV1, PaymentReversedV1
from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_overdue_is_published_once_when_the_due_date_passes_in_the_tenant_zone(
    service: Service,
) -> None:
    debtor = await service.debtor()
    invoice = await service.invoice(debtor["id"], due_date="2026-03-10")
    # 23:00 of the due date in São Paulo (02:00 UTC the next day): not overdue yet.
    service.clock.set(datetime(2026, 3, 11, 2, 0, tzinfo=UTC))
    await service.scanned()
    assert (await service.get(f"/v1/invoices/{invoice['id']}")).json()["status"] == "open"

    service.clock.set(datetime(2026, 3, 11, 3, 30, tzinfo=UTC))  # 00:30 on the 11th, local
    await wait_for(lambda: service.of_type("invoice.overdue", invoice["id"]), timeout=30)
    await service.scanned()  # more scans
    await service.settled()
    [event] = service.of_type("invoice.overdue", invoice["id"])
    assert event.data["overdue_since"] == "2026-03-11" and event.data["due_date"] == "2026-03-10"
    assert event.data["amount_due_cents"] == 100_000 + 2_000 + 33

    body = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert body["status"] == "overdue" and body["overdue_since"] == "2026-03-11"
    assert (body["fine_cents"], body["interest_cents"], body["amount_due_cents"]) == (2_000, 33, 102_033)

    service.clock.set(datetime(2026, 4, 9, 15, 0, tzinfo=UTC))  # 30 days late
    await service.scanned()
    await service.settled()
    assert len(service.of_type("invoice.overdue", invoice["id"])) == 1
    body = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (body["days_overdue"], body["interest_cents"], body["amount_due_cents"]) == (30, 1_000, 103_000)


async def test_invoice_loaded_overdue_is_flagged_at_once_with_the_tenant_rates(service: Service) -> None:
    put = await service.client.put(
        "/v1/settings",
        json={"timezone": "America/Manaus", "late_fine_bps": 100, "monthly_interest_bps": 150},
        headers=service.auth(),
    )
    assert put.status_code == 200, put.text
    assert (await service.get("/v1/settings")).json() == {
        "timezone": "America/Manaus",
        "late_fine_bps": 100,
        "monthly_interest_bps": 150,
        "holidays": [],
    }
    for bad in ({"late_fine_bps": 201}, {"monthly_interest_bps": 1000}, {"timezone": "Mars/Olympus"}):
        response = await service.client.put("/v1/settings", json=bad, headers=service.auth())
        assert response.status_code == 422, bad
    assert (await service.get("/v1/settings", tenant=uuid4())).json()["timezone"] == "America/Sao_Paulo"

    debtor = await service.debtor()
    invoice = await service.invoice(debtor["id"], due_date="2026-02-28")  # 10 days before 2026-03-10
    # A Saturday: payable without charges on Monday 02/03, overdue from Tuesday 03/03; the delay
    # still counts from 28/02: 10 days. Fine 1 % x 1.000,00 = 10,00; 1.000,00 x 1,5 % x 10/30 = 5,00.
    assert invoice["effective_due_date"] == "2026-03-02"
    assert invoice["status"] == "overdue" and invoice["overdue_since"] == "2026-03-03"
    assert (invoice["late_fine_bps"], invoice["fine_cents"], invoice["interest_cents"]) == (100, 1_000, 500)
    await wait_for(lambda: service.of_type("invoice.overdue", invoice["id"]), timeout=30)
    await service.scanned()
    await service.settled()
    assert len(service.of_type("invoice.overdue", invoice["id"])) == 1
    kinds = [e.type for e in service.events if e.subject == invoice["id"]]
    assert kinds == ["br.regua.invoice.issued.v1", "br.regua.invoice.overdue.v1"]


def received(
    invoice: dict[str, Any], amount: int, paid_at: datetime, payment_id: UUID | None = None
) -> PaymentReceivedV1:
    return PaymentReceivedV1(
        debtor_id=UUID(invoice["debtor_id"]),
        payment_id=payment_id or uuid4(),
        invoice_id=UUID(invoice["id"]),
        method="pix",
        amount_cents=amount,
        gateway_reference=uuid4().hex,
        paid_at=paid_at,
    )


async def test_payments_accumulate_settle_overpay_and_reverse(service: Service) -> None:
    debtor = await service.debtor()
    invoice = await service.invoice(debtor["id"], due_date="2026-03-05")  # loaded 5 days late
    iid = invoice["id"]
    assert invoice["amount_due_cents"] == 100_000 + 2_000 + 167

    async def state() -> dict[str, Any]:
        return dict((await service.get(f"/v1/invoices/{iid}")).json())

    async def paid_is(cents: int) -> bool:
        return (await state())["amount_paid_cents"] == cents

    on_the_6th = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # 1 day late: due 102_033
    first = received(invoice, 40_000, on_the_6th)
    await service.produce(first)
    await wait_for(lambda: paid_is(40_000), timeout=30)
    await service.produce(first)  # redelivered by payments-service under a new event id
    # A payment for an unknown invoice and one for another tenant's invoice do not stop the consumer.
    await service.produce(received({**invoice, "id": str(uuid4())}, 5, on_the_6th))
    await service.produce(received(invoice, 5, on_the_6th), tenant=uuid4())
    second = received(invoice, 62_033, on_the_6th)
    await service.produce(second)
    await wait_for(lambda: paid_is(102_033), timeout=30)
    body = await state()
    assert body["status"] == "paid" and body["settled_on"] == "2026-03-06"
    assert (body["amount_due_cents"], body["overpaid_cents"], body["interest_cents"]) == (0, 0, 33)

    service.clock.set(datetime(2026, 4, 10, 15, 0, tzinfo=UTC))
    assert (await state())["amount_due_cents"] == 0  # interest stops once paid

    extra = received(invoice, 500, on_the_6th)
    await service.produce(extra)
    await wait_for(lambda: paid_is(102_533), timeout=30)
    assert (await state())["overpaid_cents"] == 500

    reversal = PaymentReversedV1(
        debtor_id=UUID(debtor["id"]),
        reversal_id=uuid4(),
        payment_id=second.payment_id,
        invoice_id=UUID(iid),
        kind="chargeback",
        amount_cents=62_033,
        reversed_at=service.clock.now(),
    )
    await service.produce(reversal)
    await service.produce(reversal)
    await wait_for(lambda: paid_is(40_500), timeout=30)
    body = await state()
    assert body["status"] == "partially_paid" and body["settled_on"] is None
    # Left: 400,00 + 5,00 paid on 06/03, one day late (CC art. 354, interest first).
    # On 06/03: interest 1.000,00 x 1 % x 1/30 = 0,333 -> 0,33; fine 20,00. The 405,00 pay 0,33
    # interest, 20,00 fine and 384,67 principal: 615,33 open. 06/03 -> 10/04 is 35 days:
    # 615,33 x 1 % x 35/30 = 7,178.. -> 7,18. Due 615,33 + 7,18 = 622,51 (the old rule, interest
    # on the whole principal for 36 days, asked 1.000,00 + 20,00 + 12,00 - 405,00 = 627,00).
    assert body["amount_due_cents"] == 61_533 + 718

    await service.settled()
    changes = [
        (e.data["previous_status"], e.data["status"], e.data["reason"])
        for e in service.of_type("invoice.status-changed", iid)
    ]
    assert changes == [
        ("overdue", "partially_paid", "payment_received"),
        ("partially_paid", "paid", "payment_received"),
        ("paid", "partially_paid", "payment_reversed"),
    ]
    paid_event = service.of_type("invoice.status-changed", iid)[1]
    assert paid_event.data["amount_paid_cents"] == 102_033 and paid_event.data["amount_due_cents"] == 0

    # invoice.balance-changed on every payment applied or reversed (never for the duplicate or the
    # redelivered reversal), each with the full list net of reversals.
    balances = service.of_type("invoice.balance-changed", iid)
    assert [(e.data["amount_paid_cents"], e.data["status"]) for e in balances] == [
        (40_000, "partially_paid"),
        (102_033, "paid"),
        (102_533, "paid"),
        (40_500, "partially_paid"),
    ]

    def listed(event_index: int) -> list[tuple[str, str, int]]:
        return sorted(
            (p["payment_id"], p["paid_on"], p["amount_cents"]) for p in balances[event_index].data["payments"]
        )

    assert listed(2) == sorted(
        (str(p.payment_id), "2026-03-06", p.amount_cents) for p in (first, second, extra)
    )
    # The charged-back payment is left out once fully reversed.
    assert listed(3) == sorted(
        [(str(first.payment_id), "2026-03-06", 40_000), (str(extra.payment_id), "2026-03-06", 500)]
    )
