"""Helpers of the portal tests: links, payment and debtor events as their services publish them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID, uuid4

from regua_br.tokens import LINK_INFO, Keyring, LinkClaims, sign_link
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.payment.v1 import ChargeCreatedV1

from .conftest import SECRET, Service

LINE = "34191790010104351004791020150008291070026000"  # 44 digits (barcode)
DIGITABLE = "34191790010104351004791020150008291070026000123"  # 47 digits


def link(
    service: Service, debtor: UUID, invoice: UUID, tenant: UUID | None = None, ttl_days: int = 30
) -> str:
    claims = LinkClaims(
        tenant or service.tenant, debtor, invoice, service.clock.now() + timedelta(days=ttl_days)
    )
    return f"/portal/l/{sign_link(Keyring.derived(SECRET, LINK_INFO), claims)}"


async def debtor_updated(
    service: Service, debtor: UUID, name: str, consents: dict[str, bool] | None = None
) -> None:
    await service.produce(
        DebtorUpdatedV1(
            debtor_id=debtor,
            external_id=f"d-{debtor.hex[:8]}",
            name=name,
            document="52998224725",
            consents=consents or {},  # type: ignore[arg-type]
            updated_at=service.clock.now(),
        )
    )


async def charges(service: Service, debtor: UUID, invoice: UUID, amount_cents: int, due: date) -> str:
    """A Pix and a boleto charge for the invoice; the Pix copia e cola."""
    pix = f"00020101021226830014br.gov.bcb.pix2561pix.example.com/qr/v2/{invoice.hex}5204000053039865802BR6304ABCD"
    for method in ("pix", "boleto"):
        await service.produce(
            ChargeCreatedV1(
                debtor_id=debtor,
                charge_id=uuid4(),
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
