"""Use cases around charges: create them for an issued invoice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID, uuid4

from payments_service.domain.charges import BoletoAccount, Charge, PixAccount, boleto_charge, pix_charge
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_contracts.payment.v1 import ChargeCreatedV1

log = logging.getLogger("payments.charges")


@dataclass(frozen=True, slots=True)
class ChargeDefaults:
    """Settings-level defaults: the account of tenants without Pix settings, and the boleto bank."""

    pix: PixAccount
    boleto: BoletoAccount


async def pix_account_of(uow: PaymentsUnitOfWork, tenant_id: UUID, defaults: ChargeDefaults) -> PixAccount:
    settings = await uow.pix_settings.get(tenant_id)
    return defaults.pix if settings is None else settings.account


async def create_charges_for_invoice(
    uow: PaymentsUnitOfWork, *, tenant_id: UUID, invoice: InvoiceIssuedV1, defaults: ChargeDefaults
) -> list[Charge]:
    """One Pix and one boleto charge for ``invoice``, once however often it is
    announced; each new charge is published as ``payment.charge-created``."""
    if invoice.amount_cents <= 0:
        log.info("payments.charges.skipped_zero_amount", extra={"invoice_id": str(invoice.invoice_id)})
        return []
    existing = await uow.charges.methods_of_invoice(tenant_id, invoice.invoice_id)
    now = uow.clock.now()
    ids = {"tenant_id": tenant_id, "invoice_id": invoice.invoice_id, "debtor_id": invoice.debtor_id}
    wanted: list[Charge] = []
    if "pix" not in existing:
        account = await pix_account_of(uow, tenant_id, defaults)
        wanted.append(
            pix_charge(
                charge_id=uuid4(),
                **ids,
                amount_cents=invoice.amount_cents,
                due_date=invoice.due_date,
                account=account,
                now=now,
            )
        )
    if "boleto" not in existing:
        number = await uow.charges.next_nosso_numero(tenant_id)
        wanted.append(
            boleto_charge(
                charge_id=uuid4(),
                **ids,
                amount_cents=invoice.amount_cents,
                due_date=invoice.due_date,
                account=defaults.boleto,
                nosso_numero=number,
                now=now,
            )
        )
    created = [charge for charge in wanted if await uow.charges.add(charge)]
    methods = sorted({*existing, *(c.method for c in created)})
    for charge in created:
        uow.publish(
            ChargeCreatedV1(
                debtor_id=charge.debtor_id,
                charge_id=charge.id,
                invoice_id=charge.invoice_id,
                method=charge.method,
                amount_cents=charge.amount_cents,
                due_date=charge.due_date,
                txid=charge.txid,
                pix_copy_paste=charge.pix_copy_paste,
                digitable_line=charge.digitable_line,
                barcode=charge.barcode,
                created_at=charge.created_at,
                invoice_methods=methods,
            ),
            tenant_id=tenant_id,
            subject=str(charge.invoice_id),
        )
        log.info(
            "payments.charge.created",
            extra={
                "charge_id": str(charge.id),
                "invoice_id": str(charge.invoice_id),
                "method": charge.method,
            },
        )
    return created
