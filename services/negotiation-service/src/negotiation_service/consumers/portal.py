"""Payment and debtor events the portal needs: the charges' codes and the debtor's name and consents."""

from __future__ import annotations

from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_contracts import Envelope
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.payment.v1 import ChargeCreatedV1


async def on_charge_created_project(envelope: Envelope, uow: NegotiationUnitOfWork) -> None:
    p = envelope.payload
    assert isinstance(p, ChargeCreatedV1)
    await uow.portal.upsert_charge(
        {
            "id": p.charge_id,
            "tenant_id": envelope.tenantid,
            "invoice_id": p.invoice_id,
            "method": p.method,
            "amount_cents": p.amount_cents,
            "txid": p.txid,
            "pix_copy_paste": p.pix_copy_paste,
            "digitable_line": p.digitable_line,
            "barcode": p.barcode,
            "created_at": p.created_at,
        }
    )


async def on_debtor_updated_project(envelope: Envelope, uow: NegotiationUnitOfWork) -> None:
    p = envelope.payload
    assert isinstance(p, DebtorUpdatedV1)
    await uow.portal.upsert_debtor(
        p.debtor_id,
        envelope.tenantid,
        p.name,
        {str(k): bool(v) for k, v in p.consents.items()},
        uow.clock.now(),
    )
