"""The debtor's invoices as negotiation-service knows them (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Invoice:
    """The last known state of one of invoice-service's invoices (the projection)."""

    id: UUID
    tenant_id: UUID
    debtor_id: UUID
    amount_cents: int
    #: The amount due as last known (with fine and interest, less what was paid).
    amount_due_cents: int
    due_date: date
    status: str
    #: Set when the invoice is an installment of this agreement.
    agreement_id: UUID | None
    updated_at: datetime

    @property
    def is_installment(self) -> bool:
        return self.agreement_id is not None


@dataclass(frozen=True, slots=True)
class DebtorInvoice:
    """An invoice on the debtor's list, with whether an active agreement holds it."""

    invoice: Invoice
    in_agreement: bool

    @property
    def negotiable(self) -> bool:
        """Neither an agreement's installment nor held by an active agreement."""
        return not self.invoice.is_installment and not self.in_agreement
