"""Dependencies of the invoice-service API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow, runtime_of
from regua_platform.pagination import InvalidCursor, decode_cursor

#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[InvoiceUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]


async def provide_uow_factory(request: Request) -> Callable[[], InvoiceUnitOfWork]:
    factory: Callable[[], InvoiceUnitOfWork] = runtime_of(request).uow
    return factory


#: Fresh units of work, for an endpoint that commits in several transactions (a bulk load, chunk by chunk).
UowFactoryDep = Annotated[Callable[[], InvoiceUnitOfWork], Depends(provide_uow_factory)]


def seq_after(cursor: str | None) -> int | None:
    """The ``seq`` a page starts after, from its cursor; a cursor whose number
    is not a row sequence (PostgreSQL bigint) is a 400, never a database error."""
    after = decode_cursor(cursor, int)
    if after is None:
        return None
    if not 0 <= after[0] < 2**63:
        raise InvalidCursor
    return int(after[0])
