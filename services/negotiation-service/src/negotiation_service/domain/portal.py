"""What the debtor portal knows besides invoices and agreements: the debtor,
and the charges that say how to pay (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from negotiation_service.domain.agreements import AgreementInstallment


@dataclass(frozen=True, slots=True)
class Debtor:
    """Just enough of the debtor for the portal: a name to greet and the
    channel consents (no document, no contacts)."""

    id: UUID
    tenant_id: UUID
    name: str
    consents: Mapping[str, bool]


@dataclass(frozen=True, slots=True)
class Charge:
    """A way to pay an invoice (payments-service's charge-created)."""

    id: UUID
    tenant_id: UUID
    invoice_id: UUID
    method: str
    amount_cents: int
    txid: str | None
    pix_copy_paste: str | None
    digitable_line: str | None
    barcode: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentCodes:
    """What the debtor copies into their bank's app."""

    pix: str | None
    boleto: str | None


def codes_by_method(charges: Sequence[Charge]) -> PaymentCodes:
    """The newest Pix charge's copia e cola and the newest boleto charge's
    digitable line (``charges`` oldest first)."""
    newest = list(reversed(charges))
    return PaymentCodes(
        pix=next((c.pix_copy_paste for c in newest if c.method == "pix" and c.pix_copy_paste), None),
        boleto=next((c.digitable_line for c in newest if c.method == "boleto" and c.digitable_line), None),
    )


def newest_codes(charges: Sequence[Charge]) -> PaymentCodes:
    """The newest copia e cola and the newest digitable line among ``charges``
    (oldest first), whatever the charge's method."""
    newest = list(reversed(charges))
    return PaymentCodes(
        pix=next((c.pix_copy_paste for c in newest if c.pix_copy_paste), None),
        boleto=next((c.digitable_line for c in newest if c.digitable_line), None),
    )


@dataclass(frozen=True, slots=True)
class PayableInstallment:
    """An installment with what paying it takes: whether invoice-service has
    issued its invoice to this debtor yet, and its charges (oldest first)."""

    installment: AgreementInstallment
    issued: bool
    charges: tuple[Charge, ...]
