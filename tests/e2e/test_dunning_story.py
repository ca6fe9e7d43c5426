"""The dunning loop end to end, against the real stack: Kafka, PostgreSQL, the
four services as separate processes and the channel sandbox (a real SMTP
server and the HTTP provider stand-ins).

A debtor is reminded before the due date with the right amount, Pix code and
linha digitável; the services are restarted "four days later" (a shifted
clock) and the invoice is overdue with fine and interest; a signed Pix webhook
is posted twice; the invoice is paid once, the remaining steps are cancelled,
and "ten days later" no further message leaves.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import uuid4

import httpx
import orjson
import pytest

from regua_devtools.demo import sign
from regua_devtools.testing import wait_for
from regua_platform.auth import mint_token

from .conftest import DAY, SECRET, TZ, Stack, brl, digits, emails_to, invoice_of, timeline_of

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]


async def test_remind_overdue_pay_once_and_stop(stack: Stack) -> None:
    tenant = uuid4()
    token = mint_token(
        secret=SECRET,
        tenant_id=tenant,
        scopes=["admin"],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    webhook_secret = secrets.token_urlsafe(24)
    email = f"maria.{uuid4().hex[:8]}@exemplo.com.br"
    principal = 150_000
    today = datetime.now(TZ).date()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15) as http:
        # The creditor, its Pix account, and a régua.
        r = await http.put(
            f"{stack.url('payments-service')}/v1/settings/pix",
            json={
                "pix_key": "financeiro@escola-aurora.com.br",
                "merchant_name": "ESCOLA AURORA",
                "merchant_city": "SAO PAULO",
                "webhook_secret": webhook_secret,
            },
        )
        assert r.status_code == 200, r.text
        r = await http.put(
            f"{stack.url('notifier-service')}/v1/settings/creditor",
            json={
                "name": "Escola Aurora Ltda",
                "document": "11222333000181",
                "address": "Rua das Flores, 100, São Paulo - SP",
                "portal_base_url": "http://127.0.0.1:8004",
            },
        )
        assert r.status_code == 200, r.text
        r = await http.post(
            f"{stack.url('scheduler-service')}/v1/policies",
            json={
                "name": "story",
                "default": True,
                "send_window": None,
                "steps": [
                    {
                        "name": "lembrete",
                        "offset": "-P3D",
                        "channels": ["email"],
                        "template": "reminder",
                        "tone": "friendly",
                    },
                    {
                        "name": "vespera",
                        "offset": "-P1D",
                        "channels": ["email"],
                        "template": "reminder",
                        "tone": "friendly",
                    },
                    {
                        "name": "atraso",
                        "offset": "P1D",
                        "channels": ["email"],
                        "template": "overdue",
                        "tone": "firm",
                    },
                    {
                        "name": "final",
                        "offset": "P5D",
                        "channels": ["email"],
                        "template": "final_notice",
                        "tone": "final",
                    },
                ],
            },
        )
        assert r.status_code == 201, r.text

        # A debtor and an invoice due in two days.
        r = await http.post(
            f"{stack.url('invoice-service')}/v1/debtors",
            json={
                "external_id": "aluno-1",
                "name": "Maria Souza",
                "document": "529.982.247-25",
                "email": email,
                "preferred_channels": ["email"],
            },
        )
        assert r.status_code == 201, r.text
        debtor_id = r.json()["id"]
        due = today + timedelta(days=2)
        r = await http.post(
            f"{stack.url('invoice-service')}/v1/invoices",
            json={
                "external_id": "mensalidade-1",
                "debtor_id": debtor_id,
                "amount_cents": principal,
                "due_date": due.isoformat(),
                "description": "Mensalidade",
            },
        )
        assert r.status_code == 201, r.text
        invoice_id = r.json()["id"]

        # The reminder arrives with the amount, the Pix code and the linha digitável.
        await wait_for(lambda: emails_to(stack.sandbox, email), timeout=60)
        charges = (
            await http.get(f"{stack.url('payments-service')}/v1/charges", params={"invoice_id": invoice_id})
        ).json()["items"]
        pix = next(c for c in charges if c["method"] == "pix")
        boleto = next(c for c in charges if c["method"] == "boleto")
        [reminder] = emails_to(stack.sandbox, email)
        body = reminder["body"]
        assert brl(principal) in body
        assert pix["pix_copy_paste"] in body
        assert boleto["digitable_line"] in digits(body)
        assert "Escola Aurora Ltda" in body and "11.222.333/0001-81" in body
        timeline = await timeline_of(http, stack, invoice_id)
        assert [s["status"] for s in timeline][:2] == ["sent", "scheduled"] or [
            s["status"] for s in timeline
        ][:2] == ["due", "scheduled"]

        # Four days later (two days overdue): one overdue message, no burst.
        await stack.restart(4 * DAY)
        await wait_for(lambda: len(emails_to(stack.sandbox, email)) >= 2, timeout=60)
        invoice = await invoice_of(http, stack, invoice_id)
        assert invoice["status"] == "overdue"
        days = invoice["days_overdue"]
        assert days >= 1
        fine = principal * 2 // 100
        interest = int((Decimal(principal) / 100 * days / 30).quantize(Decimal(1), ROUND_HALF_UP))
        assert invoice["fine_cents"] == fine
        assert invoice["amount_due_cents"] == principal + fine + interest
        due_now = invoice["amount_due_cents"]
        timeline = await timeline_of(http, stack, invoice_id)
        statuses = {s["name"]: s["status"] for s in timeline}
        assert statuses["vespera"] == "skipped"  # catch-up: only the latest missed step
        assert statuses["atraso"] in ("due", "sent")
        assert statuses["final"] == "scheduled"

        # The debtor pays by Pix; the gateway posts the webhook twice.
        payload = orjson.dumps(
            {
                "pix": [
                    {
                        "endToEndId": "E" + uuid4().hex[:31],
                        "txid": pix["txid"],
                        "valor": f"{due_now // 100}.{due_now % 100:02d}",
                        "horario": stack.now().isoformat(timespec="seconds"),
                    }
                ]
            }
        )
        outcomes = []
        for _ in range(2):
            t = int(time.time()) + stack.offset_s
            r = await http.post(
                f"{stack.url('payments-service')}/v1/webhooks/pix/{tenant}",
                content=payload,
                headers={
                    "Content-Type": "application/json",
                    "X-Regua-Signature": sign(webhook_secret, payload, t),
                },
            )
            assert r.status_code == 200, r.text
            outcomes.append(r.json()["results"][0]["outcome"])
        assert outcomes == ["recorded", "duplicate"]

        async def paid() -> bool:
            return (await invoice_of(http, stack, invoice_id))["status"] == "paid"

        await wait_for(paid, timeout=30)
        invoice = await invoice_of(http, stack, invoice_id)
        assert invoice["amount_paid_cents"] == due_now
        assert invoice["amount_due_cents"] == 0
        payments = (
            await http.get(f"{stack.url('payments-service')}/v1/payments", params={"invoice_id": invoice_id})
        ).json()
        assert len(payments) == 1

        async def final_cancelled() -> bool:
            steps = await timeline_of(http, stack, invoice_id)
            return {s["name"]: s["status"] for s in steps}["final"] == "cancelled"

        await wait_for(final_cancelled, timeout=30)
        sent_before = len(emails_to(stack.sandbox, email))

        # Ten days later the final notice's time has passed: nothing more is sent.
        await stack.restart(10 * DAY)
        await asyncio.sleep(3)
        assert len(emails_to(stack.sandbox, email)) == sent_before == 2
        statuses = {s["name"]: s["status"] for s in await timeline_of(http, stack, invoice_id)}
        assert statuses["final"] == "cancelled"
        assert (await invoice_of(http, stack, invoice_id))["status"] == "paid"
