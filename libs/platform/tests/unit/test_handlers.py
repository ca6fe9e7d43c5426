"""Handlers keyed by the payload class they take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from regua_contracts.base import Payload
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_contracts.topics import AGREEMENT_EVENTS, DUNNING_STEP_DUE, INVOICE_EVENTS, PAYMENT_EVENTS
from regua_platform.handlers import EventMeta, HandlerError, Lane, bind_handlers


class NobodyPublishesV1(Payload):
    """A payload no event type of the registry carries."""


@dataclass(frozen=True)
class Defaults:
    note: str


async def on_invoice_issued_plan(event: InvoiceIssuedV1, meta: EventMeta, uow: Any) -> None:
    uow.append(("plan", event.invoice_id))


async def on_invoice_issued_charge(
    event: InvoiceIssuedV1, meta: EventMeta, uow: Any, defaults: Defaults
) -> None:
    uow.append((defaults.note, event.invoice_id))


async def on_payment_received_stop(event: PaymentReceivedV1, meta: EventMeta, uow: Any) -> None:
    uow.append(("stop", event.invoice_id))


async def on_nothing(event: NobodyPublishesV1, meta: EventMeta, uow: Any) -> None:
    raise AssertionError("never wired")


async def on_untyped(event, meta, uow) -> None:  # type: ignore[no-untyped-def]
    raise AssertionError("never wired")


async def test_handlers_are_keyed_by_their_payload_and_give_the_topics() -> None:
    subs = bind_handlers(
        [on_invoice_issued_plan, on_invoice_issued_charge, on_payment_received_stop], [Defaults("charge")]
    )
    assert set(subs.handlers) == {"br.regua.invoice.issued.v1", "br.regua.payment.received.v1"}
    assert subs.topics == sorted([INVOICE_EVENTS, PAYMENT_EVENTS])
    effects: list[Any] = []
    event = InvoiceIssuedV1(
        debtor_id=uuid4(),
        invoice_id=uuid4(),
        external_id="NF-1",
        amount_cents=100,
        due_date=date(2026, 12, 10),
        issued_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    meta = EventMeta("e1", "br.regua.invoice.issued.v1", uuid4(), "/t", event.issued_at, None, INVOICE_EVENTS)
    for handler in subs.handlers["br.regua.invoice.issued.v1"]:
        await handler(event, meta, effects)
    assert effects == [("plan", event.invoice_id), ("charge", event.invoice_id)]


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (on_nothing, "no event type of the contracts registry carries"),
        (on_untyped, "must be annotated with an event payload class"),
        (on_invoice_issued_charge, "needs Defaults, which the service does not provide"),
    ],
)
def test_a_handler_that_cannot_be_wired_stops_the_service(handler: Any, message: str) -> None:
    with pytest.raises(HandlerError, match=message):
        bind_handlers([handler])


def test_lanes_keep_only_subscribed_topics_and_every_topic_has_exactly_one_lane() -> None:
    subs = bind_handlers([on_invoice_issued_plan, on_payment_received_stop])
    assert subs.lanes(()) == [Lane("main", (INVOICE_EVENTS, PAYMENT_EVENTS))]
    declared = (
        Lane("priority", (PAYMENT_EVENTS, AGREEMENT_EVENTS)),
        Lane("bulk", (INVOICE_EVENTS,)),
        Lane("unused", (DUNNING_STEP_DUE,)),
    )
    assert subs.lanes(declared) == [Lane("priority", (PAYMENT_EVENTS,)), Lane("bulk", (INVOICE_EVENTS,))]
    with pytest.raises(HandlerError, match=f"in no lane: {INVOICE_EVENTS}"):
        subs.lanes((Lane("priority", (PAYMENT_EVENTS,)),))
    with pytest.raises(HandlerError, match="in lanes a and b"):
        subs.lanes((Lane("a", (PAYMENT_EVENTS, INVOICE_EVENTS)), Lane("b", (INVOICE_EVENTS,))))
