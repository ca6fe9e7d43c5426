"""Dependencies of the negotiation-service API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_platform.app import provide_uow

#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[NegotiationUnitOfWork, Depends(provide_uow)]
