"""``/v1/debtors/{debtor_id}/portal-links/revoke``: void a debtor's portal access."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from negotiation_service.api.deps import UowDep
from negotiation_service.api.schemas import PortalLinksRevoked
from negotiation_service.api.scopes import DebtorsWrite
from negotiation_service.service_layer import portal as use_cases
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1/debtors", tags=["portal"])


@router.post(
    "/{debtor_id}/portal-links/revoke",
    summary="Void every portal link, session and remembered device of the debtor issued until now",
    description=(
        "Links already sent stop opening the portal (the page says the link was cancelled), open "
        "sessions end at their next request, and every device must answer the first-device "
        "challenge again. Links sent after this call work as usual. Idempotent. 404 for a "
        "debtor this service does not know for the tenant."
    ),
    responses=problems(404),
)
async def revoke_portal_links(debtor_id: UUID, principal: DebtorsWrite, uow: UowDep) -> PortalLinksRevoked:
    until = await use_cases.revoke_links(uow, principal.tenant_id, debtor_id, uow.clock.now())
    await uow.commit()
    return PortalLinksRevoked(debtor_id=debtor_id, revoked_before=until)
