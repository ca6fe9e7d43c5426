"""The debtor portal: server-rendered pages in pt-BR under ``/portal``.

Access starts from a signed link (``/portal/l/{token}``, signed by the notifier),
which becomes a short signed session cookie; every page reads only the data of
that session's tenant and debtor, names who is collecting (the tenant's portal
settings) and shows amounts computed for the tenant-local day of the request.
Anything else answers a page that shows no data.

Each route takes its input from :mod:`.deps`, calls one use case of
:mod:`negotiation_service.service_layer` and renders a page of :mod:`.views`.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response

from negotiation_service.api.deps import SettingsDep, UowDep
from negotiation_service.api.portal import views
from negotiation_service.api.portal.deps import (
    AcceptFormDep,
    ApiVisitDep,
    ChosenInvoicesDep,
    FrameDep,
    KeysDep,
    LimitClient,
    LinkDep,
    NowDep,
    PathId,
    PortalRoute,
    PreferencesFormDep,
    PrepayFormDep,
    VisitDep,
    open_session,
)
from negotiation_service.domain.agreements import local_today
from negotiation_service.service_layer import agreements, portal
from regua_platform.errors import DomainError

log = logging.getLogger("negotiation.portal")
router = APIRouter(prefix="/portal", include_in_schema=False, route_class=PortalRoute)


@router.get("/l/{token}", dependencies=[LimitClient])
async def open_link(link: LinkDep, keys: KeysDep, settings: SettingsDep, now: NowDep) -> Response:
    response = open_session(link, keys, settings, now)
    log.info("portal.link.opened", extra={"debtor_id": str(link.debtor_id)})
    return response


@router.get("")
async def home(visit: VisitDep, frame: FrameDep, uow: UowDep, now: NowDep) -> Response:
    found = await portal.overview(uow, visit.tenant_id, visit.debtor_id)
    return views.home(found, frame, local_today(now))


@router.get("/faturas/{invoice_id}")
async def pay(visit: VisitDep, frame: FrameDep, invoice_id: PathId, uow: UowDep, now: NowDep) -> Response:
    today = local_today(now)
    found = (
        await portal.invoice_to_pay(uow, visit.tenant_id, visit.debtor_id, invoice_id, today)
        if invoice_id
        else None
    )
    return views.pay(found, frame, today) if found else views.not_found(frame)


@router.get("/api/faturas/{invoice_id}/status")
async def invoice_status(visit: ApiVisitDep, invoice_id: PathId, uow: UowDep) -> Response:
    found = await portal.invoice_of(uow, visit.tenant_id, visit.debtor_id, invoice_id) if invoice_id else None
    return views.invoice_status(found) if found else views.invoice_status_not_found()


@router.get("/negociar")
async def negotiate(visit: VisitDep, frame: FrameDep, uow: UowDep, now: NowDep) -> Response:
    invoices = await portal.negotiable_invoices(uow, visit.tenant_id, visit.debtor_id)
    return views.negotiate(invoices, frame, local_today(now))


@router.get("/negociar/ofertas")
async def offers(
    visit: VisitDep, frame: FrameDep, chosen: ChosenInvoicesDep, uow: UowDep, now: NowDep
) -> Response:
    today = local_today(now)
    if not chosen:
        invoices = await portal.negotiable_invoices(uow, visit.tenant_id, visit.debtor_id)
        return views.nothing_chosen(invoices, frame, today)
    try:
        found = await agreements.simulate_offers(uow, visit.tenant_id, visit.debtor_id, chosen, today)
    except DomainError as exc:
        return views.service_error(exc, frame)
    return views.offers(found, chosen, frame, today)


@router.post("/negociar/aceitar")
async def accept(visit: VisitDep, frame: FrameDep, form: AcceptFormDep, uow: UowDep, now: NowDep) -> Response:
    choice = form.choice()
    if choice is None:
        return views.unconfirmed(frame)
    invoice_ids, offer_id = choice
    try:
        agreement_id = await agreements.accept_offer(
            uow,
            visit.tenant_id,
            visit.debtor_id,
            invoice_ids,
            offer_id=offer_id,
            kind=None,
            today=local_today(now),
            now=now,
        )
    except DomainError as exc:
        return views.service_error(exc, frame)
    await uow.commit()
    log.info("portal.agreement.accepted", extra={"agreement_id": str(agreement_id)})
    return views.redirect(f"/portal/acordos/{agreement_id}")


@router.get("/acordos/{agreement_id}")
async def agreement(
    visit: VisitDep, frame: FrameDep, agreement_id: PathId, uow: UowDep, now: NowDep
) -> Response:
    today = local_today(now)
    found = (
        await portal.agreement_to_pay(uow, visit.tenant_id, visit.debtor_id, agreement_id, today)
        if agreement_id
        else None
    )
    return views.agreement(found, frame, today) if found else views.not_found(frame)


@router.post("/acordos/{agreement_id}/quitar")
async def prepay(
    visit: VisitDep, frame: FrameDep, agreement_id: PathId, form: PrepayFormDep, uow: UowDep, now: NowDep
) -> Response:
    """Pay the rest of the agreement early (CDC art. 52 §2): the payoff for today."""
    if agreement_id is None:
        return views.not_found(frame)
    if not form.confirmed:
        return views.prepay_unconfirmed(agreement_id, frame)
    try:
        await agreements.prepay(
            uow, visit.tenant_id, agreement_id, today=local_today(now), now=now, debtor_id=visit.debtor_id
        )
    except DomainError as exc:
        if exc.status == 404:
            return views.not_found(frame)
        return views.prepay_refused(exc, agreement_id, frame)
    await uow.commit()
    log.info("portal.agreement.prepaid", extra={"agreement_id": str(agreement_id)})
    return views.redirect(f"/portal/acordos/{agreement_id}")


@router.get("/preferencias")
async def preferences(visit: VisitDep, frame: FrameDep, uow: UowDep) -> Response:
    consents = await portal.consents_of(uow, visit.tenant_id, visit.debtor_id)
    return views.preferences(consents, frame, saved=False)


@router.post("/preferencias")
async def save_preferences(
    visit: VisitDep, frame: FrameDep, form: PreferencesFormDep, uow: UowDep, now: NowDep
) -> Response:
    consents = await portal.change_consents(uow, visit.tenant_id, visit.debtor_id, form.wanted(), now)
    await uow.commit()
    return views.preferences(consents, frame, saved=True)
