"""``/v1/invoices/{id}/timeline``: an invoice's planned steps and what became of them."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from regua_platform.openapi import problems
from scheduler_service.api.deps import UowDep
from scheduler_service.api.schemas import TimelineRead
from scheduler_service.api.scopes import InvoicesRead
from scheduler_service.service_layer import plans

router = APIRouter(prefix="/v1/invoices", tags=["timeline"])


@router.get(
    "/{invoice_id}/timeline",
    summary="The invoice's steps in order, with status and reason",
    responses=problems(404, _404="No dunning plan for this invoice in this tenant"),
)
async def get_timeline(invoice_id: UUID, principal: InvoicesRead, uow: UowDep) -> TimelineRead:
    return TimelineRead.of(await plans.timeline(uow, tenant_id=principal.tenant_id, invoice_id=invoice_id))
