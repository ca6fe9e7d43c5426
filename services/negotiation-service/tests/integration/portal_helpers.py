"""Helpers of the portal tests: links, portal settings, payment and debtor events
as their services publish them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID, uuid5

import httpx

from regua_br.brcode import build_dynamic_brcode
from regua_br.tokens import LINK_INFO, Keyring, LinkClaims, sign_link
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1
from regua_devtools.testing import wait_for

from .conftest import PORTAL_KEYS, Service

LINE = "34191790010104351004791020150008291070026000"  # 44 digits (barcode)
DIGITABLE = "34191790010104351004791020150008291070026000123"  # 47 digits


#: The first 3 digits of the CPF every test debtor has (52998224725).
DIGITS = "529"


def link(service: Service, debtor: UUID, invoice: UUID, tenant: UUID | None = None, ttl_days: int = 7) -> str:
    """A link as notifier-service signs it (with the same portal keys), issued now."""
    now = service.clock.now()
    claims = LinkClaims(tenant or service.tenant, debtor, invoice, now + timedelta(days=ttl_days), now)
    return f"/portal/l/{sign_link(Keyring.from_secrets(PORTAL_KEYS, LINK_INFO), claims)}"


def challenge_csrf(html: str) -> str:
    return field(html, "csrf")


async def enter(
    service: Service,
    debtor: UUID,
    invoice: UUID,
    *,
    client: httpx.AsyncClient | None = None,
    introduce: bool = True,
) -> httpx.Response:
    """Open a link on ``client`` (the service's by default) as the debtor
    would: on a device the portal does not know yet, answer the first-device
    challenge. ``introduce``: publish the debtor first (its document is what
    the challenge asks about); tests that publish it themselves pass False."""
    http = client or service.client
    if introduce:
        await debtor_updated(service, debtor, "Cliente Teste")
    url = link(service, debtor, invoice)
    opened = await http.get(url)
    if opened.status_code == 303:
        return opened  # a device it knows
    assert opened.status_code == 200 and "Confirme que é você" in opened.text, opened.text
    csrf = challenge_csrf(opened.text)
    answered: list[httpx.Response] = []

    async def passed() -> bool:
        r = await http.post(url, data={"csrf": csrf, "digitos": DIGITS})
        answered.append(r)
        return r.status_code == 303  # 503 until the debtor's event is consumed

    await wait_for(passed)
    return answered[-1]


CREDITOR = {
    "creditor_name": "Escola Aurora Ltda",
    "creditor_document": "11.222.333/0001-81",
    "creditor_address": "Rua das Flores, 100, Centro, São Paulo - SP, 01001-000",
    "contact_email": "financeiro@escola-aurora.com.br",
    "contact_phone": "(11) 3333-4444",
}


async def set_creditor(service: Service, tenant: UUID | None = None) -> None:
    r = await service.put("/v1/portal/settings", CREDITOR, tenant=tenant)
    assert r.status_code == 200, r.text


def creditor_shown(html: str) -> bool:
    """The page names who is collecting (CDC art. 42-A): name, CNPJ, address, contact."""
    return all(
        part in html
        for part in (
            'id="credor"',
            "Escola Aurora Ltda",
            "CNPJ 11.222.333/0001-81",
            "Rua das Flores, 100",
            "financeiro@escola-aurora.com.br",
            "(11) 3333-4444",
        )
    )


async def debtor_updated(
    service: Service,
    debtor: UUID,
    name: str,
    consents: dict[str, bool] | None = None,
    segment: str | None = None,
) -> None:
    await service.produce(
        DebtorUpdatedV1(
            debtor_id=debtor,
            external_id=f"d-{debtor.hex[:8]}",
            name=name,
            document="52998224725",
            consents=consents or {},  # type: ignore[arg-type]
            updated_at=service.clock.now(),
            segment=segment,
        )
    )


async def charges(
    service: Service, debtor: UUID, invoice: UUID, amount_cents: int, due: date, pix: str | None = None
) -> str:
    """A Pix (a cobv's dynamic BR Code unless ``pix`` is given) and a boleto
    charge for the invoice; the Pix copia e cola."""
    given = pix
    pix = pix or build_dynamic_brcode(
        location=f"pix.example.com/qr/v2/cobv/{invoice.hex}",
        merchant_name="Escola Aurora",
        merchant_city="Sao Paulo",
    )
    for method in ("pix", "boleto"):
        await service.produce(
            ChargeCreatedV1(
                debtor_id=debtor,
                charge_id=uuid5(invoice, method if given is None else f"{method}:{given}"),
                invoice_id=invoice,
                method=method,  # type: ignore[arg-type]
                amount_cents=amount_cents,
                due_date=due,
                txid=("T" + invoice.hex)[:30] if method == "pix" else None,
                pix_copy_paste=pix if method == "pix" else None,
                digitable_line=DIGITABLE if method == "boleto" else None,
                barcode=LINE if method == "boleto" else None,
                created_at=service.clock.now(),
            )
        )
    return pix


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in page"
    return match.group(1)


async def charge_removed(service: Service, debtor: UUID, invoice: UUID, method: str) -> None:
    """payment.charge-removed for the charge :func:`charges` created with ``method`` (and its own code)."""
    await service.produce(
        ChargeRemovedV1(
            debtor_id=debtor,
            charge_id=uuid5(invoice, method),
            invoice_id=invoice,
            method=method,  # type: ignore[arg-type]
            reason="invoice paid",
            removed_at=service.clock.now(),
        )
    )
