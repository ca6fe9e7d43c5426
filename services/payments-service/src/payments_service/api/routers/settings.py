"""``/v1/settings/pix``: the tenant's Pix receiving account and webhook secret."""

from __future__ import annotations

from fastapi import APIRouter

from payments_service.api.deps import SecretBoxDep, SettingsDep, UowDep
from payments_service.api.schemas import PixSettingsRead, PixSettingsUpdate
from regua_br.brcode import MAX_CITY_BYTES, MAX_NAME_BYTES, BrCodeError, ascii_field
from payments_service.domain.pix_settings import PixSettings
from regua_platform.auth import PrincipalDep
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.put("/pix", summary="Set the tenant's Pix account and webhook secret")
async def put_pix_settings(
    body: PixSettingsUpdate, principal: PrincipalDep, uow: UowDep, box: SecretBoxDep
) -> PixSettingsRead:
    try:
        ascii_field(body.merchant_name, MAX_NAME_BYTES)
        ascii_field(body.merchant_city, MAX_CITY_BYTES)
    except BrCodeError as exc:
        raise Problem(422, "Invalid Pix settings", str(exc)) from None
    pix = PixSettings(
        tenant_id=principal.tenant_id,
        pix_key=body.pix_key.strip(),
        merchant_name=body.merchant_name,
        merchant_city=body.merchant_city,
        webhook_secret_encrypted=box.encrypt(body.webhook_secret),
        webhook_secret_last4=body.webhook_secret[-4:],
        updated_at=uow.clock.now(),
    )
    await uow.pix_settings.put(pix)
    await uow.commit()
    return _read(pix)


@router.get("/pix", summary="The tenant's Pix account (the webhook secret only as its last 4 characters)")
async def get_pix_settings(principal: PrincipalDep, uow: UowDep, settings: SettingsDep) -> PixSettingsRead:
    pix = await uow.pix_settings.get(principal.tenant_id)
    if pix is None:
        return PixSettingsRead(
            pix_key=settings.default_pix_key,
            merchant_name=settings.default_merchant_name,
            merchant_city=settings.default_merchant_city,
            webhook_secret_set=False,
            webhook_secret_last4=None,
            updated_at=None,
            is_default=True,
        )
    return _read(pix)


def _read(pix: PixSettings) -> PixSettingsRead:
    """The tenant's own settings, without the secret (only its last 4 characters)."""
    return PixSettingsRead(
        pix_key=pix.pix_key,
        merchant_name=pix.merchant_name,
        merchant_city=pix.merchant_city,
        webhook_secret_set=True,
        webhook_secret_last4=pix.webhook_secret_last4,
        updated_at=pix.updated_at,
        is_default=False,
    )
