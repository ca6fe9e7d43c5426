"""What payments-service keeps of a debtor: only what a cobv's ``devedor`` and a
boleto's ``pagador`` need (document and name), from ``debtor.updated``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DebtorRecord:
    tenant_id: UUID
    debtor_id: UUID
    document: str
    name: str
    updated_at: datetime
