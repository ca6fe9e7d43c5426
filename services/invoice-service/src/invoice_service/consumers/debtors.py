"""Debtor events from elsewhere: an opt-out given in the portal."""

from __future__ import annotations

import logging

from invoice_service.service_layer.debtors import update_debtor
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_platform.errors import NotFound
from regua_platform.handlers import EventMeta

log = logging.getLogger("invoice.consumers")


async def on_debtor_consent_changed_record(
    event: DebtorConsentChangedV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    """The debtor's own choice per channel becomes part of the debtor record, so
    a later ``debtor.updated`` carries it instead of undoing it (LGPD opt-out)."""
    try:
        await update_debtor(
            uow,
            meta.tenant_id,
            event.debtor_id,
            {"consents": {event.channel: event.consent}},
            now=event.changed_at,
            actor="debtor",
            source="debtor",
        )
    except NotFound:
        log.warning("invoice.consent.unknown_debtor", extra={"debtor_id": str(event.debtor_id)})
