"""Dependencies of the invoice-service API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

from invoice_service.service_layer.errors import ServiceError
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import Settings
from regua_platform.app import Runtime
from regua_platform.problems import Problem


async def _uow(request: Request) -> AsyncIterator[InvoiceUnitOfWork]:
    runtime: Runtime = request.app.state.runtime
    uow = runtime.uow()
    assert isinstance(uow, InvoiceUnitOfWork)
    async with uow:
        yield uow


def _settings(request: Request) -> Settings:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    return settings if isinstance(settings, Settings) else Settings.model_validate(settings.model_dump())


#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[InvoiceUnitOfWork, Depends(_uow)]
SettingsDep = Annotated[Settings, Depends(_settings)]


@contextmanager
def problems() -> Iterator[None]:
    """Answer the use cases' errors with problem documents."""
    try:
        yield
    except ServiceError as exc:
        raise Problem(exc.status, exc.title, exc.detail) from None
