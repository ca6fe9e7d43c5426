"""The notifier's unit of work: the platform's, with its repositories."""

from __future__ import annotations

from typing import Self

from notifier_service.adapters.db.repositories import (
    CreditorRepository,
    DeliveryRepository,
    ProjectionRepository,
)
from regua_platform.uow import UnitOfWork


class NotifierUnitOfWork(UnitOfWork):
    projections: ProjectionRepository
    deliveries: DeliveryRepository
    creditors: CreditorRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.projections = ProjectionRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.creditors = CreditorRepository(self.session)
        return self
