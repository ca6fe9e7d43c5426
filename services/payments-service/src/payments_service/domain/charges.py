"""Charges: the ways to pay one invoice (a Pix BR Code and a boleto), built purely
from the invoice, the tenant's receiving account and the next nosso número."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from regua_br.boleto import build_boleto, free_field_for
from regua_br.brcode import build_brcode
from payments_service.domain.txid import txid_for

Method = Literal["pix", "boleto", "card"]


@dataclass(frozen=True, slots=True)
class PixAccount:
    """Where a tenant receives Pix: its key and the name and city shown to payers."""

    pix_key: str
    merchant_name: str
    merchant_city: str


@dataclass(frozen=True, slots=True)
class BoletoAccount:
    bank_code: str
    free_field_prefix: str = ""


@dataclass(frozen=True, slots=True)
class Charge:
    id: UUID
    tenant_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    method: Method
    amount_cents: int
    due_date: date
    created_at: datetime
    txid: str | None = None
    pix_copy_paste: str | None = None
    nosso_numero: int | None = None
    barcode: str | None = None
    digitable_line: str | None = None


def pix_charge(
    *,
    charge_id: UUID,
    tenant_id: UUID,
    invoice_id: UUID,
    debtor_id: UUID,
    amount_cents: int,
    due_date: date,
    account: PixAccount,
    now: datetime,
) -> Charge:
    txid = txid_for(charge_id)
    code = build_brcode(
        pix_key=account.pix_key,
        merchant_name=account.merchant_name,
        merchant_city=account.merchant_city,
        amount_cents=amount_cents,
        txid=txid,
    )
    return Charge(
        id=charge_id,
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        debtor_id=debtor_id,
        method="pix",
        amount_cents=amount_cents,
        due_date=due_date,
        created_at=now,
        txid=txid,
        pix_copy_paste=code,
    )


def boleto_charge(
    *,
    charge_id: UUID,
    tenant_id: UUID,
    invoice_id: UUID,
    debtor_id: UUID,
    amount_cents: int,
    due_date: date,
    account: BoletoAccount,
    nosso_numero: int,
    now: datetime,
) -> Charge:
    boleto = build_boleto(
        bank_code=account.bank_code,
        amount_cents=amount_cents,
        due=due_date,
        free_field=free_field_for(nosso_numero, prefix=account.free_field_prefix),
    )
    return Charge(
        id=charge_id,
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        debtor_id=debtor_id,
        method="boleto",
        amount_cents=amount_cents,
        due_date=due_date,
        created_at=now,
        nosso_numero=nosso_numero,
        barcode=boleto.barcode,
        digitable_line=boleto.digitable_line,
    )


def refundable_cents(amount_cents: int, reversed_cents: int) -> int:
    """What may still be given back of a payment: never more than was paid."""
    return max(amount_cents - reversed_cents, 0)
