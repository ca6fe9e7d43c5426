"""A tenant's own Pix settings: its webhook secret and the static-code option."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from payments_service.domain.charges import PixAccount


@dataclass(frozen=True, slots=True)
class PixSettings:
    """The webhook secret is kept only encrypted (and as its last 4 characters,
    to tell which one is configured): the service's key is needed to read it.

    ``static_codes``: the tenant's explicit choice of static BR Codes on its
    plain key when it has no PSP account (no PSP: nothing expires at a bank,
    so Régua withdraws the code itself when the invoice closes)."""

    tenant_id: UUID
    pix_key: str | None
    merchant_name: str | None
    merchant_city: str | None
    static_codes: bool
    webhook_secret_encrypted: bytes
    webhook_secret_last4: str
    updated_at: datetime

    @property
    def static_account(self) -> PixAccount | None:
        """The plain-key account, when the tenant chose static codes."""
        if not self.static_codes or not (self.pix_key and self.merchant_name and self.merchant_city):
            return None
        return PixAccount(self.pix_key, self.merchant_name, self.merchant_city)
