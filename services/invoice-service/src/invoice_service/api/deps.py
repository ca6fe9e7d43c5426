"""Dependencies of the invoice-service API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow

#: One transaction per request; the endpoint commits it once, at the edge.
UowDep = Annotated[InvoiceUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]
