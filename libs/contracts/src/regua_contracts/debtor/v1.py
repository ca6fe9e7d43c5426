"""Debtor events of invoice-service, version 1 (topic ``regua.invoice.events``).

They carry contact data (personal data under LGPD) so that the notifier can
reach the debtor without reading invoice-service's tables. Consumers keep only
what they need and never log it.
"""

from __future__ import annotations

from pydantic import Field

from regua_contracts.base import Instant, Payload
from regua_contracts.dunning.v1 import Channel


class DebtorUpdatedV1(Payload):
    """A debtor was created or changed (contacts, preferences, consents)."""

    external_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    #: CPF (11 digits) or CNPJ (14 characters), normalised, no punctuation.
    document: str = Field(min_length=11, max_length=14)
    email: str | None = Field(default=None, max_length=254)
    #: E.164, e.g. ``+5511912345678``.
    phone: str | None = Field(default=None, max_length=16)
    whatsapp: str | None = Field(default=None, max_length=16)
    preferred_channels: list[Channel] = Field(default_factory=list)
    #: Per channel: may Régua use it? Absent means no recorded objection.
    consents: dict[Channel, bool] = Field(default_factory=dict)
    updated_at: Instant
    #: The tenant's segment for this debtor (offer rules and strategies per segment).
    segment: str | None = Field(default=None, min_length=1, max_length=64)


class DebtorConsentChangedV1(Payload):
    """The debtor said yes or no to one channel themselves (the portal's
    preferences page). Whoever sends messages honours it at once."""

    channel: Channel
    consent: bool
    changed_at: Instant
