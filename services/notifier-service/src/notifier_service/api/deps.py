"""Dependencies of the notifier's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request

from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_platform.app import Runtime


async def _uow(request: Request) -> AsyncIterator[NotifierUnitOfWork]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        yield cast(NotifierUnitOfWork, uow)


def _settings(request: Request) -> Settings:
    runtime: Runtime = request.app.state.runtime
    return cast(Settings, runtime.settings)


NotifierUowDep = Annotated[NotifierUnitOfWork, Depends(_uow)]
SettingsDep = Annotated[Settings, Depends(_settings)]
