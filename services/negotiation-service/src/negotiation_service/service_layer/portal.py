"""Use cases of the portal that write: the debtor's channel preferences."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_contracts.dunning.v1 import Channel

log = logging.getLogger("negotiation.portal")
#: The channels a debtor can turn off in the portal.
PORTAL_CHANNELS: tuple[Channel, ...] = ("email", "sms", "whatsapp")


async def consents_of(uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID) -> dict[str, bool]:
    """Every portal channel's consent; absent means no recorded objection (allowed)."""
    row = await uow.portal.debtor(tenant_id, debtor_id)
    stored = dict(row.consents) if row else {}
    return {c: stored.get(c, True) is not False for c in PORTAL_CHANNELS}


async def change_consents(
    uow: NegotiationUnitOfWork, tenant_id: UUID, debtor_id: UUID, wanted: dict[str, bool], now: datetime
) -> list[Channel]:
    """Store and announce (debtor.consent-changed) each channel whose consent changed."""
    current = await consents_of(uow, tenant_id, debtor_id)
    changed = [c for c in PORTAL_CHANNELS if c in wanted and wanted[c] != current[c]]
    for channel in changed:
        await uow.portal.set_consent(tenant_id, debtor_id, channel, wanted[channel], now)
        uow.publish(
            DebtorConsentChangedV1(
                debtor_id=debtor_id, channel=channel, consent=wanted[channel], changed_at=now
            ),
            tenant_id=tenant_id,
            subject=str(debtor_id),
        )
        log.info(
            "portal.consent.changed",
            extra={"debtor_id": str(debtor_id), "channel": channel, "consent": wanted[channel]},
        )
    return changed
