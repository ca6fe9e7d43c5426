"""The debtor portal end to end, in a real headless browser (Debian's Chromium
driven by Playwright; no browser is downloaded), against the five services as
separate processes and the channel sandbox: open the link from a message in
the sandbox, accept a 3-installment offer, pay the first installment by a
signed Pix webhook, and see it marked paid on the page."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from regua_devtools.demo import sign
from regua_devtools.testing import wait_for
from regua_platform.auth import mint_token

from .conftest import SECRET, TZ, Stack, emails_to

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots" / "portal-e2e"
WAIT_MS = 30_000
LINK = re.compile(r"http://127\.0\.0\.1:\d+/portal/l/[A-Za-z0-9_-]+")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `apt-get install -y chromium`.")
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_open_link_accept_installments_pay_the_first_by_pix(stack: Stack, browser: Browser) -> None:
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
    email = f"ana.{uuid4().hex[:8]}@exemplo.com.br"
    today = datetime.now(TZ).date()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15) as http:
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
                "portal_base_url": stack.url("negotiation-service"),
            },
        )
        assert r.status_code == 200, r.text
        r = await http.post(
            f"{stack.url('scheduler-service')}/v1/policies",
            json={
                "name": "portal story",
                "default": True,
                "send_window": None,
                "steps": [
                    {
                        "name": "atraso",
                        "offset": "P1D",
                        "channels": ["email"],
                        "template": "overdue",
                        "tone": "firm",
                    }
                ],
            },
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            f"{stack.url('invoice-service')}/v1/debtors",
            json={
                "external_id": "aluna-portal",
                "name": "Ana Paula Costa",
                "document": "529.982.247-25",
                "email": email,
                "preferred_channels": ["email"],
            },
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            f"{stack.url('invoice-service')}/v1/invoices",
            json={
                "external_id": "mensalidade-portal",
                "debtor_id": r.json()["id"],
                "amount_cents": 240_000,
                "due_date": (today - timedelta(days=3)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text

        # The overdue message carries the portal link.
        await wait_for(lambda: emails_to(stack.sandbox, email), timeout=60)
        match = LINK.search(emails_to(stack.sandbox, email)[0]["body"])
        assert match, "no portal link in the message"

        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, locale="pt-BR", is_mobile=True, has_touch=True
        )
        page = await context.new_page()
        await page.goto(match.group(0))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Olá, Ana", timeout=WAIT_MS)
        await shot(page, "01-pendencias")

        # Accept three installments.
        await page.get_by_role("link", name="Negociar minhas pendências").click()
        await page.get_by_role("button", name="Ver propostas").click()
        await expect(page.get_by_role("heading", name="Propostas para você")).to_be_visible()
        await shot(page, "02-propostas")
        await page.locator("#oferta-installments_3").check()
        await page.get_by_label("Li as condições e quero fechar este acordo.").check()
        await page.get_by_role("button", name="Fechar acordo").click()
        await expect(page.get_by_role("heading", name="Parcela 3 de 3")).to_be_visible(timeout=WAIT_MS)
        agreement_id = page.url.rsplit("/", 1)[1]
        agreement = (
            await http.get(f"{stack.url('negotiation-service')}/v1/agreements/{agreement_id}")
        ).json()
        first = agreement["installments"][0]

        # The installment becomes an invoice with its own Pix (invoice → payments → negotiation).
        async def codes_shown() -> bool:
            await page.reload()
            return await page.get_by_label("Pix copia e cola").count() >= 1

        await wait_for(codes_shown, timeout=60)
        await shot(page, "03-acordo")

        # The debtor pays installment 1; the gateway posts a signed Pix webhook.
        charges = (
            await http.get(
                f"{stack.url('payments-service')}/v1/charges", params={"invoice_id": first["installment_id"]}
            )
        ).json()["items"]
        pix = next(c for c in charges if c["method"] == "pix")
        cents = first["amount_cents"]
        body = orjson.dumps(
            {
                "pix": [
                    {
                        "endToEndId": "E" + uuid4().hex[:31],
                        "txid": pix["txid"],
                        "valor": f"{cents // 100}.{cents % 100:02d}",
                        "horario": datetime.now(TZ).isoformat(timespec="seconds"),
                    }
                ]
            }
        )
        r = await http.post(
            f"{stack.url('payments-service')}/v1/webhooks/pix/{tenant}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Regua-Signature": sign(webhook_secret, body, int(time.time())),
            },
        )
        assert r.status_code == 200, r.text

        async def marked_paid() -> bool:
            await page.reload()
            return (await page.locator("#p-1 + p .tag").inner_text()).strip() == "Paga"

        await wait_for(marked_paid, timeout=60)
        await shot(page, "04-parcela-paga")
        await context.close()
