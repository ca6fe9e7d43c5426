"""``/v1/charges``: the ways to pay each invoice."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import segno
from fastapi import APIRouter, Query

from payments_service.api.deps import UowDep
from payments_service.api.schemas import ChargeDetailRead, ChargeRead
from payments_service.api.scopes import PaymentsRead
from regua_platform.errors import NotFound
from regua_platform.openapi import problems
from regua_platform.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    TimeIdCursor,
    decode_cursor,
    encode_cursor,
)

router = APIRouter(prefix="/v1/charges", tags=["charges"])


@router.get(
    "",
    responses=problems(400, _400="The cursor was not made by this API."),
    summary="List charges (filter by invoice), oldest first",
)
async def list_charges(
    principal: PaymentsRead,
    uow: UowDep,
    invoice_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: TimeIdCursor = None,
) -> Page[ChargeRead]:
    after = decode_cursor(cursor, datetime, UUID)
    found = await uow.charges.page(principal.tenant_id, invoice_id=invoice_id, after=after, limit=limit + 1)
    items = [ChargeRead.model_validate(c, from_attributes=True) for c in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return Page[ChargeRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{charge_id}",
    responses=problems(404),
    summary="One charge; Pix charges carry their QR code as a data URI",
)
async def get_charge(charge_id: UUID, principal: PaymentsRead, uow: UowDep) -> ChargeDetailRead:
    found = await uow.charges.get(principal.tenant_id, charge_id)
    if found is None:
        raise NotFound("No such charge.")
    charge = ChargeDetailRead.model_validate(found, from_attributes=True)
    if charge.pix_copy_paste:
        qr = segno.make(charge.pix_copy_paste, error="m")
        charge.qr_code_data_uri = qr.png_data_uri(scale=5, border=4)
    return charge
