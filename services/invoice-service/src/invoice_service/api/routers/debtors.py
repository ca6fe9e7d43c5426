"""``/v1/debtors``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from invoice_service.api.deps import UowDep
from invoice_service.api.schemas import DebtorCreate, DebtorRead, DebtorUpdate
from invoice_service.service_layer import debtors as use_cases
from invoice_service.service_layer.debtors import DebtorFields
from regua_platform.auth import PrincipalDep
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1/debtors", tags=["debtors"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a debtor (idempotent per external_id: 200 with the same body, 409 with another)",
    responses={200: {"model": DebtorRead}, 409: {"description": "external_id taken with other data"}},
)
async def create_debtor(
    body: DebtorCreate, principal: PrincipalDep, uow: UowDep, response: Response
) -> DebtorRead:
    fields = DebtorFields(**body.model_dump())
    debtor, created = await use_cases.create_debtor(uow, principal.tenant_id, fields, now=uow.clock.now())
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return DebtorRead.of(debtor)


@router.get("", summary="List debtors, oldest first")
async def list_debtors(
    principal: PrincipalDep,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[DebtorRead]:
    after = decode_cursor(cursor, int)
    rows = await uow.debtors.page(principal.tenant_id, after_seq=after[0] if after else None, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[DebtorRead.of(d) for _, d in rows],
        next_cursor=encode_cursor(rows[-1][0]) if more else None,
    )


@router.get("/{debtor_id}", summary="One debtor")
async def get_debtor(debtor_id: UUID, principal: PrincipalDep, uow: UowDep) -> DebtorRead:
    return DebtorRead.of(await use_cases.get_debtor(uow, principal.tenant_id, debtor_id))


@router.patch("/{debtor_id}", summary="Change contacts, channel preferences, consents, name or segment")
async def update_debtor(
    debtor_id: UUID, body: DebtorUpdate, principal: PrincipalDep, uow: UowDep
) -> DebtorRead:
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "preferred_channels", "consents"):
        if required in changes and changes[required] is None:
            raise Problem(422, "Invalid request", f"{required} cannot be null.")
    debtor = await use_cases.update_debtor(uow, principal.tenant_id, debtor_id, changes, now=uow.clock.now())
    await uow.commit()
    return DebtorRead.of(debtor)
