from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from notifier_service.api.deps import UowDep
from notifier_service.api.schemas import AttemptRead, MessageRead
from regua_platform.auth import PrincipalDep
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1/messages", tags=["messages"])


@router.get("", summary="Deliveries (one per dunning step), newest first, with status")
async def list_messages(
    principal: PrincipalDep,
    uow: UowDep,
    invoice_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[MessageRead]:
    after = None
    if cursor is not None:
        key = decode_cursor(cursor)
        try:
            after = (datetime.fromisoformat(key["c"]), UUID(key["id"]))
        except (KeyError, TypeError, ValueError):
            raise Problem(400, "Invalid cursor", "Pass back the next_cursor of a previous page.") from None
    rows = await uow.deliveries.page(principal.tenant_id, invoice_id=invoice_id, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    attempts: dict[UUID, list[AttemptRead]] = {}
    for a in await uow.deliveries.attempts([r["step_id"] for r in rows]):
        attempts.setdefault(a["step_id"], []).append(
            AttemptRead(
                channel=a["channel"], status=a["status"], attempts=a["attempts"], last_error=a["last_error"]
            )
        )
    items = [
        MessageRead(
            id=r["message_id"],
            step_id=r["step_id"],
            invoice_id=r["invoice_id"],
            debtor_id=r["debtor_id"],
            template=r["template"],
            tone=r["tone"],
            status=r["status"],
            channel=r["channel"],
            provider=r["provider"],
            provider_message_id=r["provider_message_id"],
            reason=r["reason"],
            waiting_for=r["waiting_for"],
            missing_instruments=r["missing_instruments"],
            attempts=r["attempts"],
            channel_attempts=attempts.get(r["step_id"], []),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            sent_at=r["sent_at"],
        )
        for r in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor({"c": last["created_at"].isoformat(), "id": str(last["message_id"])})
    return Page[MessageRead](items=items, next_cursor=next_cursor)
