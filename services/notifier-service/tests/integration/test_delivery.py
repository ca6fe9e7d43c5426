"""The notifier end to end on real PostgreSQL, Kafka and the channel sandbox."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from regua_br.brcode import build_dynamic_brcode
from regua_br.tokens import LINK_INFO, Keyring, verify_link
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, PaymentReceivedV1
from regua_devtools.testing import wait_for

from .conftest import PORTAL_KEYS, Notifier

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

#: A cobv's dynamic BR Code (the PSP's location; the value is the PSP's on the day of payment).
PIX = build_dynamic_brcode(
    location="psp.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25",
    merchant_name="Escola Aurora",
    merchant_city="Sao Paulo",
)
LINE = "00190500954014481606906809350314337370000000100"
BARCODE = "00193373700000001000500940144816060680935031"


def now() -> datetime:
    return datetime.now(UTC)


def unique_email() -> str:
    return f"devedor.{uuid4().hex[:10]}@exemplo.com.br"


async def load_invoice(
    n: Notifier,
    *,
    email: str | None = None,
    phone: str | None = None,
    whatsapp: str | None = None,
    preferred: list[str] | None = None,
    consents: dict[str, bool] | None = None,
    amount_cents: int = 123456,
    charges: bool = True,
) -> tuple[UUID, UUID]:
    debtor_id, invoice_id = uuid4(), uuid4()
    await n.publish(
        DebtorUpdatedV1(
            debtor_id=debtor_id,
            external_id=f"c-{debtor_id.hex[:8]}",
            name="Maria Aparecida Souza",
            document="52998224725",
            email=email,
            phone=phone,
            whatsapp=whatsapp,
            preferred_channels=preferred or [],
            consents=consents or {},
            updated_at=now(),
        )
    )
    await n.publish(
        InvoiceIssuedV1(
            debtor_id=debtor_id,
            invoice_id=invoice_id,
            external_id="NF-2026-0042",
            amount_cents=amount_cents,
            due_date=date(2026, 12, 10),
            issued_at=now(),
        )
    )
    if charges:
        await publish_charges(n, debtor_id, invoice_id, amount_cents=amount_cents)
    return debtor_id, invoice_id


async def publish_charges(
    n: Notifier,
    debtor_id: UUID,
    invoice_id: UUID,
    *,
    amount_cents: int = 123456,
    methods: tuple[str, ...] = ("pix", "boleto"),
    announced: tuple[str, ...] = ("pix", "boleto"),
) -> None:
    """charge-created for ``methods``, each announcing (as payments-service
    does) every method the invoice gets."""
    for method in methods:
        await n.publish(
            ChargeCreatedV1(
                debtor_id=debtor_id,
                charge_id=uuid4(),
                invoice_id=invoice_id,
                method=method,  # type: ignore[arg-type]
                amount_cents=amount_cents,
                due_date=date(2026, 12, 10),
                txid="REGUATESTTXID0000000000001" if method == "pix" else None,
                pix_copy_paste=PIX if method == "pix" else None,
                digitable_line=LINE if method == "boleto" else None,
                barcode=BARCODE if method == "boleto" else None,
                created_at=now(),
                invoice_methods=list(announced),  # type: ignore[arg-type]
            )
        )


def step(
    debtor_id: UUID,
    invoice_id: UUID,
    *,
    template: str = "reminder",
    channels: list[str] | None = None,
    step_id: UUID | None = None,
) -> StepDueV1:
    return StepDueV1(
        debtor_id=debtor_id,
        step_id=step_id or uuid4(),
        invoice_id=invoice_id,
        policy_id=uuid4(),
        step_name="lembrete",
        step_index=0,
        template=template,
        tone="friendly",
        action="message",
        channels=channels or ["email"],  # type: ignore[arg-type]
        planned_for=now(),
        due_at=now(),
    )


async def test_step_due_sends_one_email_with_amount_pix_and_boleto(notifier: Notifier) -> None:
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    due = step(debtor_id, invoice_id)
    first = await notifier.publish(due)

    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert message["channel"] == "email"
    assert "NF-2026-0042" in message["subject"]
    body = message["body"]
    assert "R$ 1.234,56" in body
    assert PIX in body
    assert "00190.50095 40144.816069 06809.350314 3 37370000000100" in body
    assert "/portal/l/" in body
    assert "11.222.333/0001-81" in body
    # The link is signed with the portal keys (not the JWT secret) and opens the portal for 7 days.
    token = re.search(r"/portal/l/([A-Za-z0-9_-]+)", body)
    assert token
    link = verify_link(Keyring.from_secrets(PORTAL_KEYS, LINK_INFO), token.group(1), now=datetime.now(UTC))
    assert (link.debtor_id, link.invoice_id) == (debtor_id, invoice_id)
    assert link.issued_at is not None and link.expires_at - link.issued_at == timedelta(days=7)

    delivery = await finished(notifier, invoice_id)
    assert delivery["status"] == "sent"
    assert delivery["channel"] == "email"
    assert delivery["provider"] == "smtp"
    assert delivery["attempts"] == 1
    assert "body" not in delivery

    events = await notifier.notification_events()
    sent = [e for e in events if e.type == "br.regua.notification.message-sent.v1"]
    assert len(sent) == 1
    assert sent[0].data["step_id"] == str(due.step_id)
    assert sent[0].data["channel"] == "email"
    assert sent[0].data["message_id"] == delivery["id"]

    # The same event again, and the same step under a new event id: nothing new.
    await notifier.publish(first)
    await notifier.publish(due)
    await notifier.consumed()
    assert len(await notifier.inbox(email)) == 1
    assert len(await notifier.messages(invoice_id)) == 1
    events = await notifier.notification_events()
    assert len([e for e in events if e.type == "br.regua.notification.message-sent.v1"]) == 1


async def delivery_of(n: Notifier, invoice_id: UUID) -> dict[str, Any] | None:
    items = await n.messages(invoice_id)
    return items[0] if items else None


async def finished(n: Notifier, invoice_id: UUID) -> dict[str, Any]:
    """The invoice's one delivery once it has left ``pending``: a message
    reaches the inbox a moment before the sender records the provider's answer."""

    async def done() -> bool:
        items = await n.messages(invoice_id)
        return len(items) == 1 and items[0]["status"] != "pending"

    await wait_for(done, timeout=30)
    [delivery] = await n.messages(invoice_id)
    return delivery


async def test_a_step_due_before_its_charges_waits_and_carries_both_codes(
    patient_notifier: Notifier,
) -> None:
    """Charges and step-due travel on different topics: a step that fires
    first waits (durably, in its delivery row) until the codes are known."""
    notifier = patient_notifier
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email, charges=False)
    await notifier.publish(step(debtor_id, invoice_id))

    async def waiting_for_charges() -> bool:
        d = await delivery_of(notifier, invoice_id)
        return d is not None and d["waiting_for"] == "charges"

    await wait_for(waiting_for_charges, timeout=30)
    # One charge of the two announced: handled, still waiting, nothing sent.
    await publish_charges(notifier, debtor_id, invoice_id, methods=("pix",))
    await notifier.consumed()
    assert await waiting_for_charges()
    assert await notifier.inbox(email) == []

    await publish_charges(notifier, debtor_id, invoice_id, methods=("boleto",))
    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert PIX in message["body"]
    assert "00190.50095 40144.816069 06809.350314 3 37370000000100" in message["body"]
    delivery = await finished(notifier, invoice_id)
    assert (delivery["status"], delivery["waiting_for"], delivery["missing_instruments"]) == (
        "sent",
        None,
        None,
    )


async def test_past_the_charge_deadline_a_message_goes_with_what_exists(notifier: Notifier) -> None:
    """Only the Pix charge ever arrives: after charge_wait_seconds (2 s in these
    tests) the e-mail goes with the Pix code and the portal link, and the
    delivery records that the boleto was missing."""
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email, charges=False)
    await publish_charges(notifier, debtor_id, invoice_id, methods=("pix",))
    await notifier.publish(step(debtor_id, invoice_id))

    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert PIX in message["body"]
    assert "linha digitável" not in message["body"]
    assert "/portal/l/" in message["body"]
    delivery = await finished(notifier, invoice_id)
    assert (delivery["status"], delivery["missing_instruments"]) == ("sent", ["boleto"])


async def test_a_method_the_invoice_will_never_have_is_not_waited_for(notifier: Notifier) -> None:
    """payments-service announced a boleto only (a tenant without Pix): the
    message goes as soon as the boleto is known, nothing recorded missing."""
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email, charges=False)
    await publish_charges(notifier, debtor_id, invoice_id, methods=("boleto",), announced=("boleto",))
    await notifier.publish(step(debtor_id, invoice_id))

    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert "Pix copia e cola" not in message["body"]
    assert "00190.50095 40144.816069 06809.350314 3 37370000000100" in message["body"]
    delivery = await finished(notifier, invoice_id)
    assert (delivery["status"], delivery["missing_instruments"]) == ("sent", None)


async def test_a_paid_invoice_is_suppressed(notifier: Notifier) -> None:
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    await notifier.publish(
        PaymentReceivedV1(
            debtor_id=debtor_id,
            payment_id=uuid4(),
            invoice_id=invoice_id,
            method="pix",
            amount_cents=123456,
            gateway_reference="E" + uuid4().hex[:31],
            paid_at=now(),
        )
    )
    # The payment and the step travel on different topics: the story is "the
    # notifier knew of the payment when the step came", so let it know first.
    await notifier.consumed()
    await notifier.publish(step(debtor_id, invoice_id))

    async def suppressed() -> bool:
        items = await notifier.messages(invoice_id)
        return bool(items) and items[0]["status"] == "suppressed"

    await wait_for(suppressed, timeout=30)
    [delivery] = await notifier.messages(invoice_id)
    assert delivery["reason"] == "suppressed_paid"
    assert await notifier.inbox(email) == []  # suppressed is final


async def test_unknown_template_publishes_message_failed(notifier: Notifier) -> None:
    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    due = step(debtor_id, invoice_id, template="no_such_template")
    await notifier.publish(due)

    async def failed() -> list[object]:
        events = await notifier.notification_events()
        return [e for e in events if e.type == "br.regua.notification.message-failed.v1"]

    await wait_for(failed, timeout=30)
    [event] = await failed()
    assert event.data["reason"] == "unknown_template"  # type: ignore[attr-defined]
    assert event.data["step_id"] == str(due.step_id)  # type: ignore[attr-defined]
    [delivery] = await notifier.messages(invoice_id)
    assert (delivery["status"], delivery["reason"]) == ("failed", "unknown_template")
    assert await notifier.inbox(email) == []


async def test_sms_failures_are_retried_then_fall_back_to_whatsapp(notifier: Notifier) -> None:
    phone = f"+55119{uuid4().int % 10**8:08d}"
    async with httpx.AsyncClient(base_url=notifier.channels.http_url) as sandbox:
        await sandbox.put("/api/faults/sms", json={"status": 500, "count": 100})
        debtor_id, invoice_id = await load_invoice(notifier, phone=phone, preferred=["sms"])
        await notifier.publish(step(debtor_id, invoice_id, channels=["whatsapp", "sms"]))

        # The Cloud API takes the number without the "+".
        await wait_for(lambda: notifier.inbox(phone.lstrip("+")), timeout=30)
        [message] = await notifier.inbox(phone.lstrip("+"))
        assert await notifier.inbox(phone) == []  # no SMS got through
        assert message["channel"] == "whatsapp"
        assert "R$ 1.234,56" in message["body"]
        assert PIX in message["body"]
        faults = (await sandbox.get("/api/faults")).json()
        assert faults["sms"]["refused"] == 3  # max_attempts_per_channel

    delivery = await finished(notifier, invoice_id)
    assert (delivery["status"], delivery["channel"], delivery["provider"]) == (
        "sent",
        "whatsapp",
        "whatsapp-cloud",
    )
    attempts = {a["channel"]: a for a in delivery["channel_attempts"]}
    assert attempts["sms"]["status"] == "failed"
    assert attempts["sms"]["attempts"] == 3
    assert attempts["sms"]["last_error"] == "http_500"
    assert attempts["whatsapp"]["status"] == "sent"


async def test_opted_out_channel_is_skipped(notifier: Notifier) -> None:
    email, phone = unique_email(), f"+55119{uuid4().int % 10**8:08d}"
    debtor_id, invoice_id = await load_invoice(notifier, email=email, phone=phone, consents={"email": False})
    await notifier.publish(step(debtor_id, invoice_id, channels=["email", "sms"]))
    await wait_for(lambda: notifier.inbox(phone), timeout=30)
    [sms] = await notifier.inbox(phone)
    assert sms["channel"] == "sms"
    assert len(sms["body"]) <= 160
    assert await notifier.inbox(email) == []


async def test_step_due_before_its_invoice_waits_for_it(notifier: Notifier) -> None:
    email = unique_email()
    debtor_id, invoice_id = uuid4(), uuid4()
    await notifier.publish(step(debtor_id, invoice_id))
    await notifier.consumed()
    real_debtor, real_invoice = await load_invoice(notifier, email=email)
    # A second invoice loaded under the ids the step named.
    await notifier.publish(
        DebtorUpdatedV1(
            debtor_id=debtor_id,
            external_id="late",
            name="Maria",
            document="52998224725",
            email=email,
            updated_at=now(),
        )
    )
    await notifier.publish(
        InvoiceIssuedV1(
            debtor_id=debtor_id,
            invoice_id=invoice_id,
            external_id="NF-LATE",
            amount_cents=5000,
            due_date=date(2026, 12, 10),
            issued_at=now(),
        )
    )
    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert "NF-LATE" in message["subject"]
    assert "R$ 50,00" in message["body"]
    assert real_debtor and real_invoice


async def test_unknown_invoice_fails_after_the_wait(notifier: Notifier) -> None:
    debtor_id, invoice_id = uuid4(), uuid4()
    await notifier.publish(step(debtor_id, invoice_id))

    async def failed() -> bool:
        items = await notifier.messages(invoice_id)
        return bool(items) and items[0]["status"] == "failed"

    await wait_for(failed, timeout=30)
    [delivery] = await notifier.messages(invoice_id)
    assert delivery["reason"] == "invoice_unknown"


async def test_templates_creditor_settings_and_tenant_scope(notifier: Notifier) -> None:
    c = notifier.client
    templates = (await c.get("/v1/templates", headers=notifier.auth())).json()
    assert {t["name"] for t in templates} == {"reminder", "due_today", "overdue", "final_notice"}
    assert all(t["channels"] == ["email", "sms", "whatsapp"] for t in templates)

    default = (await c.get("/v1/settings/creditor", headers=notifier.auth())).json()
    assert default["is_default"] is True
    bad = await c.put(
        "/v1/settings/creditor",
        headers=notifier.auth(),
        json={
            "name": "X",
            "document": "11.222.333/0001-80",
            "address": "Rua A",
            "portal_base_url": "https://p.x",
        },
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    ok = await c.put(
        "/v1/settings/creditor",
        headers=notifier.auth(),
        json={
            "name": "Escola Aurora Ltda",
            "document": "11.222.333/0001-81",
            "address": "Rua das Flores, 100, São Paulo - SP",
            "portal_base_url": "https://pagar.aurora.com.br/",
        },
    )
    assert ok.status_code == 200, ok.text
    read = (await c.get("/v1/settings/creditor", headers=notifier.auth())).json()
    assert read == {
        "name": "Escola Aurora Ltda",
        "document": "11222333000181",
        "address": "Rua das Flores, 100, São Paulo - SP",
        "portal_base_url": "https://pagar.aurora.com.br",
        "is_default": False,
    }

    email = unique_email()
    debtor_id, invoice_id = await load_invoice(notifier, email=email)
    await notifier.publish(step(debtor_id, invoice_id))
    await wait_for(lambda: notifier.inbox(email), timeout=30)
    [message] = await notifier.inbox(email)
    assert "Escola Aurora Ltda - CNPJ 11.222.333/0001-81" in message["body"]
    assert "https://pagar.aurora.com.br/portal/l/" in message["body"]

    assert await notifier.messages(invoice_id)
    stranger = dataclasses.replace(notifier, tenant=uuid4())
    assert await stranger.messages(invoice_id) == []
    assert (await c.get("/v1/messages", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await c.get("/v1/messages", params={"cursor": "!!"}, headers=notifier.auth())).status_code == 422
