"""Renegotiation end to end, against the real stack (five services as separate
processes, the channel sandbox, Kafka, PostgreSQL): an accepted agreement
pauses the original invoice's reminders while its installments get their own;
when an installment stays unpaid beyond the tolerance the agreement breaks,
the original debt is restored and its dunning resumes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from regua_devtools.testing import wait_for

from .conftest import DAY, TZ, Stack, business_day_before, invoice_of, new_tenant, step, timeline_of

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]


async def messages_of(http: httpx.AsyncClient, stack: Stack, invoice_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"{stack.url('notifier-service')}/v1/messages", params={"invoice_id": invoice_id})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_agreement_pauses_dunning_and_a_broken_one_resumes_it(stack: Stack) -> None:
    today = stack.now().astimezone(TZ).date()
    async with new_tenant(stack) as tenant:
        http = tenant.http
        await tenant.policy(
            # A week ahead: the first installment (a few days off, moved to a
            # business day) is reminded at once, whatever today's weekday.
            step("lembrete", "-P7D", "reminder", "friendly"),
            step("atraso", "P1D", "overdue", "firm"),
            step("final", "P5D", "final_notice", "final"),
        )
        debtor_id, original = await tenant.debtor_with_invoice(
            name="João Lima",
            email=f"joao.{uuid4().hex[:8]}@exemplo.com.br",
            amount_cents=300_000,
            due=business_day_before(today - timedelta(days=2)),
        )

        # Two days overdue: only the latest missed step ("atraso") goes out.
        async def one_sent() -> bool:
            return [m["status"] for m in await messages_of(http, stack, original)] == ["sent"]

        await wait_for(one_sent, timeout=60)

        # The debtor accepts three installments.
        simulate = {"debtor_id": debtor_id, "invoice_ids": [original]}

        async def offers() -> list[dict[str, Any]]:
            r = await http.post(f"{stack.url('negotiation-service')}/v1/offers:simulate", json=simulate)
            return list(r.json()["offers"]) if r.status_code == 200 else []

        await wait_for(offers, timeout=30)
        kinds = {o["kind"]: o for o in await offers()}
        assert "installments_3" in kinds and "cash" in kinds
        offer = kinds["installments_3"]
        assert sum(i["amount_cents"] for i in offer["installments"]) == offer["total_cents"]
        r = await http.post(
            f"{stack.url('negotiation-service')}/v1/agreements",
            json={**simulate, "offer_id": offer["offer_id"]},
        )
        assert r.status_code == 201, r.text
        agreement = r.json()
        assert len(agreement["installments"]) == 3
        r = await http.post(
            f"{stack.url('negotiation-service')}/v1/agreements",
            json={**simulate, "kind": "cash"},
        )
        assert r.status_code == 409, r.text  # the invoice is taken

        async def renegotiated() -> bool:
            return (await invoice_of(http, stack, original))["status"] == "renegotiated"

        await wait_for(renegotiated, timeout=30)

        async def paused() -> bool:
            steps = {s["name"]: s for s in await timeline_of(http, stack, original)}
            return steps["final"]["status"] == "cancelled"

        await wait_for(paused, timeout=30)

        # The installments are invoices of their own, with their own reminders.
        first = agreement["installments"][0]["installment_id"]

        async def installment_reminded() -> bool:
            return any(m["status"] == "sent" for m in await messages_of(http, stack, first))

        await wait_for(installment_reminded, timeout=60)
        assert len(await messages_of(http, stack, original)) == 1

        # The first installment is left unpaid beyond the tolerance (5 days after
        # its due date, which the business-day rule may have moved).
        first_due = date.fromisoformat(agreement["installments"][0]["due_date"])
        await stack.restart(((first_due - today).days + 5 + 2) * DAY)

        async def broken() -> bool:
            r = await http.get(
                f"{stack.url('negotiation-service')}/v1/agreements/{agreement['agreement_id']}"
            )
            return bool(r.json()["status"] == "broken")

        await wait_for(broken, timeout=60)

        async def restored() -> bool:
            return (await invoice_of(http, stack, original))["status"] == "overdue"

        await wait_for(restored, timeout=30)

        # Dunning resumes: the final notice, whose time has passed, goes out now.
        async def resumed() -> bool:
            return len([m for m in await messages_of(http, stack, original) if m["status"] == "sent"]) == 2

        await wait_for(resumed, timeout=60)
        steps = {s["name"]: s for s in await timeline_of(http, stack, original)}
        assert steps["final"]["status"] in ("due", "sent")
        second = agreement["installments"][1]["installment_id"]
        assert (await invoice_of(http, stack, second))["status"] == "cancelled"
