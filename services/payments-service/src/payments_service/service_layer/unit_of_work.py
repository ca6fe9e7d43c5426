"""The payments unit of work: the platform's, with this service's repositories."""

from __future__ import annotations

from typing import Self

from payments_service.adapters.db.repositories import (
    ChargeRepository,
    PaymentRepository,
    PixSettingsRepository,
    RejectionRepository,
    ReversalRepository,
)
from regua_platform.uow import UnitOfWork


class PaymentsUnitOfWork(UnitOfWork):
    pix_settings: PixSettingsRepository
    charges: ChargeRepository
    payments: PaymentRepository
    reversals: ReversalRepository
    rejections: RejectionRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.pix_settings = PixSettingsRepository(self.session)
        self.charges = ChargeRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.reversals = ReversalRepository(self.session)
        self.rejections = RejectionRepository(self.session)
        return self
