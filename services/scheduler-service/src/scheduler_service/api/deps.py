"""Dependencies of the scheduler API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.app import provide_uow
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork

#: The scheduler's unit of work for one request; the endpoint commits it once.
UowDep = Annotated[SchedulerUnitOfWork, Depends(provide_uow)]
