"""Request dependencies of payments-service (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from payments_service.adapters.crypto import SecretBox
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow, runtime_of

#: The request's unit of work; the endpoint commits it once, at the edge.
UowDep = Annotated[PaymentsUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]


def _secret_box(request: Request, settings: SettingsDep) -> SecretBox:
    """One :class:`SecretBox` per running service, made on first use."""
    extras = runtime_of(request).extras
    box: SecretBox | None = extras.get("secret_box")
    if box is None:
        box = extras["secret_box"] = SecretBox(settings.key_material())
    return box


SecretBoxDep = Annotated[SecretBox, Depends(_secret_box)]
