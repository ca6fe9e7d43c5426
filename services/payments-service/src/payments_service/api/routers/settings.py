"""``/v1/settings/pix``: the tenant's webhook secret and its static-code option."""

from __future__ import annotations

from fastapi import APIRouter

from payments_service.api.deps import SecretBoxDep, UowDep, WebhookSecretsDep
from payments_service.api.schemas import PixSettingsRead, PixSettingsUpdate
from payments_service.api.scopes import Admin
from payments_service.domain.pix_settings import PixSettings
from regua_br.brcode import MAX_CITY_BYTES, MAX_NAME_BYTES, BrCodeError, ascii_field
from regua_platform.errors import InvalidInput
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1/settings", tags=["settings"])


@router.put(
    "/pix",
    responses=problems(400),
    summary="Set the tenant's webhook secret and, optionally, static codes on a plain key",
)
async def put_pix_settings(
    body: PixSettingsUpdate,
    principal: Admin,
    uow: UowDep,
    box: SecretBoxDep,
    secrets: WebhookSecretsDep,
) -> PixSettingsRead:
    try:
        if body.merchant_name is not None:
            ascii_field(body.merchant_name, MAX_NAME_BYTES)
        if body.merchant_city is not None:
            ascii_field(body.merchant_city, MAX_CITY_BYTES)
    except BrCodeError as exc:
        raise InvalidInput(str(exc)) from None
    pix = PixSettings(
        tenant_id=principal.tenant_id,
        pix_key=body.pix_key.strip() if body.pix_key else None,
        merchant_name=body.merchant_name,
        merchant_city=body.merchant_city,
        static_codes=body.static_codes,
        webhook_secret_encrypted=box.encrypt(body.webhook_secret),
        webhook_secret_last4=body.webhook_secret[-4:],
        updated_at=uow.clock.now(),
    )
    await uow.pix_settings.put(pix)
    await uow.commit()
    secrets.forget(principal.tenant_id)
    return _read(pix)


@router.get("/pix", summary="The tenant's Pix settings (the webhook secret only as its last 4 characters)")
async def get_pix_settings(principal: Admin, uow: UowDep) -> PixSettingsRead:
    pix = await uow.pix_settings.get(principal.tenant_id)
    if pix is None:
        return PixSettingsRead(
            static_codes=False,
            pix_key=None,
            merchant_name=None,
            merchant_city=None,
            webhook_secret_set=False,
            webhook_secret_last4=None,
            updated_at=None,
        )
    return _read(pix)


def _read(pix: PixSettings) -> PixSettingsRead:
    return PixSettingsRead(
        static_codes=pix.static_codes,
        pix_key=pix.pix_key,
        merchant_name=pix.merchant_name,
        merchant_city=pix.merchant_city,
        webhook_secret_set=True,
        webhook_secret_last4=pix.webhook_secret_last4,
        updated_at=pix.updated_at,
    )
