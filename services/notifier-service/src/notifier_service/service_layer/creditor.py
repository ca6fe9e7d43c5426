"""The creditor a tenant's messages name (CDC art. 42-A)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import CreditorDefaults


@dataclass(frozen=True)
class Creditor:
    name: str
    document: str
    address: str
    portal_base_url: str
    is_default: bool


async def creditor_of(uow: NotifierUnitOfWork, tenant_id: UUID, defaults: CreditorDefaults) -> Creditor:
    row = await uow.creditors.get(tenant_id)
    if row is None:
        return Creditor(
            defaults.name, defaults.document, defaults.address, defaults.portal_base_url, is_default=True
        )
    return Creditor(row["name"], row["document"], row["address"], row["portal_base_url"], is_default=False)
