"""The scheduler's loop over real Kafka: invoice events plan steps, the timer
emits step-due once per step as the clock moves, catch-up, stop on pay, and
the notifier's outcomes land on the timeline."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1, InvoiceOverdueV1, InvoiceStatusChangedV1
from regua_contracts.notification.v1 import MessageFailedV1, MessageSentV1, MessageSuppressedV1
from regua_devtools.testing import wait_for

from .conftest import Served, token

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SP = ZoneInfo("America/Sao_Paulo")


def issued(debtor: UUID, invoice: UUID, due: date, at: datetime) -> InvoiceIssuedV1:
    return InvoiceIssuedV1(
        debtor_id=debtor,
        invoice_id=invoice,
        external_id=f"ext-{invoice}",
        amount_cents=150_000,
        due_date=due,
        issued_at=at,
    )


def status_changed(debtor: UUID, invoice: UUID, status: Any, at: datetime) -> InvoiceStatusChangedV1:
    return InvoiceStatusChangedV1(
        debtor_id=debtor,
        invoice_id=invoice,
        previous_status="open",
        status=status,
        reason="test",
        amount_paid_cents=150_000 if status == "paid" else 0,
        amount_due_cents=0,
        changed_at=at,
    )


def sp(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


def statuses(timeline: dict[str, Any]) -> list[str]:
    return [s["status"] for s in timeline["steps"]]


def due_for(served: Served, invoice: UUID) -> list[StepDueV1]:
    events = [e.payload for e in served.step_due]
    return [p for p in events if isinstance(p, StepDueV1) and p.invoice_id == invoice]


async def test_planned_fired_once_sent_failed_then_paid(served: Served) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    timeline = await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    assert timeline["debtor_id"] == str(debtor) and timeline["due_date"] == "2026-12-10"
    assert statuses(timeline) == ["scheduled"] * 5
    assert [s["planned_for"] for s in timeline["steps"]] == [
        "2026-12-07T00:00:00-03:00",
        "2026-12-10T00:00:00-03:00",
        "2026-12-13T00:00:00-03:00",
        "2026-12-20T00:00:00-03:00",
        "2026-12-30T00:00:00-03:00",
    ]
    assert [s["due_at"] for s in timeline["steps"]] == [
        "2026-12-07T08:00:00-03:00",
        "2026-12-10T08:00:00-03:00",
        "2026-12-14T08:00:00-03:00",  # Sunday -> Monday 08:00
        "2026-12-21T08:00:00-03:00",
        "2026-12-30T08:00:00-03:00",
    ]
    await served.settled()
    assert due_for(served, invoice) == []

    # Monday 07:59: not yet; 08:00: the reminder, once.
    served.clock.set(sp(2026, 12, 7, 7, 59))
    await served.settled()
    assert due_for(served, invoice) == []
    served.clock.set(sp(2026, 12, 7, 8, 0))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    await served.settled()
    [reminder] = due_for(served, invoice)
    step0 = timeline["steps"][0]
    assert reminder.step_id == UUID(step0["id"])
    assert reminder.debtor_id == debtor
    assert (reminder.step_name, reminder.step_index, reminder.template, reminder.tone, reminder.action) == (
        "reminder",
        0,
        "reminder",
        "friendly",
        "message",
    )
    assert reminder.channels == ["email", "whatsapp", "sms"]
    assert reminder.planned_for == sp(2026, 12, 7)
    assert reminder.due_at == sp(2026, 12, 7, 8)
    assert reminder.policy_id == UUID(timeline["policy_id"])
    envelope = next(e for e in served.step_due if e.payload is reminder)
    assert envelope.tenantid == served.tenant and envelope.key == str(debtor).encode()
    timeline = await served.timeline(invoice)
    assert statuses(timeline) == ["due"] + ["scheduled"] * 4

    await served.produce(
        MessageSentV1(
            debtor_id=debtor,
            message_id=uuid4(),
            step_id=reminder.step_id,
            invoice_id=invoice,
            channel="email",
            template="reminder",
            provider="smtp",
            sent_at=served.clock.now(),
        )
    )
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "sent")

    # Due date: fires, then the notifier reports a failure.
    served.clock.set(sp(2026, 12, 10, 9))
    await wait_for(lambda: len(due_for(served, invoice)) == 2, timeout=30)
    due_today = due_for(served, invoice)[1]
    assert due_today.step_name == "due_today" and due_today.template == "due_today"
    await served.produce(
        MessageFailedV1(
            debtor_id=debtor,
            step_id=due_today.step_id,
            invoice_id=invoice,
            reason="no_consented_channel",
            failed_at=served.clock.now(),
        )
    )
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][1]["status"] == "failed")
    assert timeline["steps"][1]["reason"] == "no_consented_channel"

    # Paid: every pending step is cancelled, and nothing more fires.
    await served.produce(status_changed(debtor, invoice, "paid", served.clock.now()))
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][2]["status"] == "cancelled")
    assert statuses(timeline) == ["sent", "failed", "cancelled", "cancelled", "cancelled"]
    assert {s["reason"] for s in timeline["steps"][2:]} == {"invoice paid"}
    served.clock.set(sp(2027, 3, 1, 10))
    await served.settled()
    assert len(due_for(served, invoice)) == 2
    assert Counter(p.step_id for p in due_for(served, invoice)).most_common(1)[0][1] == 1


async def test_catch_up_fires_only_the_latest_missed_step(served: Served) -> None:
    # Now: Tuesday 2026-12-01 10:00. Due Friday 2026-11-20: the reminder, the due
    # date, +3 and +10 days have all passed; only +10 days fires, now.
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 11, 20), served.clock.now()))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    await served.settled()
    [fired] = due_for(served, invoice)
    assert fired.step_name == "overdue_10d"
    assert fired.planned_for == sp(2026, 11, 30)
    assert fired.due_at == served.clock.now()
    timeline = await served.timeline(invoice)
    assert statuses(timeline) == ["skipped", "skipped", "skipped", "due", "scheduled"]
    assert {s["reason"] for s in timeline["steps"][:3]} == {"catch-up: a later step was already due"}
    assert timeline["steps"][4]["due_at"] == "2026-12-10T08:00:00-03:00"


async def test_catch_up_outside_the_window_waits_for_it(served: Served) -> None:
    # Sunday 2026-12-06 15:00, due 2026-11-20: the caught-up step waits for Monday 08:00.
    served.clock.set(sp(2026, 12, 6, 15))
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 11, 20), served.clock.now()))
    timeline = await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    assert statuses(timeline) == ["skipped", "skipped", "skipped", "scheduled", "scheduled"]
    assert timeline["steps"][3]["due_at"] == "2026-12-07T08:00:00-03:00"
    await served.settled()
    assert due_for(served, invoice) == []
    served.clock.set(sp(2026, 12, 7, 8))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    assert [p.step_name for p in due_for(served, invoice)] == ["overdue_10d"]


async def test_timer_rechecks_the_window_when_it_runs_late(served: Served) -> None:
    # The timer was down from Friday to Sunday: the Friday step is not sent on
    # Sunday but moved to Monday 08:00.
    steps = [
        {"name": n, "offset": o, "channels": ["email"], "template": t, "tone": "friendly"}
        for n, o, t in [
            ("reminder", "-P3D", "reminder"),
            ("due_today", "P0D", "due_today"),
            ("late", "P10D", "overdue"),
        ]
    ]
    response = await served.client.post(
        "/v1/policies", json={"name": "sparse", "default": True, "steps": steps}, headers=served.auth()
    )
    assert response.status_code == 201, response.text
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 11), served.clock.now()))  # Friday
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 3)
    served.clock.set(sp(2026, 12, 13, 11))  # Sunday: due_today (Fri 08:00) is late
    timeline = await served.wait_timeline(
        invoice, lambda t: t["steps"][1]["due_at"] == "2026-12-14T08:00:00-03:00"
    )
    # The reminder (Tue 08:00) was also late: a later step being due, it is skipped.
    assert statuses(timeline) == ["skipped", "scheduled", "scheduled"]
    assert timeline["steps"][0]["reason"] == "catch-up: a later step was already due"
    await served.settled()
    assert due_for(served, invoice) == []
    served.clock.set(sp(2026, 12, 14, 8))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    assert [p.step_name for p in due_for(served, invoice)] == ["due_today"]


@pytest.mark.parametrize(
    ("status", "reason"),
    [("cancelled", "invoice cancelled"), ("renegotiated", "invoice renegotiated: dunning paused")],
)
async def test_cancelled_and_renegotiated_stop_pending_steps(
    served: Served, status: str, reason: str
) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    await served.produce(status_changed(debtor, invoice, "partially_paid", served.clock.now()))
    await served.produce(status_changed(debtor, invoice, status, served.clock.now()))
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "cancelled")
    assert statuses(timeline) == ["cancelled"] * 5
    assert {s["reason"] for s in timeline["steps"]} == {reason}


async def test_overdue_plans_an_unplanned_invoice_and_issued_twice_plans_once(served: Served) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(
        InvoiceOverdueV1(
            debtor_id=debtor,
            invoice_id=invoice,
            due_date=date(2026, 11, 30),
            overdue_since=date(2026, 12, 1),
            amount_due_cents=1000,
        )
    )
    timeline = await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    await served.produce(issued(debtor, invoice, date(2027, 1, 30), served.clock.now()))
    await served.produce(issued(debtor, invoice, date(2027, 1, 30), served.clock.now()))
    await served.settled()
    again = await served.timeline(invoice)
    assert again["due_date"] == "2026-11-30"
    assert [s["id"] for s in again["steps"]] == [s["id"] for s in timeline["steps"]]


async def test_a_policy_with_short_offsets_and_no_window(served: Served) -> None:
    # The demo's shape: offsets in seconds from the due date's midnight, any time.
    response = await served.client.post(
        "/v1/policies",
        json={
            "name": "demo",
            "default": True,
            "send_window": None,
            "steps": [
                {
                    "name": "a",
                    "offset": "P0D",
                    "channels": ["email"],
                    "template": "reminder",
                    "tone": "friendly",
                },
                {"name": "b", "offset": "PT30S", "channels": ["sms"], "template": "overdue", "tone": "firm"},
            ],
        },
        headers=served.auth(),
    )
    assert response.status_code == 201, response.text
    # Sunday 2026-12-06 00:00 exactly: "a" fires at once (even on a Sunday), "b" 30 s later.
    served.clock.set(sp(2026, 12, 6))
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 6), served.clock.now()))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    served.clock.advance(timedelta(seconds=29))
    await served.settled()
    assert [p.step_name for p in due_for(served, invoice)] == ["a"]
    served.clock.advance(timedelta(seconds=1))
    await wait_for(lambda: len(due_for(served, invoice)) == 2, timeout=30)
    assert [p.step_name for p in due_for(served, invoice)] == ["a", "b"]
    assert due_for(served, invoice)[1].due_at == datetime(2026, 12, 6, 3, 0, 30, tzinfo=UTC)


async def test_timeline_of_unknown_or_other_tenants_invoice_is_404(served: Served) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    other = {"Authorization": f"Bearer {token(uuid4())}"}
    for url, headers in [
        (f"/v1/invoices/{invoice}/timeline", other),
        (f"/v1/invoices/{uuid4()}/timeline", served.auth()),
    ]:
        response = await served.client.get(url, headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    # A message-sent claiming another tenant's step changes nothing.
    step_id = UUID((await served.timeline(invoice))["steps"][0]["id"])
    await served.produce(
        MessageFailedV1(
            debtor_id=debtor, step_id=step_id, invoice_id=invoice, reason="x", failed_at=served.clock.now()
        ),
        uuid4(),
    )
    await served.produce(status_changed(debtor, invoice, "paid", served.clock.now()), uuid4())
    await served.settled()
    assert statuses(await served.timeline(invoice)) == ["scheduled"] * 5


async def test_a_suppressed_step_ends_with_its_reason_once(served: Served) -> None:
    """The notifier did not send a due step (the invoice was paid first): the
    step ends ``suppressed`` with the reason; a redelivery, a second report or
    one about a step already terminal changes nothing."""
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    served.clock.set(sp(2026, 12, 7, 8, 0))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    [reminder] = due_for(served, invoice)

    def suppressed(step_id: UUID, reason: str) -> MessageSuppressedV1:
        return MessageSuppressedV1(
            debtor_id=debtor,
            step_id=step_id,
            invoice_id=invoice,
            reason=reason,
            suppressed_at=served.clock.now(),
        )

    first = await served.produce(suppressed(reminder.step_id, "suppressed_paid"))
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "suppressed")
    assert (timeline["steps"][0]["status"], timeline["steps"][0]["reason"]) == (
        "suppressed",
        "suppressed_paid",
    )
    updated_at = timeline["steps"][0]["updated_at"]

    served.clock.set(sp(2026, 12, 7, 9, 0))
    await served.produce_envelope(first)  # the same event again
    await served.produce(suppressed(reminder.step_id, "nothing_due"))  # another report
    await served.settled()
    timeline = await served.timeline(invoice)
    assert timeline["steps"][0]["status"] == "suppressed"
    assert timeline["steps"][0]["reason"] == "suppressed_paid"
    assert timeline["steps"][0]["updated_at"] == updated_at

    # The invoice is paid: the steps not yet fired are cancelled with a reason,
    # and a late suppression report for one of them leaves it cancelled.
    await served.produce(status_changed(debtor, invoice, "paid", served.clock.now()))
    timeline = await served.wait_timeline(invoice, lambda t: t["steps"][1]["status"] == "cancelled")
    assert statuses(timeline) == ["suppressed"] + ["cancelled"] * 4
    assert [s["reason"] for s in timeline["steps"]] == ["suppressed_paid"] + ["invoice paid"] * 4
    await served.produce(suppressed(UUID(timeline["steps"][1]["id"]), "suppressed_paid"))
    await served.settled()
    assert (await served.timeline(invoice))["steps"][1:] == timeline["steps"][1:]


async def test_a_sent_step_is_not_suppressed_afterwards(served: Served) -> None:
    debtor, invoice = uuid4(), uuid4()
    await served.produce(issued(debtor, invoice, date(2026, 12, 10), served.clock.now()))
    await served.wait_timeline(invoice, lambda t: len(t.get("steps", ())) == 5)
    served.clock.set(sp(2026, 12, 7, 8, 0))
    await wait_for(lambda: due_for(served, invoice), timeout=30)
    [reminder] = due_for(served, invoice)
    await served.produce(
        MessageSentV1(
            debtor_id=debtor,
            message_id=uuid4(),
            step_id=reminder.step_id,
            invoice_id=invoice,
            channel="email",
            template="reminder",
            provider="smtp",
            sent_at=served.clock.now(),
        )
    )
    await served.wait_timeline(invoice, lambda t: t["steps"][0]["status"] == "sent")
    await served.produce(
        MessageSuppressedV1(
            debtor_id=debtor,
            step_id=reminder.step_id,
            invoice_id=invoice,
            reason="suppressed_paid",
            suppressed_at=served.clock.now(),
        )
    )
    await served.settled()
    step0 = (await served.timeline(invoice))["steps"][0]
    assert (step0["status"], step0["reason"]) == ("sent", None)
