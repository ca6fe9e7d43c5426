"""Dependencies of the negotiation-service API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

from negotiation_service.service_layer.errors import ServiceError
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_platform.app import Runtime
from regua_platform.problems import Problem


async def _uow(request: Request) -> AsyncIterator[NegotiationUnitOfWork]:
    runtime: Runtime = request.app.state.runtime
    uow = runtime.uow()
    assert isinstance(uow, NegotiationUnitOfWork)
    async with uow:
        yield uow


#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[NegotiationUnitOfWork, Depends(_uow)]


@contextmanager
def problems() -> Iterator[None]:
    """Answer the use cases' errors with problem documents."""
    try:
        yield
    except ServiceError as exc:
        raise Problem(exc.status, exc.title, exc.detail) from None
