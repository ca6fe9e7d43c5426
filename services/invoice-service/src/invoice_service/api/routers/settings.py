"""``/v1/settings``: the tenant's time zone, late fine, default interest and own holidays."""

from __future__ import annotations

from fastapi import APIRouter

from invoice_service.api.deps import UowDep
from invoice_service.api.schemas import TenantSettingsBody
from invoice_service.api.scopes import Admin
from invoice_service.domain.models import TenantSettings
from invoice_service.domain.money import Rates
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1/settings", tags=["settings"])


def _read(value: TenantSettings) -> TenantSettingsBody:
    return TenantSettingsBody(
        timezone=value.timezone,
        late_fine_bps=value.rates.late_fine_bps,
        monthly_interest_bps=value.rates.monthly_interest_bps,
        holidays=list(value.holidays),
    )


@router.get("", summary="The tenant's settings (defaults when never set)")
async def get_settings(principal: Admin, uow: UowDep) -> TenantSettingsBody:
    return _read(await uow.tenant_settings.get(principal.tenant_id))


@router.put(
    "",
    summary="Replace the tenant's settings; they apply to invoices issued afterwards",
    responses=problems(400, _400="The body is not JSON"),
)
async def put_settings(body: TenantSettingsBody, principal: Admin, uow: UowDep) -> TenantSettingsBody:
    value = TenantSettings(
        timezone=body.timezone,
        rates=Rates(late_fine_bps=body.late_fine_bps, monthly_interest_bps=body.monthly_interest_bps),
        holidays=tuple(body.holidays),
    )
    await uow.tenant_settings.put(principal.tenant_id, value, now=uow.clock.now())
    await uow.commit()
    return _read(value)
