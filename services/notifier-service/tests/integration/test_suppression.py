"""Stop on pay, end to end: a step the notifier does not send ends
``suppressed`` with a reason and ``message-suppressed`` is published once,
whether the payment was known when the step came due or arrived while the
delivery waited."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from regua_contracts import Envelope
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_devtools.testing import wait_for

from .conftest import Notifier
from .test_delivery import load_invoice, now, step, unique_email

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SUPPRESSED = "br.regua.notification.message-suppressed.v1"


def payment(debtor_id: UUID, invoice_id: UUID) -> PaymentReceivedV1:
    return PaymentReceivedV1(
        debtor_id=debtor_id,
        payment_id=uuid4(),
        invoice_id=invoice_id,
        method="pix",
        amount_cents=123456,
        gateway_reference="E" + uuid4().hex[:31],
        paid_at=now(),
    )


async def suppressed_events(n: Notifier, invoice_id: UUID) -> list[Envelope]:
    return [
        e
        for e in await n.notification_events()
        if e.type == SUPPRESSED and e.data["invoice_id"] == str(invoice_id)
    ]


async def wait_suppressed(n: Notifier, invoice_id: UUID) -> dict[str, object]:
    async def suppressed() -> bool:
        items = await n.messages(invoice_id)
        return bool(items) and items[0]["status"] == "suppressed"

    await wait_for(suppressed, timeout=30)
    [delivery] = await n.messages(invoice_id)
    return delivery


async def test_a_step_due_for_a_paid_invoice_is_suppressed_and_announced_once(notifier: Notifier) -> None:
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    await notifier.publish(payment(debtor_id, invoice_id))
    await notifier.consumed()
    due = step(debtor_id, invoice_id)
    first = await notifier.publish(due)

    delivery = await wait_suppressed(notifier, invoice_id)
    assert delivery["reason"] == "suppressed_paid"
    [event] = await suppressed_events(notifier, invoice_id)
    assert event.data["step_id"] == str(due.step_id)
    assert event.data["debtor_id"] == str(debtor_id)
    assert event.data["reason"] == "suppressed_paid"
    assert event.key == str(debtor_id).encode()

    # The same event again, and the same step under a new event id: nothing new.
    await notifier.publish(first)
    await notifier.publish(due)
    await notifier.consumed()
    assert len(await suppressed_events(notifier, invoice_id)) == 1
    assert len(await notifier.messages(invoice_id)) == 1
    assert await notifier.inbox(email) == []
    sent = [e for e in await notifier.notification_events() if e.data.get("invoice_id") == str(invoice_id)]
    assert [e.type for e in sent] == [SUPPRESSED]


async def test_a_payment_consumed_after_the_step_due_stops_the_message(patient_notifier: Notifier) -> None:
    """The step-due is consumed first (its delivery waits for the charges), the
    payment after it: the sender's next look at the delivery suppresses it."""
    n = patient_notifier
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(n, email=email, charges=False)
    due = step(debtor_id, invoice_id)
    await n.publish(due)
    await n.consumed()

    async def waiting() -> bool:
        items = await n.messages(invoice_id)
        return bool(items) and items[0]["status"] == "pending"

    await wait_for(waiting, timeout=30)
    await n.publish(payment(debtor_id, invoice_id))
    await n.consumed()

    delivery = await wait_suppressed(n, invoice_id)
    assert delivery["reason"] == "suppressed_paid"
    [event] = await suppressed_events(n, invoice_id)
    assert (event.data["step_id"], event.data["reason"]) == (str(due.step_id), "suppressed_paid")
    assert await n.inbox(email) == []
