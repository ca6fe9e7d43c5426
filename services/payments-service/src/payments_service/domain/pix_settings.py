"""A tenant's own Pix settings: its receiving account and its webhook secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from payments_service.domain.charges import PixAccount


@dataclass(frozen=True, slots=True)
class PixSettings:
    """The webhook secret is kept only encrypted (and as its last 4 characters,
    to tell which one is configured): the service's key is needed to read it."""

    tenant_id: UUID
    pix_key: str
    merchant_name: str
    merchant_city: str
    webhook_secret_encrypted: bytes
    webhook_secret_last4: str
    updated_at: datetime

    @property
    def account(self) -> PixAccount:
        return PixAccount(self.pix_key, self.merchant_name, self.merchant_city)
