"""What the debtor portal knows besides invoices and agreements: who is
collecting, the debtor, and the charges that say how to pay (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from negotiation_service.domain.agreements import AgreementInstallment
from negotiation_service.domain.invoices import Invoice
from regua_br.brcode import BrCodeError, parse_brcode, parse_dynamic_brcode
from regua_br.documents import normalise_document


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Who is collecting, shown on every page of the tenant's portal (CDC art.
    42-A: the creditor's name, CNPJ and address) with a way to reach them."""

    creditor_name: str
    #: Normalised CNPJ (14 characters, no punctuation).
    creditor_document: str
    creditor_address: str
    contact_email: str | None
    contact_phone: str | None

    def __post_init__(self) -> None:
        if normalise_document(self.creditor_document) != self.creditor_document:
            raise ValueError("creditor_document must be a normalised CNPJ")
        if len(self.creditor_document) != 14:
            raise ValueError("the creditor is identified by a CNPJ")
        if not (self.contact_email or self.contact_phone):
            raise ValueError("the creditor needs a contact: an e-mail or a phone")


@dataclass(frozen=True, slots=True)
class Debtor:
    """Just enough of the debtor for the portal: a name to greet and the
    channel consents (no document, no contacts)."""

    id: UUID
    tenant_id: UUID
    name: str
    consents: Mapping[str, bool]
    #: The tenant's segment for this debtor (offer rules per segment).
    segment: str | None = None


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
    #: A removed charge (cobv removed, boleto written off) is never shown.
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentCodes:
    """What the debtor copies into their bank's app."""

    pix: str | None
    boleto: str | None


def pix_pays_exactly(code: str, amount_cents: int) -> bool:
    """Whether paying ``code`` pays exactly ``amount_cents``.

    A dynamic code carries no amount of its own: the payer's app fetches the
    cobv from the PSP, which prices the day of payment by the same rule as
    ``regua_br.amount_due`` (the page shows that figure next to it). A static
    code (the tenant's plain-key option) states its amount (field 54): it
    must be this one; one without an amount would let the payer type any.
    Anything that is neither is not shown."""
    try:
        parse_dynamic_brcode(code)
    except BrCodeError:
        pass
    else:
        return True
    try:
        return parse_brcode(code).amount_cents == amount_cents
    except BrCodeError:
        return False


def payable_codes(charges: Sequence[Charge], amount_cents: int) -> PaymentCodes:
    """The codes that pay exactly ``amount_cents`` today, from ``charges``
    (oldest first): the newest Pix copia e cola that does, and the newest
    boleto line (the bank charges the fine and interest as instructions on
    the day of payment). Removed charges are never shown; nothing is shown
    when nothing is due."""
    if amount_cents <= 0:
        return PaymentCodes(None, None)
    newest = [c for c in reversed(charges) if c.removed_at is None]
    return PaymentCodes(
        pix=next(
            (
                c.pix_copy_paste
                for c in newest
                if c.pix_copy_paste and pix_pays_exactly(c.pix_copy_paste, amount_cents)
            ),
            None,
        ),
        boleto=next((c.digitable_line for c in newest if c.digitable_line), None),
    )


@dataclass(frozen=True, slots=True)
class PayableInstallment:
    """An installment with what paying it takes: its invoice once invoice-service
    issued it to this debtor, and its charges (oldest first)."""

    installment: AgreementInstallment
    invoice: Invoice | None
    charges: tuple[Charge, ...]
