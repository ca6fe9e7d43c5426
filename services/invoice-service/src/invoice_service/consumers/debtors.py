"""Debtor events from elsewhere: an opt-out given in the portal."""

from __future__ import annotations

import logging

from invoice_service.service_layer.debtors import update_debtor
from invoice_service.service_layer.errors import NotFound
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts import Envelope
from regua_contracts.debtor.v1 import DebtorConsentChangedV1

log = logging.getLogger("invoice.consumers")


async def on_debtor_consent_changed_record(envelope: Envelope, uow: InvoiceUnitOfWork) -> None:
    """The debtor's own choice per channel becomes part of the debtor record, so
    a later ``debtor.updated`` carries it instead of undoing it (LGPD opt-out)."""
    payload = envelope.payload
    assert isinstance(payload, DebtorConsentChangedV1)
    try:
        await update_debtor(
            uow,
            envelope.tenantid,
            payload.debtor_id,
            {"consents": {payload.channel: payload.consent}},
            now=payload.changed_at,
        )
    except NotFound:
        log.warning("invoice.consent.unknown_debtor", extra={"debtor_id": str(payload.debtor_id)})
