"""Request dependencies of payments-service (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from payments_service.adapters.crypto import SecretBox
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.service_layer.webhook_secrets import WebhookSecrets
from payments_service.settings import Settings
from regua_platform.app import Runtime, provide_settings, provide_uow, runtime_of

#: The request's unit of work; the endpoint commits it once, at the edge.
UowDep = Annotated[PaymentsUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]


def secret_box(runtime: Runtime[Any, Any]) -> SecretBox:
    """One :class:`SecretBox` per running service, made on first use."""
    box: SecretBox | None = runtime.extras.get("secret_box")
    if box is None:
        box = runtime.extras["secret_box"] = SecretBox(runtime.settings.encryption_keys)
    return box


def webhook_secrets(runtime: Runtime[Any, Any]) -> WebhookSecrets:
    """One :class:`WebhookSecrets` cache per running service, made on first use."""
    secrets: WebhookSecrets | None = runtime.extras.get("webhook_secrets")
    if secrets is None:
        secrets = runtime.extras["webhook_secrets"] = WebhookSecrets(
            runtime.uow, secret_box(runtime).decrypt, ttl=runtime.settings.webhook_secret_ttl_seconds
        )
    return secrets


# The dependencies below are ``async def``: FastAPI runs a plain ``def`` one in
# its thread pool, a thread hop per request (7 % of a webhook's CPU).
async def _secret_box(request: Request) -> SecretBox:
    return secret_box(runtime_of(request))


SecretBoxDep = Annotated[SecretBox, Depends(_secret_box)]


async def _webhook_secrets(request: Request) -> WebhookSecrets:
    return webhook_secrets(runtime_of(request))


WebhookSecretsDep = Annotated[WebhookSecrets, Depends(_webhook_secrets)]
