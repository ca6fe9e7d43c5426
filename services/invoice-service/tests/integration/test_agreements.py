"""Agreement events from negotiation-service, through real Kafka."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from invoice_service.adapters.db.tables import payments, rejected_agreement_events
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    AgreementPrepaidV1,
    InstallmentV1,
)
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def created(
    debtor_id: str, invoices: list[dict[str, Any]], amounts: list[int], dues: list[date]
) -> AgreementCreatedV1:
    total = sum(amounts)
    original = sum(i["amount_cents"] for i in invoices)
    return AgreementCreatedV1(
        debtor_id=UUID(debtor_id),
        agreement_id=uuid4(),
        invoice_ids=[UUID(i["id"]) for i in invoices],
        original_amount_cents=original,
        discount_cents=max(original - total, 0),
        total_cents=total,
        installments=[
            InstallmentV1(installment_id=uuid4(), number=n, due_date=d, amount_cents=a)
            for n, (a, d) in enumerate(zip(amounts, dues, strict=True), start=1)
        ],
        created_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
    )


async def body(service: Service, invoice_id: UUID | str) -> dict[str, Any]:
    return dict((await service.get(f"/v1/invoices/{invoice_id}")).json())


async def installments(service: Service, agreement_id: UUID) -> list[dict[str, Any]]:
    response = await service.get("/v1/invoices", agreement_id=str(agreement_id))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def changes(service: Service, invoice_id: UUID | str) -> list[tuple[str, str, str]]:
    return [
        (e.data["previous_status"], e.data["status"], e.data["reason"])
        for e in service.of_type("invoice.status-changed", invoice_id)
    ]


async def test_created_renegotiates_issues_installments_once_and_broken_restores(service: Service) -> None:
    debtor = await service.debtor()
    old = await service.invoice(debtor["id"], due_date="2026-03-01")  # overdue on 2026-03-10
    new = await service.invoice(debtor["id"], due_date="2026-03-20", amount_cents=50_000)
    assert old["status"] == "overdue" and new["status"] == "open"
    agreement = created(
        debtor["id"],
        [new, old],
        [50_000, 50_000, 50_000],
        [date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15)],
    )
    aid = agreement.agreement_id
    await service.produce_agreement(agreement)

    async def three() -> bool:
        return len(await installments(service, aid)) == 3

    await wait_for(three, timeout=30)
    parts = await installments(service, aid)
    assert [p["id"] for p in parts] == [str(i.installment_id) for i in agreement.installments]
    assert [p["external_id"] for p in parts] == [f"agreement-{aid}-{n}" for n in (1, 2, 3)]
    assert [p["description"] for p in parts] == [f"Parcela {n}/3 do acordo" for n in (1, 2, 3)]
    assert {(p["status"], p["agreement_id"], p["amount_cents"]) for p in parts} == {
        ("open", str(aid), 50_000)
    }
    await wait_for(lambda: len(service.of_type("invoice.issued")) == 5, timeout=30)
    for original, previous in ((old, "overdue"), (new, "open")):
        state = await body(service, original["id"])
        assert state["status"] == "renegotiated" and state["renegotiated_in"] == str(aid)
        await wait_for(lambda o=original: changes(service, o["id"]), timeout=30)  # type: ignore[misc]
        assert changes(service, original["id"]) == [(previous, "renegotiated", "agreement_created")]
    await wait_for(lambda: len(service.of_type("invoice.issued")) == 5, timeout=30)
    issued = {e.subject: e.data for e in service.of_type("invoice.issued")}
    assert issued[parts[0]["id"]]["agreement_id"] == str(aid)

    # Redelivered under a new event id: nothing new.
    await service.produce_agreement(agreement)
    # The debtor pays the first installment.
    await service.produce(
        PaymentReceivedV1(
            debtor_id=UUID(debtor["id"]),
            payment_id=uuid4(),
            invoice_id=agreement.installments[0].installment_id,
            method="pix",
            amount_cents=50_000,
            gateway_reference=uuid4().hex,
            paid_at=datetime(2026, 3, 12, 15, 0, tzinfo=UTC),
        )
    )

    async def first_paid() -> bool:
        return (await body(service, parts[0]["id"]))["status"] == "paid"

    await wait_for(first_paid, timeout=30)
    await service.settled()
    assert len(service.of_type("invoice.issued")) == 5 and len(await installments(service, aid)) == 3
    assert len(changes(service, old["id"])) == 1

    # The second installment was never paid: negotiation-service breaks the agreement.
    service.clock.set(datetime(2026, 4, 25, 15, 0, tzinfo=UTC))
    broken = AgreementBrokenV1(
        debtor_id=UUID(debtor["id"]),
        agreement_id=aid,
        invoice_ids=agreement.invoice_ids,
        paid_cents=50_000,
        reason="installment 2 overdue beyond tolerance",
        broken_at=service.clock.now(),
    )
    await service.produce_agreement(broken)

    async def restored() -> bool:
        return (await body(service, new["id"]))["status"] == "overdue"

    await wait_for(restored, timeout=30)
    # Oldest due first: the 500,00 paid is credited to the invoice due on 2026-03-01.
    old_state = await body(service, old["id"])
    assert old_state["status"] == "partially_paid" and old_state["amount_paid_cents"] == 50_000
    assert old_state["amount_due_cents"] == old_state["total_cents"] - 50_000
    new_state = await body(service, new["id"])
    assert new_state["amount_paid_cents"] == 0 and new_state["overdue_since"] == "2026-03-21"
    parts = await installments(service, aid)
    assert [p["status"] for p in parts] == ["paid", "cancelled", "cancelled"]

    await service.produce_agreement(broken)  # replayed: nothing more
    await wait_for(lambda: service.of_type("invoice.overdue", new["id"]), timeout=30)
    await service.scanned()
    await service.settled()
    assert changes(service, old["id"])[-1] == ("renegotiated", "partially_paid", "agreement_broken")
    assert changes(service, new["id"])[-1] == ("renegotiated", "overdue", "agreement_broken")
    assert len(changes(service, old["id"])) == len(changes(service, new["id"])) == 2
    assert [c[1:] for p in parts[1:] for c in changes(service, p["id"])] == [
        ("cancelled", "agreement_broken"),
        ("cancelled", "agreement_broken"),
    ]
    assert len(service.of_type("invoice.overdue", new["id"])) == 1
    assert (await body(service, old["id"]))["amount_paid_cents"] == 50_000
    # The credit is a payment like any other, dated the day the agreement broke.
    [credit] = service.of_type("invoice.balance-changed", old["id"])
    assert [(p["paid_on"], p["amount_cents"]) for p in credit.data["payments"]] == [("2026-04-25", 50_000)]
    assert credit.data["status"] == "partially_paid" and credit.data["amount_paid_cents"] == 50_000
    assert service.of_type("invoice.balance-changed", new["id"]) == []

    # A fresh agreement over the restored invoices is accepted again.
    again = created(debtor["id"], [old, new], [80_000], [date(2026, 5, 1)])
    await service.produce_agreement(again)

    async def one() -> bool:
        return len(await installments(service, again.agreement_id)) == 1

    await wait_for(one, timeout=30)
    assert (await body(service, old["id"]))["renegotiated_in"] == str(again.agreement_id)


async def test_completed_settles_the_originals(service: Service) -> None:
    debtor = await service.debtor()
    original = await service.invoice(debtor["id"], due_date="2026-03-01")
    agreement = created(debtor["id"], [original], [45_000, 45_000], [date(2026, 3, 20), date(2026, 4, 20)])
    await service.produce_agreement(agreement)

    async def renegotiated() -> bool:
        return (await body(service, original["id"]))["status"] == "renegotiated"

    await wait_for(renegotiated, timeout=30)
    service.clock.set(datetime(2026, 4, 20, 15, 0, tzinfo=UTC))
    await service.produce_agreement(
        AgreementCompletedV1(
            debtor_id=UUID(debtor["id"]),
            agreement_id=agreement.agreement_id,
            invoice_ids=agreement.invoice_ids,
            paid_cents=90_000,
            completed_at=service.clock.now(),
        )
    )

    async def paid() -> bool:
        return (await body(service, original["id"]))["status"] == "paid"

    await wait_for(paid, timeout=30)
    state = await body(service, original["id"])
    assert state["amount_due_cents"] == 0 and state["settled_on"] == "2026-04-20"
    await wait_for(lambda: len(changes(service, original["id"])) == 2, timeout=30)
    assert changes(service, original["id"])[-1] == ("renegotiated", "paid", "agreement_completed")
    # The original's balance on 20/04, credited: due Sun 01/03 (payable Mon 02/03), 50 days late
    # from 01/03: 1.000,00 + 20,00 fine + 1.000,00 x 1 % x 50/30 (16,666.. -> 16,67) = 1.036,67.
    await wait_for(lambda: service.of_type("invoice.balance-changed", original["id"]), timeout=30)
    [credit] = service.of_type("invoice.balance-changed", original["id"])
    assert [(p["paid_on"], p["amount_cents"]) for p in credit.data["payments"]] == [("2026-04-20", 103_667)]
    assert credit.data["status"] == "paid"


async def test_agreement_over_a_paid_or_unknown_invoice_is_recorded_and_ignored(
    service: Service, migrated: str
) -> None:
    debtor = await service.debtor()
    open_one = await service.invoice(debtor["id"], due_date="2026-03-20")
    cancelled = await service.invoice(debtor["id"], due_date="2026-03-20")
    response = await service.client.post(f"/v1/invoices/{cancelled['id']}:cancel", headers=service.auth())
    assert response.status_code == 200, response.text
    bad = created(debtor["id"], [open_one, cancelled], [10_000], [date(2026, 4, 1)])
    unknown = created(debtor["id"], [{"id": str(uuid4()), "amount_cents": 1}], [10_000], [date(2026, 4, 1)])
    await service.produce_agreement(bad)
    await service.produce_agreement(unknown)
    # The consumer goes on: a valid agreement after them is applied.
    good = created(debtor["id"], [open_one], [10_000], [date(2026, 4, 1)])
    await service.produce_agreement(good)

    async def applied() -> bool:
        return (await body(service, open_one["id"]))["renegotiated_in"] == str(good.agreement_id)

    await wait_for(applied, timeout=30)
    assert await installments(service, bad.agreement_id) == []
    assert await installments(service, unknown.agreement_id) == []
    engine = create_async_engine(migrated)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        rejected_agreement_events.c.agreement_id, rejected_agreement_events.c.reason
                    ).where(
                        rejected_agreement_events.c.agreement_id.in_([bad.agreement_id, unknown.agreement_id])
                    )
                )
            ).all()
            credits = (await conn.execute(select(payments).where(payments.c.method == "agreement"))).all()
    finally:
        await engine.dispose()
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        [
            (bad.agreement_id, "invoice is cancelled"),
            (unknown.agreement_id, "no such invoice for this tenant"),
        ]
    )
    assert all(c.gateway_reference.startswith("agreement-") for c in credits)


async def rejected(migrated: str, agreement_id: UUID) -> list[tuple[UUID, str]]:
    engine = create_async_engine(migrated)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(rejected_agreement_events.c.invoice_id, rejected_agreement_events.c.reason).where(
                        rejected_agreement_events.c.agreement_id == agreement_id
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return sorted((r[0], r[1]) for r in rows)


async def test_prepaid_cancels_the_replaced_installments_and_issues_the_payoff_once(
    service: Service, migrated: str
) -> None:
    debtor = await service.debtor()
    original = await service.invoice(debtor["id"], due_date="2026-03-20")
    agreement = created(
        debtor["id"],
        [original],
        [35_000, 35_000, 35_000],
        [date(2026, 3, 13), date(2026, 4, 13), date(2026, 5, 13)],
    )
    aid = agreement.agreement_id
    first, second, third = (i.installment_id for i in agreement.installments)
    await service.produce_agreement(agreement)
    await wait_for(lambda: len(service.of_type("invoice.issued")) == 4, timeout=30)
    await service.produce(
        PaymentReceivedV1(
            debtor_id=UUID(debtor["id"]),
            payment_id=uuid4(),
            invoice_id=first,
            method="pix",
            amount_cents=35_000,
            gateway_reference=uuid4().hex,
            paid_at=datetime(2026, 3, 12, 15, 0, tzinfo=UTC),
        )
    )

    async def first_paid() -> bool:
        return (await body(service, first))["status"] == "paid"

    await wait_for(first_paid, timeout=30)

    def prepaid(replaced: list[UUID], payoff_id: UUID | None = None) -> AgreementPrepaidV1:
        return AgreementPrepaidV1(
            debtor_id=UUID(debtor["id"]),
            agreement_id=aid,
            replaced_installment_ids=replaced,
            payoff=InstallmentV1(
                installment_id=payoff_id or uuid4(), number=2, due_date=date(2026, 3, 16), amount_cents=68_900
            ),
            interest_waived_cents=1_100,
            prepaid_at=datetime(2026, 3, 13, 15, 0, tzinfo=UTC),
        )

    # Refused: the first installment is paid; an unknown id is no installment of this agreement.
    stranger = uuid4()
    refused_paid = prepaid([second, first])
    refused_unknown = prepaid([stranger])
    await service.produce_agreement(refused_paid)
    await service.produce_agreement(refused_unknown)
    good = prepaid([second, third])
    payoff_id = good.payoff.installment_id
    await service.produce_agreement(good)

    async def payoff_issued() -> bool:
        return (await service.get(f"/v1/invoices/{payoff_id}")).status_code == 200

    await wait_for(payoff_issued, timeout=30)
    await service.produce_agreement(good)  # redelivered under a new event id: nothing twice
    await service.settled()

    payoff = await body(service, payoff_id)
    assert (payoff["agreement_id"], payoff["amount_cents"], payoff["due_date"], payoff["status"]) == (
        str(aid),
        68_900,
        "2026-03-16",
        "open",
    )
    assert payoff["description"] == "Quitação antecipada do acordo"
    parts = {p["id"]: p["status"] for p in await installments(service, aid)}
    assert parts == {
        str(first): "paid",
        str(second): "cancelled",
        str(third): "cancelled",
        str(payoff_id): "open",
    }
    for replaced in (second, third):
        assert changes(service, replaced) == [("open", "cancelled", "agreement_prepaid")]
    issued = service.of_type("invoice.issued", payoff_id)
    assert len(issued) == 1 and issued[0].data["agreement_id"] == str(aid)
    assert (await service.get(f"/v1/invoices/{refused_paid.payoff.installment_id}")).status_code == 404
    assert await rejected(migrated, aid) == sorted(
        [(first, "installment is paid"), (stranger, "not an installment of this agreement")]
    )
