from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from notifier_service.api.deps import UowDep
from notifier_service.api.schemas import AttemptRead, MessageRead
from notifier_service.api.scopes import MessagesRead
from regua_platform.openapi import problems
from regua_platform.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    TimeIdCursor,
    decode_cursor,
    encode_cursor,
)

router = APIRouter(prefix="/v1/messages", tags=["messages"])


@router.get(
    "",
    summary="Deliveries (one per dunning step), newest first, with status",
    responses=problems(400, _400="The cursor is not one a previous page returned."),
)
async def list_messages(
    principal: MessagesRead,
    uow: UowDep,
    invoice_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: TimeIdCursor = None,
) -> Page[MessageRead]:
    after = decode_cursor(cursor, datetime, UUID)
    found = await uow.deliveries.page(
        principal.tenant_id, invoice_id=invoice_id, limit=limit + 1, after=after
    )
    more = len(found) > limit
    page = found[:limit]
    attempts: dict[UUID, list[AttemptRead]] = {}
    for a in await uow.deliveries.attempts([d.step_id for d in page]):
        attempts.setdefault(a.step_id, []).append(
            AttemptRead(channel=a.channel, status=a.status, attempts=a.attempts, last_error=a.last_error)
        )
    items = [
        MessageRead(
            id=d.message_id,
            step_id=d.step_id,
            invoice_id=d.invoice_id,
            debtor_id=d.debtor_id,
            template=d.template,
            tone=d.tone,
            status=d.status,
            channel=d.channel,
            provider=d.provider,
            provider_message_id=d.provider_message_id,
            reason=d.reason,
            waiting_for=d.waiting_for,
            missing_instruments=None if d.missing_instruments is None else list(d.missing_instruments),
            attempts=d.attempts,
            channel_attempts=attempts.get(d.step_id, []),
            created_at=d.created_at,
            updated_at=d.updated_at,
            sent_at=d.sent_at,
        )
        for d in page
    ]
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = encode_cursor(last.created_at, last.message_id)
    return Page[MessageRead](items=items, next_cursor=next_cursor)
