"""Use cases on policies. They never commit: the caller does, once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from regua_br.calendar import DEFAULT_TIMEZONE
from regua_platform.errors import NotFound
from scheduler_service.adapters.db.repositories import PolicyRecord
from scheduler_service.domain.policy import (
    BUILTIN_POLICY,
    BUILTIN_POLICY_NAME,
    PolicyDefinition,
)
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork


async def create_policy(
    uow: SchedulerUnitOfWork,
    *,
    tenant_id: UUID,
    name: str,
    make_default: bool,
    timezone: str,
    definition: PolicyDefinition,
) -> PolicyRecord:
    """A new policy; as the default it replaces the previous default for invoices
    issued from now on (plans already made keep theirs)."""
    await uow.policies.lock_tenant(tenant_id)
    # The built-in default is made first when the tenant had no default, so a
    # non-default policy never leaves the tenant without one.
    if not make_default:
        await _ensure_default_locked(uow, tenant_id)
    record = PolicyRecord(
        id=uuid4(),
        tenant_id=tenant_id,
        name=name,
        is_default=make_default,
        builtin=False,
        timezone=timezone,
        definition=definition,
        created_at=uow.clock.now(),
    )
    await uow.policies.add(record)
    if make_default:
        uow.default_policies[tenant_id] = record
    return record


async def default_policy(uow: SchedulerUnitOfWork, tenant_id: UUID) -> PolicyRecord:
    """The tenant's default policy, creating the built-in one for a tenant
    without one; read once per unit of work."""
    if (known := uow.default_policies.get(tenant_id)) is not None:
        return known
    existing = await uow.policies.get_default(tenant_id)
    if existing is None:
        await uow.policies.lock_tenant(tenant_id)
        existing = await _ensure_default_locked(uow, tenant_id)
    uow.default_policies[tenant_id] = existing
    return existing


async def _ensure_default_locked(uow: SchedulerUnitOfWork, tenant_id: UUID) -> PolicyRecord:
    existing = await uow.policies.get_default(tenant_id)
    if existing is not None:
        return existing
    record = PolicyRecord(
        id=uuid4(),
        tenant_id=tenant_id,
        name=BUILTIN_POLICY_NAME,
        is_default=True,
        builtin=True,
        timezone=DEFAULT_TIMEZONE,
        definition=BUILTIN_POLICY,
        created_at=uow.clock.now(),
    )
    await uow.policies.add(record)
    return record


async def list_policies(
    uow: SchedulerUnitOfWork, tenant_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[PolicyRecord]:
    if after is None:
        await default_policy(uow, tenant_id)
    return await uow.policies.list(tenant_id, after=after, limit=limit)


async def get_policy(uow: SchedulerUnitOfWork, tenant_id: UUID, policy_id: UUID) -> PolicyRecord:
    record = await uow.policies.get(tenant_id, policy_id)
    if record is None:
        raise NotFound(f"No policy {policy_id} for this tenant.")
    return record
