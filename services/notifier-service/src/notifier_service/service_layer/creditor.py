"""The creditor a tenant's messages name (CDC art. 42-A)."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from notifier_service.domain.model import Creditor
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import CreditorDefaults


async def creditor_of(uow: NotifierUnitOfWork, tenant_id: UUID, defaults: CreditorDefaults) -> Creditor:
    creditor = await uow.creditors.get(tenant_id)
    if creditor is None:
        return Creditor(
            defaults.name, defaults.document, defaults.address, defaults.portal_base_url, is_default=True
        )
    return creditor


async def set_creditor(uow: NotifierUnitOfWork, tenant_id: UUID, creditor: Creditor) -> Creditor:
    """The tenant's own creditor from now on (the portal URL without a trailing slash)."""
    own = replace(creditor, portal_base_url=creditor.portal_base_url.rstrip("/"), is_default=False)
    await uow.creditors.put(tenant_id, own, now=uow.clock.now())
    return own
