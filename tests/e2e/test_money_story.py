"""Money right to the centavo, end to end (issue 9): the five services as
processes, Kafka, PostgreSQL, the channel sandbox and the PSP and bank
sandboxes.

An invoice of R$ 1.500,00 is partly paid (R$ 1.000,00) before its due date
and then goes overdue. On the third day late the message, the portal and the
PSP's cobv all ask the same figure, computed by hand here:

    open principal 1.500,00 − 1.000,00           =   500,00
    fine 2 % of the principal open at the due date =  10,00
    interest 500,00 × 1 % a month × 3/30 days      =   0,50
                                                  ---------
                                                     510,50

Paying exactly that at the PSP sandbox settles the invoice (``paid``, not
``partially_paid``), the charges are withdrawn and no further message goes
out. A renegotiated invoice's cobv and boleto are withdrawn at the PSP and
the bank, and each installment gets its own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from regua_devtools.testing import wait_for, wait_worker_passes

from .conftest import (
    DAY,
    TZ,
    Stack,
    Tenant,
    brl,
    business_day_from,
    emails_to,
    invoice_of,
    new_tenant,
    open_portal_link,
    step,
    timeline_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]

LINK = re.compile(r"http://127\.0\.0\.1:\d+/portal/l/[A-Za-z0-9_-]+")


async def active_pix(tenant: Tenant, invoice_id: str) -> dict[str, Any]:
    """The invoice's payable Pix charge, once payments-service has it."""

    async def pix() -> dict[str, Any] | None:
        return next((c for c in await tenant.charges(invoice_id) if c["method"] == "pix"), None)

    await wait_for(pix, timeout=60)
    found = await pix()
    assert found is not None
    return found


async def test_partly_paid_then_overdue_every_figure_agrees_and_paying_it_settles(stack: Stack) -> None:
    email = f"carla.{uuid4().hex[:8]}@exemplo.com.br"
    today = stack.now().astimezone(TZ).date()
    due = business_day_from(today + timedelta(days=2))
    async with new_tenant(stack) as tenant:
        http = tenant.http
        await tenant.policy(
            step("atraso", "P1D", "overdue", "firm"), step("final", "P5D", "final_notice", "final")
        )
        _debtor, invoice_id = await tenant.debtor_with_invoice(
            name="Carla Mendes", email=email, amount_cents=150_000, due=due
        )
        pix = await active_pix(tenant, invoice_id)
        assert await tenant.psp_value(pix["txid"], due) == 150_000

        # R$ 1.000,00 arrives before the due date (a Pix callback for part of it).
        r = await tenant.pay_by_pix(pix["txid"], 100_000)
        assert r.status_code == 200, r.text

        async def partly_paid() -> bool:
            return (await invoice_of(http, stack, invoice_id))["status"] == "partially_paid"

        await wait_for(partly_paid, timeout=30)

        # The cobv is revised: on the due date the PSP asks only the 500,00 left.
        async def revised() -> bool:
            charge = next((c for c in await tenant.charges(invoice_id) if c["method"] == "pix"), None)
            return charge is not None and await tenant.psp_value(charge["txid"], due) == 50_000

        await wait_for(revised, timeout=60)

        # Three days late: the overdue message goes out (the latest missed step).
        late = due + timedelta(days=3)
        await stack.restart((late - today).days * DAY)
        await wait_for(lambda: emails_to(stack.sandbox, email), timeout=60)
        [message] = emails_to(stack.sandbox, email)
        expected = 51_050  # 500,00 + 10,00 + 0,50 (module docstring)
        assert brl(expected) in message["body"]

        # invoice-service, the PSP and the portal agree to the centavo.
        amount = (
            await http.get(
                f"{stack.url('invoice-service')}/v1/invoices/{invoice_id}/amount-due",
                params={"on": late.isoformat()},
            )
        ).json()
        assert amount["due_cents"] == expected, amount
        pix = await active_pix(tenant, invoice_id)
        assert pix["pix_copy_paste"] in message["body"]
        assert await tenant.psp_value(pix["txid"], late) == expected
        link = LINK.search(message["body"])
        assert link, "no portal link in the message"
        async with httpx.AsyncClient(follow_redirects=True, timeout=15) as browser:
            page = await open_portal_link(browser, link.group(0))
            assert brl(expected).replace(" ", "\xa0") in page.text or brl(expected) in page.text
            assert "Escola Aurora Ltda" in page.text and "11.222.333/0001-81" in page.text

        # The debtor pays the cobv at the PSP: exactly the figure of the day.
        paid = await tenant.simulate_pix(pix["txid"])
        assert paid["webhook_status"] == 200, paid
        assert paid["pix"]["valor"] == "510.50"

        async def settled() -> bool:
            return (await invoice_of(http, stack, invoice_id))["status"] == "paid"

        await wait_for(settled, timeout=30)
        invoice = await invoice_of(http, stack, invoice_id)
        assert invoice["amount_paid_cents"] == 100_000 + expected

        # No charge can be paid any more, and the boleto is written off at the bank.
        async def withdrawn() -> bool:
            return await tenant.charges(invoice_id) == []

        await wait_for(withdrawn, timeout=60)
        barcodes = await _barcodes(tenant, invoice_id)
        boletos = [b for b in stack.bank.store.boletos.values() if b.barcode in barcodes]
        assert boletos and all(b.status == "written_off" for b in boletos)

        async def final_cancelled() -> bool:
            return {s["name"]: s["status"] for s in await timeline_of(http, stack, invoice_id)}[
                "final"
            ] == "cancelled"

        await wait_for(final_cancelled, timeout=30)

        # A week on, past the final notice's time: nothing more is sent.
        await stack.restart((late - today).days * DAY + 7 * DAY)
        await wait_worker_passes(http, "scheduler-service", "timer", base_url=stack.url("scheduler-service"))
        await wait_worker_passes(http, "notifier-service", "sender", base_url=stack.url("notifier-service"))
        assert len(emails_to(stack.sandbox, email)) == 1


async def _barcodes(tenant: Tenant, invoice_id: str) -> set[str]:
    """Every boleto the invoice ever had (revisions register new ones)."""
    page = await tenant.call("GET", "payments-service", "/v1/charges", params={"invoice_id": invoice_id})
    return {c["barcode"] for c in page["items"] if c["barcode"]}


async def test_renegotiation_withdraws_the_original_charges_and_charges_each_installment(
    stack: Stack,
) -> None:
    today = stack.now().astimezone(TZ).date()
    due = business_day_from(today + timedelta(days=2))
    async with new_tenant(stack) as tenant:
        http = tenant.http
        await tenant.policy(step("lembrete", "-P1D", "reminder", "friendly"))
        debtor_id, original = await tenant.debtor_with_invoice(
            name="Bruno Teixeira",
            email=f"bruno.{uuid4().hex[:8]}@exemplo.com.br",
            amount_cents=90_000,
            due=due,
        )
        pix = await active_pix(tenant, original)
        [boleto] = [c for c in await tenant.charges(original) if c["method"] == "boleto"]

        simulate = {"debtor_id": debtor_id, "invoice_ids": [original]}
        r = await http.post(f"{stack.url('negotiation-service')}/v1/offers:simulate", json=simulate)
        assert r.status_code == 200, r.text
        offer = next(o for o in r.json()["offers"] if o["kind"].startswith("installments"))
        r = await http.post(
            f"{stack.url('negotiation-service')}/v1/agreements",
            json={**simulate, "offer_id": offer["offer_id"]},
        )
        assert r.status_code == 201, r.text
        installments = r.json()["installments"]

        # The original's cobv is removed at the PSP and its boleto written off at the bank.
        async def withdrawn() -> bool:
            return await tenant.charges(original) == []

        await wait_for(withdrawn, timeout=60)
        cobv = (await http.get(f"{stack.psp.url}/sandbox/cobv/{pix['txid']}/value")).json()
        assert cobv["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
        assert [b.status for b in stack.bank.store.boletos.values() if b.barcode == boleto["barcode"]] == [
            "written_off"
        ]

        # Each installment is an invoice with its own cobv (for its own amount) and boleto.
        for installment in installments:
            await wait_for(lambda i=installment: _both(tenant, i["installment_id"]), timeout=60)
            charges = await _both(tenant, installment["installment_id"])
            assert charges is not None
            first_due = date.fromisoformat(installment["due_date"])
            assert await tenant.psp_value(charges["pix"]["txid"], first_due) == installment["amount_cents"]
            assert charges["boleto"]["amount_cents"] == installment["amount_cents"]


async def _both(tenant: Tenant, invoice_id: str) -> dict[str, dict[str, Any]] | None:
    by_method = {c["method"]: c for c in await tenant.charges(invoice_id)}
    return by_method if {"pix", "boleto"} <= by_method.keys() else None
