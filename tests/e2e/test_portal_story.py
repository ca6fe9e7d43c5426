"""The debtor portal end to end, in a real headless browser (Debian's Chromium
driven by Playwright; no browser is downloaded), against the five services as
separate processes and the channel sandbox: open the link from a message in
the sandbox, accept a 3-installment offer, pay the first installment by a
signed Pix webhook, and see it marked paid on the page."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from regua_devtools.testing import wait_for

from .conftest import CHALLENGE_ANSWER, TZ, Stack, business_day_before, emails_to, new_tenant, step

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
    email = f"ana.{uuid4().hex[:8]}@exemplo.com.br"
    today = stack.now().astimezone(TZ).date()
    async with new_tenant(stack) as tenant:
        http = tenant.http
        await tenant.policy(step("atraso", "P1D", "overdue", "firm"))
        await tenant.debtor_with_invoice(
            name="Ana Paula Costa",
            email=email,
            amount_cents=240_000,
            due=business_day_before(today - timedelta(days=3)),
        )

        # The overdue message carries the portal link.
        await wait_for(lambda: emails_to(stack.sandbox, email), timeout=60)
        match = LINK.search(emails_to(stack.sandbox, email)[0]["body"])
        assert match, "no portal link in the message"

        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, locale="pt-BR", is_mobile=True, has_touch=True
        )
        page = await context.new_page()
        await page.goto(match.group(0))
        # A new device: the portal asks for the first 3 digits of the CPF first.
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Confirme que é você", timeout=WAIT_MS
        )
        await shot(page, "00-confirme")
        await page.get_by_label("3 primeiros números do CPF ou CNPJ").fill(CHALLENGE_ANSWER)
        await page.get_by_role("button", name="Confirmar").click()
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
        pix = await tenant.pix_charge(first["installment_id"])
        r = await tenant.pay_by_pix(pix["txid"], first["amount_cents"])
        assert r.status_code == 200, r.text

        async def marked_paid() -> bool:
            await page.reload()
            return (await page.locator("#p-1 + p .tag").inner_text()).strip() == "Paga"

        await wait_for(marked_paid, timeout=60)
        await shot(page, "04-parcela-paga")
        await context.close()
