"""Request dependencies of payments-service (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request

from payments_service.adapters.crypto import SecretBox
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.app import Runtime


def _runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


async def _uow(request: Request) -> AsyncIterator[PaymentsUnitOfWork]:
    async with cast(PaymentsUnitOfWork, _runtime(request).uow()) as uow:
        yield uow


def _settings(request: Request) -> Settings:
    return cast(Settings, _runtime(request).settings)


def _secret_box(request: Request) -> SecretBox:
    extras = _runtime(request).extras
    if "secret_box" not in extras:
        extras["secret_box"] = SecretBox(_settings(request).key_material())
    return cast(SecretBox, extras["secret_box"])


#: The request's unit of work; the endpoint commits it once, at the edge.
UowDep = Annotated[PaymentsUnitOfWork, Depends(_uow)]
SettingsDep = Annotated[Settings, Depends(_settings)]
SecretBoxDep = Annotated[SecretBox, Depends(_secret_box)]
