"""The payments unit of work: the platform's, with this service's repositories.

When a transaction queues gateway work that is due now (a pending charge, a
removal, a revision), its commit also notifies :data:`GATEWAY_CHANNEL`: the
gateway worker, which sleeps long while idle, wakes at once in whichever
process it runs. PostgreSQL delivers the notification only if, and when, the
transaction commits; it is a hint only (the worker still polls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self

from payments_service.adapters.db.repositories import (
    GATEWAY_CHANNEL,
    BankAccountRepository,
    ChargeRepository,
    DebtorRepository,
    InvoiceRepository,
    PaymentRepository,
    PixSettingsRepository,
    PspAccountRepository,
    RejectionRepository,
    ReversalRepository,
    StoredSecretRepository,
)
from regua_platform.uow import UnitOfWork

__all__ = ["GATEWAY_CHANNEL", "PaymentsUnitOfWork"]


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
    stored_secrets: StoredSecretRepository
    #: What a use case looked up once in this transaction (a tenant's accounts
    #: for a batch of events); gone with it.
    memo: dict[Any, Any]

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
        self.stored_secrets = StoredSecretRepository(self.session)
        self.memo = {}
        self._before_commit: dict[str, Callable[[PaymentsUnitOfWork], Awaitable[None]]] = {}
        return self

    def before_commit(self, name: str, write: Callable[[PaymentsUnitOfWork], Awaitable[None]]) -> None:
        """Run ``write(self)`` at commit, once however often it is asked
        (a use case that holds a batch's rows to store them in one statement)."""
        self._before_commit.setdefault(name, write)

    async def commit(self) -> None:
        writes, self._before_commit = list(self._before_commit.values()), {}
        for write in writes:
            await write(self)
        await self.charges.flush()
        queued = self.charges.queued_at
        if queued is not None and queued <= self.clock.now():
            self.notify(GATEWAY_CHANNEL)
        self.charges.queued_at = None
        await super().commit()

    async def rollback(self) -> None:
        self.charges.queued_at = None
        self.memo = {}
        self._before_commit = {}
        await super().rollback()
