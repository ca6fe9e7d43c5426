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

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import uuid4

import pytest

from regua_devtools.testing import wait_for, wait_worker_passes

from .conftest import (
    DAY,
    TZ,
    Stack,
    brl,
    business_day_from,
    digits,
    emails_to,
    invoice_of,
    new_tenant,
    step,
    timeline_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]


async def test_remind_overdue_pay_once_and_stop(stack: Stack) -> None:
    email = f"maria.{uuid4().hex[:8]}@exemplo.com.br"
    principal = 150_000
    today = stack.now().astimezone(TZ).date()
    # A business day (no weekend grace), usually in two days.
    due = business_day_from(today + timedelta(days=2))
    ahead = (due - today).days
    async with new_tenant(stack) as tenant:
        http = tenant.http
        await tenant.policy(
            step("lembrete", f"-P{ahead + 1}D", "reminder", "friendly"),
            step("vespera", "-P1D", "reminder", "friendly"),
            step("atraso", "P1D", "overdue", "firm"),
            step("final", "P5D", "final_notice", "final"),
        )
        # A debtor and an invoice due in two days.
        _debtor, invoice_id = await tenant.debtor_with_invoice(
            name="Maria Souza", email=email, amount_cents=principal, due=due
        )

        # The reminder arrives with the amount, the Pix code and the linha digitável.
        await wait_for(lambda: emails_to(stack.sandbox, email), timeout=60)
        charges = (
            await http.get(f"{stack.url('payments-service')}/v1/charges", params={"invoice_id": invoice_id})
        ).json()["items"]
        pix = next(c for c in charges if c["method"] == "pix" and c["status"] == "active")
        boleto = next(c for c in charges if c["method"] == "boleto" and c["status"] == "active")
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

        # Two days overdue: one overdue message, no burst.
        await stack.restart((ahead + 2) * DAY)
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
        end_to_end = "E" + uuid4().hex[:31]
        outcomes = []
        for _ in range(2):
            r = await tenant.pay_by_pix(pix["txid"], due_now, end_to_end)
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

        # Eight days after the due date the final notice's time has passed: nothing more is sent.
        await stack.restart((ahead + 8) * DAY)
        # The timer has looked at the steps at the new time, and the sender at its deliveries.
        await wait_worker_passes(http, "scheduler-service", "timer", base_url=stack.url("scheduler-service"))
        await wait_worker_passes(http, "notifier-service", "sender", base_url=stack.url("notifier-service"))
        assert len(emails_to(stack.sandbox, email)) == sent_before == 2
        statuses = {s["name"]: s["status"] for s in await timeline_of(http, stack, invoice_id)}
        assert statuses["final"] == "cancelled"
        assert (await invoice_of(http, stack, invoice_id))["status"] == "paid"
