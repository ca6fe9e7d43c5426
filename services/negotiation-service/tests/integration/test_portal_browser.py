"""The portal in a real headless browser (Debian's Chromium driven by Playwright,
never a downloaded browser), at phone width: open the link, see the debts, pay
one (the page notices the payment), negotiate 3 installments, see the first
installment's codes and its payment. Screenshots go to .local/screenshots/portal/."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from regua_devtools.testing import wait_for

from .conftest import Service
from .portal_helpers import DIGITABLE, charges, debtor_updated, enter, link, set_creditor

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

SCREENSHOTS = Path(__file__).resolve().parents[4] / ".local" / "screenshots" / "portal"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 20_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed: run `apt-get install -y chromium` "
            "(the portal tests never download a browser)."
        )
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_debtor_pays_and_negotiates_in_the_browser(service: Service, browser: Browser) -> None:
    debtor = uuid4()
    a = await service.issued(debtor, 100_000, date(2026, 2, 8))
    b = await service.issued(debtor, 60_000, date(2026, 3, 1))
    c = await service.issued(debtor, 45_000, date(2026, 2, 20))
    await service.overdue(debtor, a, date(2026, 2, 8), 123_456)
    await debtor_updated(service, debtor, "Maria Aparecida Souza")
    await charges(service, debtor, a, 123_456, date(2026, 2, 8))
    await set_creditor(service)
    await service.known(debtor, [a, b, c])
    base = str(service.client.base_url).rstrip("/")

    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="pt-BR",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    await enter(
        service, debtor, a, introduce=False
    )  # the debtor's event is in: the challenge can be answered
    await page.goto(base + link(service, debtor, a))
    # A device the portal does not know: the first 3 digits of the CPF first.
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Confirme que é você")
    await page.get_by_label("3 primeiros números do CPF ou CNPJ").fill("529")
    await page.get_by_role("button", name="Confirmar").click()
    await page.wait_for_url(f"{base}/portal")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Olá, Maria.", timeout=WAIT_MS)
    await expect(page.get_by_text("R$ 1.234,56")).to_be_visible()
    await expect(page.get_by_text("08/02/2026")).to_be_visible()
    await expect(page.get_by_role("region", name="Quem está cobrando")).to_contain_text(
        "CNPJ 11.222.333/0001-81"
    )
    await shot(page, "01-pendencias")

    # Pay the overdue one: QR code, copia e cola, linha digitável; then the payment lands.
    await page.locator(f'a[href="/portal/faturas/{a}"]').click()
    await expect(page.get_by_role("img", name="QR Code Pix para pagar R$ 1.234,56")).to_be_visible()
    await expect(page.get_by_label("Linha digitável")).to_have_value(DIGITABLE)
    await page.get_by_role("button", name="Copiar código Pix").click()
    await expect(page.locator("#copy-feedback")).not_to_be_empty()
    await shot(page, "02-pagar-pix")
    await service.status_changed(debtor, a, "paid", previous="overdue", paid=123_456)
    await expect(page.get_by_text("Pagamento recebido! Obrigado.")).to_be_visible(timeout=WAIT_MS)
    await shot(page, "03-pagamento-recebido")

    # Negotiate the other two in 3 installments, by keyboard-reachable controls.
    await page.get_by_role("link", name="Voltar às pendências").click()
    await page.get_by_role("link", name="Negociar minhas pendências").click()
    await expect(page.get_by_role("checkbox")).to_have_count(2)
    await shot(page, "04-negociar")
    await page.get_by_role("button", name="Ver propostas").click()
    await expect(page.get_by_role("heading", name="Propostas para você")).to_be_visible()
    await expect(page.locator("#condicoes-gerais")).to_contain_text("art. 52, § 2º")
    await shot(page, "05-propostas")
    await page.locator("#oferta-installments_3").check()
    await page.get_by_label("Li as condições e quero fechar este acordo.").check()
    await page.get_by_role("button", name="Fechar acordo").click()
    await expect(page.get_by_role("heading", name="Parcela 3 de 3")).to_be_visible()
    await expect(page.get_by_role("heading", name="Quitar o acordo hoje")).to_be_visible()
    agreement_id = page.url.rsplit("/", 1)[1]

    # The installment invoices and charges arrive (invoice-service, payments-service).
    body = (await service.get(f"/v1/agreements/{agreement_id}")).json()
    first = body["installments"][0]
    installment = UUID(first["installment_id"])
    await service.issued(debtor, first["amount_cents"], date(2026, 3, 13), installment, UUID(agreement_id))
    pix = await charges(service, debtor, installment, first["amount_cents"], date(2026, 3, 13))

    async def codes_shown() -> bool:
        await page.reload()
        return await page.get_by_label("Pix copia e cola").count() == 1

    await wait_for(codes_shown)
    await expect(page.get_by_label("Pix copia e cola")).to_have_value(pix)
    await shot(page, "06-acordo")
    await page.get_by_role("link", name="Pagar a parcela 1").click()
    await expect(page.get_by_role("button", name="Copiar código Pix")).to_be_visible()
    await service.status_changed(debtor, installment, "paid", paid=first["amount_cents"])
    await expect(page.get_by_text("Pagamento recebido! Obrigado.")).to_be_visible(timeout=WAIT_MS)
    await page.goto(f"{base}/portal/acordos/{agreement_id}")
    await expect(page.locator("#p-1 + p .tag")).to_have_text("Paga")
    await shot(page, "07-acordo-parcela-paga")

    await page.get_by_role("link", name="Preferências de contato").click()
    await expect(page.get_by_label("WhatsApp")).to_be_checked()
    await shot(page, "08-preferencias")

    # Keyboard: the first focusable control shows a visible focus ring.
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    await context.close()
