"""``/v1/debtors``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError

from invoice_service.api.deps import UowDep, seq_after
from invoice_service.api.schemas import ConsentChangeRead, DebtorCreate, DebtorRead, DebtorUpdate
from invoice_service.api.scopes import DebtorsRead, DebtorsWrite
from invoice_service.service_layer import debtors as use_cases
from invoice_service.service_layer.debtors import DebtorFields
from regua_platform.openapi import problems
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SeqCursor, encode_cursor

router = APIRouter(prefix="/v1/debtors", tags=["debtors"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a debtor (idempotent per external_id: 200 with the same body, 409 with another)",
    responses={
        200: {"model": DebtorRead, "description": "The same debtor was posted before"},
        **problems(400, 409, _400="The body is not JSON", _409="external_id taken with other data"),
    },
)
async def create_debtor(
    body: DebtorCreate, principal: DebtorsWrite, uow: UowDep, response: Response
) -> DebtorRead:
    fields = DebtorFields(**body.model_dump())
    debtor, created = await use_cases.create_debtor(
        uow, principal.tenant_id, fields, now=uow.clock.now(), actor=principal.subject
    )
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return DebtorRead.of(debtor)


@router.get("", summary="List debtors, oldest first", responses=problems(400, _400="A malformed cursor"))
async def list_debtors(
    principal: DebtorsRead,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: SeqCursor = None,
) -> Page[DebtorRead]:
    rows = await uow.debtors.page(principal.tenant_id, after_seq=seq_after(cursor), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[DebtorRead.of(d) for _, d in rows],
        next_cursor=encode_cursor(rows[-1][0]) if more else None,
    )


@router.get("/{debtor_id}", summary="One debtor", responses=problems(404))
async def get_debtor(debtor_id: UUID, principal: DebtorsRead, uow: UowDep) -> DebtorRead:
    return DebtorRead.of(await use_cases.get_debtor(uow, principal.tenant_id, debtor_id))


@router.patch(
    "/{debtor_id}",
    summary="Change contacts, channel preferences, consents, name or segment",
    description=(
        "Consents merge per channel and every change is recorded in the consent history "
        "(`GET /v1/debtors/{id}/consents`). A channel the debtor opted out of themselves (in the "
        "portal) is turned back on only with `consent_basis`, the legal basis for it; without one "
        "the answer is 409 (`reason: consent_withdrawn_by_debtor`, `channels`) and nothing changes."
    ),
    responses=problems(
        400,
        404,
        409,
        _400="The body is not JSON",
        _409="Turning on a channel the debtor opted out of, without consent_basis",
    ),
)
async def update_debtor(
    debtor_id: UUID, body: DebtorUpdate, principal: DebtorsWrite, uow: UowDep
) -> DebtorRead:
    changes = body.model_dump(exclude_unset=True, exclude={"consent_basis"})
    for required in ("name", "preferred_channels", "consents"):
        if required in changes and changes[required] is None:
            raise RequestValidationError(
                [{"loc": ("body", required), "msg": "cannot be null", "type": "value_error"}]
            )
    debtor = await use_cases.update_debtor(
        uow,
        principal.tenant_id,
        debtor_id,
        changes,
        now=uow.clock.now(),
        actor=principal.subject,
        basis=body.consent_basis.basis() if body.consent_basis else None,
    )
    await uow.commit()
    return DebtorRead.of(debtor)


@router.get(
    "/{debtor_id}/consents",
    summary="The debtor's consent history, oldest first: who changed which channel, when, on what basis",
    responses=problems(400, 404, _400="A malformed cursor"),
)
async def list_consent_changes(
    debtor_id: UUID,
    principal: DebtorsRead,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: SeqCursor = None,
) -> Page[ConsentChangeRead]:
    rows = await use_cases.consent_history(
        uow, principal.tenant_id, debtor_id, after_seq=seq_after(cursor), limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[ConsentChangeRead.of(c) for _, c in rows],
        next_cursor=encode_cursor(rows[-1][0]) if more else None,
    )
