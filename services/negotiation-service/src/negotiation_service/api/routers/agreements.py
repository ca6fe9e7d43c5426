"""``/v1/agreements``: accept an offer, read an agreement, list a debtor's,
quote and make an early payment of the rest (CDC art. 52 §2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from negotiation_service.api.deps import UowDep
from negotiation_service.api.schemas import AgreementCreate, AgreementRead, PayoffRead, PrepayRead
from negotiation_service.api.scopes import AgreementsRead, AgreementsWrite
from negotiation_service.domain.agreements import local_today
from negotiation_service.service_layer import agreements as use_cases
from negotiation_service.service_layer.unit_of_work import NegotiationUnitOfWork
from regua_platform.openapi import problems
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SeqCursor, decode_cursor, encode_cursor
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1", tags=["agreements"])


async def _read(uow: NegotiationUnitOfWork, tenant_id: UUID, agreement_id: UUID) -> AgreementRead:
    view = await use_cases.read_agreement(uow, tenant_id, agreement_id, local_today(uow.clock.now()))
    if view is None:
        raise Problem(404, "Agreement not found")
    return AgreementRead.model_validate(view)


@router.post(
    "/agreements",
    status_code=status.HTTP_201_CREATED,
    summary="Accept an offer: the agreement and its installments (publishes agreement.created)",
    responses=problems(
        404,
        409,
        _404="An invoice is not one of this debtor's (or unknown).",
        _409="invoices taken by another agreement, closed, or the offer changed",
    ),
)
async def create_agreement(body: AgreementCreate, principal: AgreementsWrite, uow: UowDep) -> AgreementRead:
    now = uow.clock.now()
    agreement_id = await use_cases.accept_offer(
        uow,
        principal.tenant_id,
        body.debtor_id,
        body.invoice_ids,
        offer_id=body.offer_id,
        kind=body.kind,
        today=local_today(now),
        now=now,
    )
    read = await _read(uow, principal.tenant_id, agreement_id)
    await uow.commit()
    return read


@router.post(
    "/agreements/{agreement_id}:prepay",
    summary="Pay the rest early: one payoff installment for today (publishes agreement.prepaid)",
    description=(
        "Replaces the installments still owed by one payoff installment due today (or the next "
        "business day), each discounted at the agreement's monthly rate from its due date to "
        "today (CDC art. 52 §2: interest reduced proportionally). invoice-service cancels the "
        "replaced installments and issues the payoff as an invoice; paid, it completes the "
        "agreement, unpaid beyond the tolerance it breaks it."
    ),
    responses=problems(
        404,
        409,
        422,
        _404="no such agreement",
        _409="the agreement is not active, or an installment was paid meanwhile",
        _422="nothing left to pay early, a payoff pending, or an installment overdue",
    ),
)
async def prepay_agreement(agreement_id: UUID, principal: AgreementsWrite, uow: UowDep) -> PrepayRead:
    now = uow.clock.now()
    payoff = await use_cases.prepay(uow, principal.tenant_id, agreement_id, today=local_today(now), now=now)
    read = await _read(uow, principal.tenant_id, agreement_id)
    await uow.commit()
    return PrepayRead(payoff=PayoffRead.of(agreement_id, payoff), agreement=read)


@router.get(
    "/agreements/{agreement_id}/payoff",
    summary="What paying the rest early would cost on a day (today by default); nothing is stored",
    responses=problems(
        404,
        409,
        422,
        _404="no such agreement",
        _409="the agreement is not active",
        _422="nothing left to pay early, a payoff pending, or an installment overdue",
    ),
)
async def quote_payoff(
    agreement_id: UUID, principal: AgreementsRead, uow: UowDep, on: date | None = None
) -> PayoffRead:
    day = on or local_today(uow.clock.now())
    return PayoffRead.of(
        agreement_id, await use_cases.quote_payoff(uow, principal.tenant_id, agreement_id, day)
    )


@router.get(
    "/agreements/{agreement_id:uuid}",  # only an id: "<id>:prepay" is another route
    summary="An agreement with its installments and their status",
    responses=problems(404),
)
async def get_agreement(agreement_id: UUID, principal: AgreementsRead, uow: UowDep) -> AgreementRead:
    return await _read(uow, principal.tenant_id, agreement_id)


@router.get(
    "/agreements",
    summary="Agreements (of one debtor), oldest first, cursor-paginated",
    responses=problems(400, _400="The cursor is not one a previous page returned."),
)
async def list_agreements(
    principal: AgreementsRead,
    uow: UowDep,
    debtor_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: SeqCursor = None,
) -> Page[AgreementRead]:
    after = decode_cursor(cursor, int)
    found = await use_cases.list_agreements(
        uow,
        principal.tenant_id,
        debtor_id,
        after_seq=after[0] if after else None,
        limit=limit,
        today=local_today(uow.clock.now()),
    )
    next_cursor = encode_cursor(found.next_seq) if found.next_seq is not None else None
    return Page[AgreementRead](
        items=[AgreementRead.model_validate(i) for i in found.items], next_cursor=next_cursor
    )
