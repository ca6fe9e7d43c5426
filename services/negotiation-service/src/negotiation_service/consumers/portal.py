"""Payment and debtor events the portal needs: the charges' codes (until
removed) and the debtor's name, consents and segment."""

from __future__ import annotations

from negotiation_service.domain.portal import Charge, challenge_of_document
from negotiation_service.service_layer.keys import PortalKeys
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1
from regua_platform.handlers import EventMeta


async def on_charge_created_project(
    event: ChargeCreatedV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    await uow.portal.upsert_charge(
        Charge(
            id=event.charge_id,
            tenant_id=meta.tenant_id,
            invoice_id=event.invoice_id,
            method=event.method,
            amount_cents=event.amount_cents,
            txid=event.txid,
            pix_copy_paste=event.pix_copy_paste,
            digitable_line=event.digitable_line,
            barcode=event.barcode,
            created_at=event.created_at,
        )
    )


async def on_charge_removed_project(
    event: ChargeRemovedV1, meta: EventMeta, uow: NegotiationUnitOfWork
) -> None:
    await uow.portal.remove_charge(event.charge_id, meta.tenant_id, event.removed_at)


async def on_debtor_updated_project(
    event: DebtorUpdatedV1, meta: EventMeta, uow: NegotiationUnitOfWork, keys: PortalKeys
) -> None:
    """Keeps, of the document, only a keyed hash of the first-device
    challenge's answer (its first 3 characters)."""
    answer = challenge_of_document(event.document)
    await uow.portal.upsert_debtor(
        event.debtor_id,
        meta.tenant_id,
        event.name,
        {str(k): bool(v) for k, v in event.consents.items()},
        event.segment,
        keys.challenge_digest(meta.tenant_id, event.debtor_id, answer) if answer else None,
        uow.clock.now(),
    )
