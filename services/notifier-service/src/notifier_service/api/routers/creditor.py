from __future__ import annotations

from fastapi import APIRouter

from notifier_service.api.deps import SettingsDep, UowDep
from notifier_service.api.schemas import CreditorRead, CreditorUpdate
from notifier_service.api.scopes import Admin
from notifier_service.domain.model import Creditor
from notifier_service.service_layer.creditor import creditor_of, set_creditor

router = APIRouter(prefix="/v1/settings/creditor", tags=["settings"])


@router.get("", summary="The creditor named in every message (CDC art. 42-A)")
async def get_creditor(principal: Admin, uow: UowDep, settings: SettingsDep) -> CreditorRead:
    c = await creditor_of(uow, principal.tenant_id, settings.creditor)
    return CreditorRead(
        name=c.name,
        document=c.document,
        address=c.address,
        portal_base_url=c.portal_base_url,
        is_default=c.is_default,
    )


@router.put("", summary="Set the tenant's creditor name, CNPJ, address and portal URL")
async def put_creditor(
    body: CreditorUpdate, principal: Admin, uow: UowDep, settings: SettingsDep
) -> CreditorRead:
    c = await set_creditor(
        uow,
        principal.tenant_id,
        Creditor(
            name=body.name,
            document=body.document,
            address=body.address,
            portal_base_url=str(body.portal_base_url),
        ),
    )
    await uow.commit()
    return CreditorRead(
        name=c.name,
        document=c.document,
        address=c.address,
        portal_base_url=c.portal_base_url,
        is_default=c.is_default,
    )
