"""The scheduler's unit of work: the platform's, with its repositories."""

from __future__ import annotations

from typing import Self

from regua_platform.uow import UnitOfWork
from scheduler_service.adapters.db.repositories import PlanRepository, PolicyRepository


class SchedulerUnitOfWork(UnitOfWork):
    policies: PolicyRepository
    plans: PlanRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.policies = PolicyRepository(self.session)
        self.plans = PlanRepository(self.session)
        return self
