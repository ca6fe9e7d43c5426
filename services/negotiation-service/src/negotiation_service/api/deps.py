"""Dependencies of the negotiation-service API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from negotiation_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow

#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[NegotiationUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]
