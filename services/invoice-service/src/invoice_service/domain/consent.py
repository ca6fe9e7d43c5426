"""LGPD consent per channel: who changed it, when, and on what basis.

A debtor who opts out of a channel themselves (the portal) has exercised a
right (LGPD art. 18); the tenant may not quietly undo it through the API. Only
the debtor (another change in the portal) or a change that records a legal
basis (LGPD art. 7: the debtor's own request recorded elsewhere, a legal
obligation, the protection of credit) re-enables the channel, and every
change is kept with who made it and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from invoice_service.domain.models import Channel

#: Who changed a consent: the debtor (the portal's ``debtor.consent-changed``) or the tenant (API).
ConsentSource = Literal["debtor", "api"]
#: The legal bases an API change may cite to re-enable a channel the debtor opted out of.
BasisKind = Literal["debtor_request_recorded", "legal_obligation", "credit_protection"]
BASIS_KINDS: tuple[BasisKind, ...] = ("debtor_request_recorded", "legal_obligation", "credit_protection")


@dataclass(frozen=True, slots=True)
class ConsentBasis:
    """Why an API change may override the debtor's own opt-out: the kind of
    basis and a reference to its evidence (a protocol number, a call record)."""

    kind: BasisKind
    reference: str


@dataclass(frozen=True, slots=True)
class ConsentChange:
    id: UUID
    tenant_id: UUID
    debtor_id: UUID
    channel: Channel
    consent: bool
    source: ConsentSource
    #: The token's subject for an API change; ``debtor`` for the portal.
    actor: str
    basis: ConsentBasis | None
    changed_at: datetime
    recorded_at: datetime


def opted_out_by_debtor(latest: Mapping[Channel, ConsentChange], channel: Channel) -> bool:
    """The channel's last change was the debtor saying no."""
    last = latest.get(channel)
    return last is not None and last.source == "debtor" and not last.consent


def blocked_reenables(
    latest: Mapping[Channel, ConsentChange], requested: Mapping[Channel, bool]
) -> list[Channel]:
    """The channels an API change without a legal basis may not turn back on:
    asked ``True`` while the debtor's own opt-out is the last word on them."""
    return sorted(c for c, consent in requested.items() if consent and opted_out_by_debtor(latest, c))
