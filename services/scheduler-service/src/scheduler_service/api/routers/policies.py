"""``/v1/policies``: the tenant's réguas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from regua_platform.openapi import problems
from regua_platform.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    TimeIdCursor,
    decode_cursor,
    encode_cursor,
)
from scheduler_service.api.deps import UowDep
from scheduler_service.api.schemas import PolicyCreate, PolicyRead
from scheduler_service.api.scopes import PoliciesRead, PoliciesWrite
from scheduler_service.service_layer import policies

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a policy (régua)",
    description=(
        "Besides what the schema says, a policy's steps must have unique names and strictly "
        "increasing offsets (rules across the items of `steps`, which JSON Schema cannot state); "
        "otherwise 422, naming the rule."
    ),
    responses=problems(400, _400="The body is not JSON"),
)
async def create_policy(
    body: PolicyCreate, principal: PoliciesWrite, uow: UowDep, response: Response
) -> PolicyRead:
    record = await policies.create_policy(
        uow,
        tenant_id=principal.tenant_id,
        name=body.name,
        make_default=body.default,
        timezone=body.timezone,
        definition=body.definition(),
    )
    await uow.commit()
    response.headers["Location"] = f"/v1/policies/{record.id}"
    return PolicyRead.of(record)


@router.get(
    "",
    summary="List the tenant's policies, oldest first",
    responses=problems(400, _400="The cursor was not made by this API"),
)
async def list_policies(
    principal: PoliciesRead,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: TimeIdCursor = None,
) -> Page[PolicyRead]:
    after = decode_cursor(cursor, datetime, UUID)
    records = await policies.list_policies(uow, principal.tenant_id, after=after, limit=limit + 1)
    await uow.commit()
    more = len(records) > limit
    records = records[:limit]
    next_cursor = encode_cursor(records[-1].created_at, records[-1].id) if more else None
    return Page[PolicyRead](items=[PolicyRead.of(r) for r in records], next_cursor=next_cursor)


@router.get("/{policy_id}", summary="One policy", responses=problems(404))
async def get_policy(policy_id: UUID, principal: PoliciesRead, uow: UowDep) -> PolicyRead:
    return PolicyRead.of(await policies.get_policy(uow, principal.tenant_id, policy_id))
