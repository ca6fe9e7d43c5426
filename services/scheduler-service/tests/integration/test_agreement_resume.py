"""Dunning paused by a renegotiation resumes when the agreement breaks; an
agreement's installment invoices are planned like any invoice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceStatus, InvoiceStatusChangedV1
from regua_devtools.testing import wait_for

from .conftest import Served

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SP = ZoneInfo("America/Sao_Paulo")
PAUSED = "invoice renegotiated: dunning paused"
RESUMED = "dunning resumed: agreement broken"


def sp(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


def issued(
    debtor: UUID, invoice: UUID, due: date, at: datetime, agreement: UUID | None = None
) -> InvoiceIssuedV1:
    return InvoiceIssuedV1(
        debtor_id=debtor,
        invoice_id=invoice,
        external_id=f"ext-{invoice}",
        amount_cents=150_000,
        due_date=due,
        issued_at=at,
        agreement_id=agreement,
    )


def changed(
    debtor: UUID, invoice: UUID, previous: InvoiceStatus, status: InvoiceStatus, reason: str, at: datetime
) -> InvoiceStatusChangedV1:
    return InvoiceStatusChangedV1(
        debtor_id=debtor,
        invoice_id=invoice,
        previous_status=previous,
        status=status,
        reason=reason,
        amount_paid_cents=0,
        amount_due_cents=150_000,
        changed_at=at,
    )


def steps(timeline: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s["status"], s["reason"]) for s in timeline["steps"]]


def due_for(served: Served, invoice: UUID) -> list[StepDueV1]:
    return [
        e.payload
        for e in served.step_due
        if isinstance(e.payload, StepDueV1) and e.payload.invoice_id == invoice
    ]


async def test_broken_agreement_resumes_paused_steps_with_catch_up(served: Served) -> None:
    # Now: Tuesday 2026-12-01 10:00; due Thursday 2026-12-10 (built-in policy, 5 steps).
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    await served.produce(
        changed(debtor, invoice, "open", "renegotiated", "agreement_created", served.clock.now())
    )
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "cancelled")
    assert steps(timeline) == [("cancelled", PAUSED)] * 5

    # Tuesday 2026-12-15 10:00: the reminder, due-date and +3 days steps passed while paused.
    served.clock.set(sp(2026, 12, 15, 10))
    await served.settled()
    assert due_for(served, invoice) == []  # paused steps never fire
    broken = changed(debtor, invoice, "renegotiated", "overdue", "agreement_broken", served.clock.now())
    await served.produce(broken)
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    await served.produce(broken)  # redelivered under a new event id: nothing more
    await served.settled()
    [fired] = due_for(served, invoice)
    assert fired.step_name == "overdue_3d" and fired.due_at == served.clock.now()
    timeline = await served.timeline(invoice)
    assert steps(timeline) == [
        ("skipped", RESUMED),
        ("skipped", RESUMED),
        ("due", None),
        ("scheduled", RESUMED),
        ("scheduled", RESUMED),
    ]
    assert timeline["steps"][3]["due_at"] == "2026-12-21T08:00:00-03:00"
    assert timeline["steps"][4]["due_at"] == "2026-12-30T08:00:00-03:00"

    served.clock.set(sp(2026, 12, 21, 8))
    await wait_for(lambda: len(due_for(served, invoice)) == 2, timeout=30)
    assert [p.step_name for p in due_for(served, invoice)] == ["overdue_3d", "overdue_10d"]


async def test_completed_agreement_does_not_resume(served: Served) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    await served.produce(
        changed(debtor, invoice, "open", "renegotiated", "agreement_created", served.clock.now())
    )
    await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "cancelled")
    await served.produce(
        changed(debtor, invoice, "renegotiated", "paid", "agreement_completed", served.clock.now())
    )
    await served.settled()
    assert steps(await served.timeline(invoice)) == [("cancelled", PAUSED)] * 5


async def test_installment_invoices_are_planned_like_any_invoice(served: Served) -> None:
    debtor, agreement = uuid4(), uuid4()
    installments = [uuid4(), uuid4()]
    for installment, due in zip(installments, (date(2026, 12, 10), date(2027, 1, 11)), strict=True):
        await served.produce(issued(debtor, installment, due, served.clock.now(), agreement))
    for installment in installments:
        timeline = await served.wait_timeline(installment, lambda t: len(t.get("steps", ())) == 5)
        assert {s for s, _ in steps(timeline)} == {"scheduled"}
