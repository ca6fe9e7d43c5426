"""What the debtor portal knows besides invoices and agreements: who is
collecting, the debtor, and the charges that say how to pay (pure)."""

from __future__ import annotations

import hashlib
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
    #: The keyed hash of the first-device challenge's answer (None: not known yet).
    challenge_digest: str | None = None


#: How many leading characters of the CPF/CNPJ the first-device challenge asks for.
CHALLENGE_LENGTH = 3


def _alphanumerics(text: str) -> str:
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


def challenge_of_document(document: str) -> str | None:
    """The answer the first-device challenge expects: the first 3 characters
    of the CPF/CNPJ (digits, or letters of an alphanumeric CNPJ) without
    punctuation; None for a document too short to be one."""
    cleaned = _alphanumerics(document)
    return cleaned[:CHALLENGE_LENGTH] if len(cleaned) >= 11 else None


def challenge_answer(typed: str) -> str | None:
    """What the debtor typed, read as :func:`challenge_of_document` reads the
    document ("529", "529.", "12a"); None unless it is exactly 3 characters."""
    cleaned = _alphanumerics(typed[:20])
    return cleaned if len(cleaned) == CHALLENGE_LENGTH else None


def link_id(tenant_id: UUID, debtor_id: UUID, invoice_id: UUID, expires_at: datetime) -> str:
    """A link's identity (its wrong answers are counted under it): a digest of
    its claims, so two encodings of one token count as one link."""
    text = f"{tenant_id}:{debtor_id}:{invoice_id}:{int(expires_at.timestamp())}"
    return hashlib.sha256(text.encode()).hexdigest()


def revoked(issued_at: datetime | None, revoked_before: datetime | None) -> bool:
    """Whether a token issued at ``issued_at`` (None: an older token that does
    not say) is void under a revocation up to ``revoked_before``: ties void it
    (token times are whole seconds)."""
    if revoked_before is None:
        return False
    return issued_at is None or issued_at <= revoked_before


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
