"""``/v1/portal/settings``: who is collecting, shown on every portal page (CDC art. 42-A)."""

from __future__ import annotations

from fastapi import APIRouter

from negotiation_service.api.deps import UowDep
from negotiation_service.api.schemas import PortalSettingsRead, PortalSettingsUpdate
from negotiation_service.api.scopes import Admin
from negotiation_service.service_layer import portal as use_cases
from regua_platform.openapi import problems
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1/portal/settings", tags=["settings"])


@router.get(
    "",
    summary="The creditor the portal names on every page (CDC art. 42-A)",
    responses=problems(404, _404="not set yet: the portal shows a neutral notice instead"),
)
async def get_portal_settings(principal: Admin, uow: UowDep) -> PortalSettingsRead:
    found = await use_cases.creditor_of(uow, principal.tenant_id)
    if found is None:
        raise Problem(404, "Portal settings not set", "PUT them to name the creditor on the portal.")
    return PortalSettingsRead.of(found)


@router.put("", summary="Set the creditor's name, CNPJ, address and contact shown on the portal")
async def put_portal_settings(
    body: PortalSettingsUpdate, principal: Admin, uow: UowDep
) -> PortalSettingsRead:
    stored = await use_cases.set_creditor(uow, principal.tenant_id, body.to_domain(), uow.clock.now())
    await uow.commit()
    return PortalSettingsRead.of(stored)
