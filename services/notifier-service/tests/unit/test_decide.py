"""What the sender does with one due delivery (``decide``), and stop on pay
(``invoice_closed``): tables of inputs and the expected outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from notifier_service.domain.channels import Channel
from notifier_service.domain.decide import (
    Decision,
    Fail,
    Send,
    Suppress,
    Wait,
    Waits,
    decide,
    invoice_closed,
    stop_reason,
)
from notifier_service.domain.delivery import AttemptStatus
from notifier_service.domain.model import ChargeView, DebtorView, Delivery, DeliveryAttempt, InvoiceView

NOW = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)
TENANT, STEP, INVOICE, DEBTOR = uuid4(), uuid4(), uuid4(), uuid4()
WAITS = Waits(invoice_seconds=300, charge_seconds=600)
ALL_PROVIDERS: frozenset[Channel] = frozenset({"email", "sms", "whatsapp"})
BOTH = frozenset({"pix", "boleto"})


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def delivery(
    *,
    waited: float = 1,
    template: str = "reminder",
    action: str = "message",
    channels: tuple[Channel, ...] = ("email",),
) -> Delivery:
    return Delivery(
        message_id=uuid4(),
        tenant_id=TENANT,
        step_id=STEP,
        invoice_id=INVOICE,
        debtor_id=DEBTOR,
        template=template,
        tone="friendly",
        action=action,
        channels=channels,
        status="pending",
        next_attempt_at=NOW,
        created_at=ago(waited),
        updated_at=ago(waited),
    )


#: An issued open invoice for which payments-service announced a Pix and a boleto.
ISSUED = InvoiceView(
    invoice_id=INVOICE,
    tenant_id=TENANT,
    debtor_id=DEBTOR,
    external_id="NF-2026-0042",
    amount_cents=123456,
    due_date=date(2026, 12, 10),
    status="open",
    charge_methods=BOTH,
)
#: Only a payment.received or a status change has arrived, not invoice.issued.
NOT_ISSUED = InvoiceView(invoice_id=INVOICE, tenant_id=TENANT, debtor_id=DEBTOR)

DEBTOR_VIEW = DebtorView(
    debtor_id=DEBTOR,
    tenant_id=TENANT,
    name="Maria Aparecida Souza",
    email="maria@exemplo.com.br",
    phone="+5511912345678",
    whatsapp=None,
    preferred_channels=(),
    consents={},
    updated_at=ago(3600),
)
NO_CONTACTS = replace(DEBTOR_VIEW, email=None, phone=None)
EMAIL_OPTED_OUT = replace(DEBTOR_VIEW, consents={"email": False})


def charge(method: str) -> ChargeView:
    return ChargeView(
        charge_id=uuid4(),
        tenant_id=TENANT,
        invoice_id=INVOICE,
        method=method,
        created_at=ago(60),
        pix_copy_paste="000201..." if method == "pix" else None,
        digitable_line="0" * 47 if method == "boleto" else None,
    )


PIX, BOLETO = charge("pix"), charge("boleto")


def attempt(channel: Channel, status: AttemptStatus, *, at: float) -> DeliveryAttempt:
    """An attempt on ``channel`` last updated ``at`` seconds ago."""
    return DeliveryAttempt(
        step_id=STEP,
        channel=channel,
        idempotency_key=f"regua-{channel}",
        status=status,
        attempts=1,
        created_at=ago(at + 10),
        updated_at=ago(at),
    )


@dataclass(frozen=True)
class Case:
    """The inputs of one decision; by default a step that can go out by e-mail now."""

    delivery: Delivery = field(default_factory=delivery)
    invoice: InvoiceView | None = ISSUED
    debtor: DebtorView | None = DEBTOR_VIEW
    charges: Sequence[ChargeView] = (PIX, BOLETO)
    attempts: Sequence[DeliveryAttempt] = ()
    providers: frozenset[Channel] = ALL_PROVIDERS


def paid_at(seen: datetime, *, changed: datetime | None = None, status: str = "open") -> InvoiceView:
    return replace(ISSUED, payment_seen_at=seen, status_changed_at=changed, status=status)


DECISIONS: list[tuple[str, Case, Decision]] = [
    ("everything known: send", Case(), Send("email")),
    # Stop on pay comes first, whatever else is wrong.
    ("paid invoice", Case(invoice=replace(ISSUED, status="paid")), Suppress("suppressed_paid")),
    (
        "cancelled invoice",
        Case(invoice=replace(ISSUED, status="cancelled")),
        Suppress("suppressed_cancelled"),
    ),
    ("payment seen, no status change since", Case(invoice=paid_at(ago(60))), Suppress("suppressed_paid")),
    (
        "payment seen after the last status change",
        Case(invoice=paid_at(ago(60), changed=ago(3600), status="overdue")),
        Suppress("suppressed_paid"),
    ),
    (
        "status change after the payment (a partial payment reopens it)",
        Case(invoice=paid_at(ago(3600), changed=ago(60), status="overdue")),
        Send("email"),
    ),
    (
        "payment seen before invoice.issued arrived",
        Case(invoice=replace(NOT_ISSUED, payment_seen_at=ago(60))),
        Suppress("suppressed_paid"),
    ),
    (
        "paid invoice with an unknown template",
        Case(delivery=delivery(template="nope"), invoice=replace(ISSUED, status="paid")),
        Suppress("suppressed_paid"),
    ),
    # Then what the step asks for.
    (
        "unknown template",
        Case(delivery=delivery(template="nope")),
        Fail("unknown_template", "no template named 'nope'"),
    ),
    (
        "unknown template, invoice not known yet",
        Case(delivery=delivery(template="nope"), invoice=None, debtor=None),
        Fail("unknown_template", "no template named 'nope'"),
    ),
    (
        "unknown template and action",
        Case(delivery=delivery(template="nope", action="call")),
        Fail("unknown_template", "no template named 'nope'"),
    ),
    (
        "unsupported action",
        Case(delivery=delivery(action="call")),
        Fail("unsupported_action", "action 'call'"),
    ),
    ("offer action", Case(delivery=delivery(action="offer")), Send("email")),
    ("final_notice action", Case(delivery=delivery(action="final_notice")), Send("email")),
    # The invoice, then the debtor: waited for up to invoice_seconds.
    ("invoice unknown", Case(invoice=None), Wait("invoice")),
    ("invoice not issued yet", Case(invoice=NOT_ISSUED), Wait("invoice")),
    (
        "invoice unknown, just before the deadline",
        Case(delivery(waited=299.9), invoice=None),
        Wait("invoice"),
    ),
    (
        "invoice unknown at the deadline",
        Case(delivery(waited=300), invoice=None),
        Fail("invoice_unknown", "no invoice data after 300s"),
    ),
    (
        "invoice never issued, past the deadline",
        Case(delivery(waited=451), invoice=NOT_ISSUED, debtor=None),
        Fail("invoice_unknown", "no invoice data after 451s"),
    ),
    ("invoice and debtor unknown: the invoice is awaited", Case(invoice=None, debtor=None), Wait("invoice")),
    ("debtor unknown", Case(debtor=None), Wait("debtor")),
    (
        "debtor unknown past the deadline",
        Case(delivery(waited=900), debtor=None),
        Fail("debtor_unknown", "no debtor data after 900s"),
    ),
    # The channel: the step's, the debtor's preferred first, usable, not yet failed or used.
    ("no address for the step's channel", Case(debtor=NO_CONTACTS), Fail("no_consented_channel")),
    ("opted out of the step's only channel", Case(debtor=EMAIL_OPTED_OUT), Fail("no_consented_channel")),
    (
        "opted out of e-mail: SMS",
        Case(delivery(channels=("email", "sms")), debtor=EMAIL_OPTED_OUT, charges=(BOLETO,)),
        Send("sms"),
    ),
    (
        "the debtor prefers SMS",
        Case(delivery(channels=("email", "sms")), debtor=replace(DEBTOR_VIEW, preferred_channels=("sms",))),
        Send("sms"),
    ),
    ("no provider for the channel", Case(providers=frozenset({"sms"})), Fail("no_consented_channel")),
    ("voice has no provider", Case(delivery(channels=("voice",))), Fail("no_consented_channel")),
    (
        "e-mail failed: fall back to SMS",
        Case(delivery(channels=("email", "sms")), attempts=(attempt("email", "failed", at=5),)),
        Send("sms"),
    ),
    (
        "e-mail retrying: e-mail again",
        Case(delivery(channels=("email", "sms")), attempts=(attempt("email", "retrying", at=5),)),
        Send("email"),
    ),
    (
        "a send never recorded (crash) is tried again on its channel",
        Case(attempts=(attempt("email", "sending", at=200),)),
        Send("email"),
    ),
    (
        "every channel failed: the last one tried is named",
        Case(
            delivery(channels=("email", "sms")),
            attempts=(attempt("sms", "failed", at=50), attempt("email", "failed", at=5)),
        ),
        Fail("all_channels_failed", channel="email"),
    ),
    (
        "the only channel failed",
        Case(attempts=(attempt("email", "failed", at=5),)),
        Fail("all_channels_failed", channel="email"),
    ),
    (
        "tried channels exhausted, the others unusable",
        Case(
            delivery(channels=("sms", "email")),
            debtor=replace(DEBTOR_VIEW, phone=None),
            attempts=(attempt("email", "failed", at=5),),
        ),
        Fail("all_channels_failed", channel="email"),
    ),
    # The charges the channel's message shows and the invoice was announced to have.
    ("both charges announced, none arrived", Case(charges=()), Wait("charges")),
    ("both charges announced, the boleto missing", Case(charges=(PIX,)), Wait("charges")),
    (
        "both announced, the boleto missing, just before the deadline",
        Case(delivery(waited=599), charges=(PIX,)),
        Wait("charges"),
    ),
    (
        "both announced, the boleto missing at the deadline: send without it",
        Case(delivery(waited=600), charges=(PIX,)),
        Send("email", frozenset({"boleto"})),
    ),
    (
        "nothing announced yet: every promised code is awaited",
        Case(invoice=replace(ISSUED, charge_methods=None), charges=()),
        Wait("charges"),
    ),
    (
        "nothing ever announced, past the deadline",
        Case(delivery(waited=3600), invoice=replace(ISSUED, charge_methods=None), charges=()),
        Send("email", BOTH),
    ),
    (
        "a method never announced (no Pix) is not waited for",
        Case(invoice=replace(ISSUED, charge_methods=frozenset({"boleto"})), charges=(BOLETO,)),
        Send("email"),
    ),
    (
        "the SMS shows only the boleto: a missing Pix does not hold it",
        Case(delivery(channels=("sms",)), charges=(BOLETO,)),
        Send("sms"),
    ),
    (
        "the SMS waits for its boleto",
        Case(delivery(channels=("sms",)), charges=(PIX,)),
        Wait("charges"),
    ),
]


@pytest.mark.parametrize(("case", "expected"), [c[1:] for c in DECISIONS], ids=[c[0] for c in DECISIONS])
def test_decide(case: Case, expected: Decision) -> None:
    decision = decide(
        case.delivery, case.invoice, case.debtor, case.charges, case.attempts, case.providers, WAITS, NOW
    )
    assert decision == expected


T0 = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)


def invoice(
    status: str | None, *, payment_seen_at: datetime | None = None, status_changed_at: datetime | None = None
) -> InvoiceView:
    return InvoiceView(
        invoice_id=UUID(int=1),
        tenant_id=UUID(int=2),
        debtor_id=UUID(int=3),
        status=status,
        payment_seen_at=payment_seen_at,
        status_changed_at=status_changed_at,
    )


STOP_ON_PAY: list[tuple[str, InvoiceView, str | None]] = [
    ("open", invoice("open"), None),
    ("overdue", invoice("overdue", status_changed_at=T0), None),
    ("nothing known yet", invoice(None), None),
    ("paid", invoice("paid", status_changed_at=T0), "suppressed_paid"),
    ("cancelled", invoice("cancelled", status_changed_at=T0), "suppressed_cancelled"),
    # Owed as the agreement's installments now, never as the original invoice.
    ("renegotiated", invoice("renegotiated", status_changed_at=T0), "suppressed_renegotiated"),
    ("payment seen, no status change", invoice("open", payment_seen_at=T0), "suppressed_paid"),
    ("payment seen before any event of the invoice", invoice(None, payment_seen_at=T0), "suppressed_paid"),
    (
        "payment seen after the last status change",
        invoice("overdue", status_changed_at=T0, payment_seen_at=LATER),
        "suppressed_paid",
    ),
    (
        "status change after the payment (a partial payment reopens)",
        invoice("overdue", payment_seen_at=T0, status_changed_at=LATER),
        None,
    ),
    (
        "status change at the payment's instant",
        invoice("open", payment_seen_at=T0, status_changed_at=T0),
        None,
    ),
    (
        "paid after the payment was seen",
        invoice("paid", payment_seen_at=T0, status_changed_at=LATER),
        "suppressed_paid",
    ),
]


@pytest.mark.parametrize(("invoice", "closed"), [c[1:] for c in STOP_ON_PAY], ids=[c[0] for c in STOP_ON_PAY])
def test_stop_on_pay(invoice: InvoiceView, closed: str | None) -> None:
    assert invoice_closed(invoice) == closed


STOP_REASONS: list[tuple[str, InvoiceView | None, int | None, str | None]] = [
    ("open, amount owed", invoice("open"), 123456, None),
    ("open, amount not known yet", invoice("open"), None, None),
    ("no invoice data yet", None, None, None),
    ("payments cover everything", invoice("open"), 0, "nothing_due"),
    ("overpaid", invoice("overdue", status_changed_at=T0), -100, "nothing_due"),
    (
        "paid and nothing due: the closing reason wins",
        invoice("paid", status_changed_at=T0),
        0,
        "suppressed_paid",
    ),
    ("payment seen, amount still owed", invoice("open", payment_seen_at=T0), 5000, "suppressed_paid"),
]


@pytest.mark.parametrize(
    ("invoice", "due_cents", "reason"), [c[1:] for c in STOP_REASONS], ids=[c[0] for c in STOP_REASONS]
)
def test_stop_reason(invoice: InvoiceView | None, due_cents: int | None, reason: str | None) -> None:
    assert stop_reason(invoice, due_cents) == reason
