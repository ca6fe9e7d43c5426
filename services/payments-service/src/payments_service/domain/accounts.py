"""A tenant's accounts at its PSP and its bank. Client secrets are kept only
encrypted (and as their last 4 characters, to tell which one is set)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from payments_service.domain.gateways import BeneficiaryAccount


@dataclass(frozen=True, slots=True)
class PspAccount:
    """Where the tenant receives Pix through the Banco Central's API Pix (cobv)."""

    tenant_id: UUID
    base_url: str
    #: OAuth2 token endpoint; ``None``: the PSP's ``{base_url}/oauth/token``.
    token_url: str | None
    client_id: str
    client_secret_encrypted: bytes
    client_secret_last4: str
    #: The receiver's Pix key (``chave`` of every cobv).
    pix_key: str
    #: mTLS material (paths readable by the service), as production PSPs demand.
    client_cert_path: str | None
    client_key_path: str | None
    ca_bundle_path: str | None
    #: ``calendario.validadeAposVencimento`` of every cobv.
    days_valid_after_due: int
    updated_at: datetime
    #: The end of the last reconciliation sweep of ``GET /v2/pix``.
    swept_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class BankAccount:
    """The tenant's beneficiary account: the bank registers its boletos."""

    id: UUID
    tenant_id: UUID
    base_url: str
    client_id: str
    client_secret_encrypted: bytes
    client_secret_last4: str
    bank_code: str
    agency: str
    account: str
    agreement: str
    wallet: str
    beneficiary_name: str
    beneficiary_document: str
    days_valid_after_due: int
    updated_at: datetime

    @property
    def beneficiary(self) -> BeneficiaryAccount:
        return BeneficiaryAccount(
            bank_code=self.bank_code,
            agency=self.agency,
            account=self.account,
            agreement=self.agreement,
            wallet=self.wallet,
            beneficiary_name=self.beneficiary_name,
            beneficiary_document=self.beneficiary_document,
        )
