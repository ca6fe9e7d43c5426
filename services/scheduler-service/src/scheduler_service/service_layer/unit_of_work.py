"""The scheduler's unit of work: the platform's, with its repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self
from uuid import UUID

from regua_platform.uow import UnitOfWork
from scheduler_service.adapters.db.repositories import PlanRepository, PolicyRepository

if TYPE_CHECKING:
    from scheduler_service.adapters.db.repositories import PolicyRecord


class SchedulerUnitOfWork(UnitOfWork):
    policies: PolicyRepository
    plans: PlanRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.policies = PolicyRepository(self.session)
        self.plans = PlanRepository(self.session)
        #: Each tenant's default policy as read in this transaction (a consumer
        #: batch plans many invoices of one tenant: read and parsed once).
        self.default_policies: dict[UUID, PolicyRecord] = {}
        return self
