"""Dependencies of the notifier's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_platform.app import provide_settings, provide_uow

#: The notifier's unit of work for one request; the endpoint commits it once.
UowDep = Annotated[NotifierUnitOfWork, Depends(provide_uow)]
SettingsDep = Annotated[Settings, Depends(provide_settings)]
