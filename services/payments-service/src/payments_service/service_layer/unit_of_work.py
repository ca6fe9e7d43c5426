"""The payments unit of work: the platform's, with this service's repositories."""

from __future__ import annotations

from typing import Self

from payments_service.adapters.db.repositories import (
    BankAccountRepository,
    ChargeRepository,
    DebtorRepository,
    InvoiceRepository,
    PaymentRepository,
    PixSettingsRepository,
    PspAccountRepository,
    RejectionRepository,
    ReversalRepository,
)
from regua_platform.uow import UnitOfWork


class PaymentsUnitOfWork(UnitOfWork):
    pix_settings: PixSettingsRepository
    psp_accounts: PspAccountRepository
    bank_accounts: BankAccountRepository
    debtors: DebtorRepository
    invoices: InvoiceRepository
    charges: ChargeRepository
    payments: PaymentRepository
    reversals: ReversalRepository
    rejections: RejectionRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.pix_settings = PixSettingsRepository(self.session)
        self.psp_accounts = PspAccountRepository(self.session)
        self.bank_accounts = BankAccountRepository(self.session)
        self.debtors = DebtorRepository(self.session)
        self.invoices = InvoiceRepository(self.session)
        self.charges = ChargeRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.reversals = ReversalRepository(self.session)
        self.rejections = RejectionRepository(self.session)
        return self
