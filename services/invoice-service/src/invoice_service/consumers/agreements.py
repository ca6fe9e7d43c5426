"""Agreement events (negotiation-service): renegotiate, restore, settle or prepay."""

from __future__ import annotations

from invoice_service.service_layer.agreements import (
    apply_agreement_broken,
    apply_agreement_completed,
    apply_agreement_created,
    apply_agreement_prepaid,
)
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_contracts.agreement.v1 import (
    AgreementBrokenV1,
    AgreementCompletedV1,
    AgreementCreatedV1,
    AgreementPrepaidV1,
)
from regua_platform.handlers import EventMeta


async def on_agreement_created_renegotiate_invoices(
    event: AgreementCreatedV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_agreement_created(uow, meta, event)


async def on_agreement_broken_restore_invoices(
    event: AgreementBrokenV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_agreement_broken(uow, meta, event)


async def on_agreement_completed_settle_invoices(
    event: AgreementCompletedV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_agreement_completed(uow, meta, event)


async def on_agreement_prepaid_issue_payoff(
    event: AgreementPrepaidV1, meta: EventMeta, uow: InvoiceUnitOfWork
) -> None:
    await apply_agreement_prepaid(uow, meta, event)
