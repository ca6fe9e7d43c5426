"""The unit of work of invoice-service: the platform's, with our repositories."""

from __future__ import annotations

from typing import Self

from invoice_service.adapters.db.repositories import (
    ConsentRepository,
    DebtorRepository,
    InvoiceRepository,
    PaymentRepository,
    TenantSettingsRepository,
)
from regua_br.calendar import DEFAULT_TIMEZONE
from regua_platform.uow import UnitOfWork


class InvoiceUnitOfWork(UnitOfWork):
    tenant_settings: TenantSettingsRepository
    debtors: DebtorRepository
    invoices: InvoiceRepository
    payments: PaymentRepository
    consents: ConsentRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.tenant_settings = TenantSettingsRepository(self.session, DEFAULT_TIMEZONE)
        self.debtors = DebtorRepository(self.session)
        self.invoices = InvoiceRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.consents = ConsentRepository(self.session)
        return self
