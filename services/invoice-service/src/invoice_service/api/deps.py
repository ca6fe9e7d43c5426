"""Dependencies of the invoice-service API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow, runtime_of

#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[InvoiceUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]


async def provide_uow_factory(request: Request) -> Callable[[], InvoiceUnitOfWork]:
    factory: Callable[[], InvoiceUnitOfWork] = runtime_of(request).uow
    return factory


#: Fresh units of work, for an endpoint that commits in several transactions (a bulk load, chunk by chunk).
UowFactoryDep = Annotated[Callable[[], InvoiceUnitOfWork], Depends(provide_uow_factory)]
