"""Request dependencies of payments-service (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from payments_service.adapters.crypto import SecretBox
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.service_layer.webhook_secrets import WebhookSecrets
from payments_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow, runtime_of

#: The request's unit of work; the endpoint commits it once, at the edge.
UowDep = Annotated[PaymentsUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]


# The dependencies below are ``async def``: FastAPI runs a plain ``def`` one in
# its thread pool, a thread hop per request (7 % of a webhook's CPU).
async def _secret_box(request: Request) -> SecretBox:
    """One :class:`SecretBox` per running service, made on first use."""
    runtime = runtime_of(request)
    box: SecretBox | None = runtime.extras.get("secret_box")
    if box is None:
        box = runtime.extras["secret_box"] = SecretBox(runtime.settings.key_material())
    return box


SecretBoxDep = Annotated[SecretBox, Depends(_secret_box)]


async def _webhook_secrets(request: Request, box: SecretBoxDep) -> WebhookSecrets:
    """One :class:`WebhookSecrets` cache per running service, made on first use."""
    runtime = runtime_of(request)
    secrets: WebhookSecrets | None = runtime.extras.get("webhook_secrets")
    if secrets is None:
        secrets = runtime.extras["webhook_secrets"] = WebhookSecrets(
            runtime.uow, box.decrypt, ttl=runtime.settings.webhook_secret_ttl_seconds
        )
    return secrets


async def _webhook_tolerance(request: Request) -> int:
    tolerance: int = runtime_of(request).settings.webhook_tolerance_seconds
    return tolerance


#: How far a webhook's signature timestamp may be from now (seconds).
WebhookToleranceDep = Annotated[int, Depends(_webhook_tolerance)]


WebhookSecretsDep = Annotated[WebhookSecrets, Depends(_webhook_secrets)]
