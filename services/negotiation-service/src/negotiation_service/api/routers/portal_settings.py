"""``/v1/portal/settings``: who is collecting, shown on every portal page (CDC art. 42-A)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from negotiation_service.api.deps import UowDep
from negotiation_service.api.schemas import PortalSettingsRead, PortalSettingsUpdate
from negotiation_service.service_layer import portal as use_cases
from regua_platform.auth import ADMIN_SCOPE, Principal, require_scope
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1/portal/settings", tags=["settings"])
AdminDep = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]


@router.get(
    "",
    summary="The creditor the portal names on every page (CDC art. 42-A)",
    responses={404: {"description": "not set yet: the portal shows a neutral notice instead"}},
)
async def get_portal_settings(principal: AdminDep, uow: UowDep) -> PortalSettingsRead:
    found = await use_cases.creditor_of(uow, principal.tenant_id)
    if found is None:
        raise Problem(404, "Portal settings not set", "PUT them to name the creditor on the portal.")
    return PortalSettingsRead.of(found)


@router.put("", summary="Set the creditor's name, CNPJ, address and contact shown on the portal")
async def put_portal_settings(
    body: PortalSettingsUpdate, principal: AdminDep, uow: UowDep
) -> PortalSettingsRead:
    stored = await use_cases.set_creditor(uow, principal.tenant_id, body.to_domain(), uow.clock.now())
    await uow.commit()
    return PortalSettingsRead.of(stored)
