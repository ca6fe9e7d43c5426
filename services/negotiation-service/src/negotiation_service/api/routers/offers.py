"""``/v1/offer-rules`` and ``/v1/offers:simulate``."""

from __future__ import annotations

from fastapi import APIRouter

from negotiation_service.api.deps import UowDep
from negotiation_service.api.schemas import (
    OfferRead,
    OfferRulesCreate,
    OfferRulesRead,
    SimulateRequest,
    SimulateResponse,
)
from negotiation_service.api.scopes import OffersRead, OffersWrite
from negotiation_service.domain.agreements import local_today
from negotiation_service.domain.offers import rules_to_dict
from negotiation_service.service_layer import agreements as use_cases
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1", tags=["offers"])


@router.post(
    "/offer-rules",
    summary="Set the tenant's offer rules (replaces them)",
    description=(
        "Besides what the schema says, `max_installments` must be at least `min_installments` "
        "(a rule between two fields, which JSON Schema cannot state); otherwise 422."
    ),
)
async def put_offer_rules(body: OfferRulesCreate, principal: OffersWrite, uow: UowDep) -> OfferRulesRead:
    await use_cases.put_rules(uow, principal.tenant_id, body.to_domain(), uow.clock.now())
    await uow.commit()
    return OfferRulesRead.model_validate({**body.model_dump(), "default": False})


@router.get("/offer-rules", summary="The tenant's offer rules (built-in defaults until set)")
async def get_offer_rules(principal: OffersRead, uow: UowDep) -> OfferRulesRead:
    rules, default = await use_cases.get_rules(uow, principal.tenant_id)
    return OfferRulesRead.model_validate({**rules_to_dict(rules), "default": default})


@router.post(
    "/offers:simulate",
    summary="Every offer that applies to these invoices of the debtor (a quote: nothing is stored)",
    responses=problems(
        404,
        409,
        _404="An invoice is not one of this debtor's (or unknown).",
        _409="An invoice is closed, an installment, or in an active agreement.",
    ),
)
async def simulate_offers(body: SimulateRequest, principal: OffersRead, uow: UowDep) -> SimulateResponse:
    offers = await use_cases.simulate_offers(
        uow, principal.tenant_id, body.debtor_id, body.invoice_ids, local_today(uow.clock.now())
    )
    return SimulateResponse(offers=[OfferRead.of(o) for o in offers])
