"""Dependencies of the scheduler API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request

from regua_platform.app import Runtime
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork


async def _unit_of_work(request: Request) -> AsyncIterator[SchedulerUnitOfWork]:
    runtime: Runtime = request.app.state.runtime
    async with cast(SchedulerUnitOfWork, runtime.uow()) as uow:
        yield uow


#: The scheduler's unit of work for one request; the endpoint commits it once.
SchedulerUowDep = Annotated[SchedulerUnitOfWork, Depends(_unit_of_work)]
