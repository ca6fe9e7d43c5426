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

from fastapi import APIRouter, Depends, Request, Response

from negotiation_service.api.deps import SettingsDep, UowDep
from negotiation_service.api.portal import views
from negotiation_service.api.portal.deps import (
    COOKIE,
    AcceptFormDep,
    ApiVisitDep,
    ChallengeFormDep,
    ChosenInvoicesDep,
    FrameDep,
    KeysDep,
    LimitClient,
    LinkDep,
    LogoutFormDep,
    NowDep,
    PathId,
    PortalRoute,
    PreferencesFormDep,
    PrepayFormDep,
    VisitDep,
    challenge_csrf,
    challenge_csrf_valid,
    challenge_nonce,
    challenge_page,
    cookies_of,
    known_device,
    open_session,
    remember_device,
)
from negotiation_service.domain.agreements import local_today
from negotiation_service.service_layer import agreements, portal
from regua_br.tokens import LinkClaims
from regua_platform.auth import public
from regua_platform.errors import DomainError

log = logging.getLogger("negotiation.portal")
router = APIRouter(prefix="/portal", include_in_schema=False, route_class=PortalRoute)

#: What protects each kind of portal route instead of a bearer token.
BY_LINK = [
    Depends(
        public(
            "signed, expiring, revocable link (HMAC, portal_keys) and, on a device not yet known, "
            "the first 3 characters of the debtor's CPF/CNPJ; rate limited per client address"
        )
    ),
    LimitClient,
]
BY_SESSION = [
    Depends(
        public(
            "signed session cookie (HttpOnly, SameSite=Lax, Secure/__Host- over HTTPS) opened by a link; "
            "forms carry a CSRF token bound to it; rate limited per debtor"
        )
    )
]
NO_DATA = [Depends(public("static file or a page that shows no data"))]


async def _refused(uow: UowDep, link: LinkClaims) -> Response | None:
    refusal = await portal.link_refusal(uow, link)
    if refusal == "revoked":
        log.info("portal.link.revoked_used", extra={"debtor_id": str(link.debtor_id)})
        return views.link_revoked()
    if refusal == "locked":
        return views.link_locked()
    return None


@router.get("/l/{token}", dependencies=BY_LINK)
async def open_link(
    request: Request,
    token: str,
    link: LinkDep,
    keys: KeysDep,
    settings: SettingsDep,
    uow: UowDep,
    now: NowDep,
) -> Response:
    """A known device opens the session at once; any other is asked first for
    the first 3 characters of the debtor's CPF/CNPJ."""
    if (refused := await _refused(uow, link)) is not None:
        return refused
    if await known_device(request, link, keys, settings, uow, now):
        log.info("portal.link.opened", extra={"debtor_id": str(link.debtor_id)})
        return open_session(link, keys, settings, now)
    return challenge_page(request.url.path, keys, settings)


@router.post("/l/{token}", dependencies=BY_LINK)
async def answer_challenge(
    request: Request,
    token: str,
    link: LinkDep,
    form: ChallengeFormDep,
    keys: KeysDep,
    settings: SettingsDep,
    uow: UowDep,
    now: NowDep,
) -> Response:
    action = request.url.path
    if (refused := await _refused(uow, link)) is not None:
        return refused
    nonce = challenge_nonce(request, settings)
    if not challenge_csrf_valid(keys, nonce, form.csrf):
        return views.challenge_refused(action)
    assert nonce is not None
    outcome = await portal.answer_challenge(
        uow, keys, link, form.digits, max_attempts=settings.portal_challenge_attempts, now=now
    )
    await uow.commit()
    csrf = challenge_csrf(keys, nonce)
    if outcome.outcome == "passed":
        response = open_session(link, keys, settings, now)
        remember_device(response, link, keys, settings, now)
        return response
    if outcome.outcome == "locked":
        return views.link_locked()
    if outcome.outcome == "unavailable":
        return views.challenge_unavailable()
    if outcome.outcome == "malformed":
        return views.challenge(action, csrf, status=400, error="Digite os 3 primeiros números.")
    return views.challenge(
        action, csrf, status=400, error="Os números não conferem.", remaining=outcome.remaining
    )


@router.post("/sair", dependencies=BY_SESSION)
async def logout(visit: VisitDep, form: LogoutFormDep, settings: SettingsDep) -> Response:
    """Ends the session on this device (the device stays known)."""
    response = views.logged_out()
    cookies_of(settings).drop(response, COOKIE)
    return response


@router.get("/static/{name}", dependencies=NO_DATA)
async def static_file(name: str) -> Response:
    return views.static(name) if name in views.STATIC_FILES else views.not_found()


@router.get("", dependencies=BY_SESSION)
async def home(visit: VisitDep, frame: FrameDep, uow: UowDep, now: NowDep) -> Response:
    found = await portal.overview(uow, visit.tenant_id, visit.debtor_id)
    return views.home(found, frame, local_today(now))


@router.get("/faturas/{invoice_id}", dependencies=BY_SESSION)
async def pay(visit: VisitDep, frame: FrameDep, invoice_id: PathId, uow: UowDep, now: NowDep) -> Response:
    today = local_today(now)
    found = (
        await portal.invoice_to_pay(uow, visit.tenant_id, visit.debtor_id, invoice_id, today)
        if invoice_id
        else None
    )
    return views.pay(found, frame, today) if found else views.not_found(frame)


@router.get("/api/faturas/{invoice_id}/status", dependencies=BY_SESSION)
async def invoice_status(visit: ApiVisitDep, invoice_id: PathId, uow: UowDep) -> Response:
    found = await portal.invoice_of(uow, visit.tenant_id, visit.debtor_id, invoice_id) if invoice_id else None
    return views.invoice_status(found) if found else views.invoice_status_not_found()


@router.get("/negociar", dependencies=BY_SESSION)
async def negotiate(visit: VisitDep, frame: FrameDep, uow: UowDep, now: NowDep) -> Response:
    invoices = await portal.negotiable_invoices(uow, visit.tenant_id, visit.debtor_id)
    return views.negotiate(invoices, frame, local_today(now))


@router.get("/negociar/ofertas", dependencies=BY_SESSION)
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


@router.post("/negociar/aceitar", dependencies=BY_SESSION)
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


@router.get("/acordos/{agreement_id}", dependencies=BY_SESSION)
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


@router.post("/acordos/{agreement_id}/quitar", dependencies=BY_SESSION)
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


@router.get("/preferencias", dependencies=BY_SESSION)
async def preferences(visit: VisitDep, frame: FrameDep, uow: UowDep) -> Response:
    consents = await portal.consents_of(uow, visit.tenant_id, visit.debtor_id)
    return views.preferences(consents, frame, saved=False)


@router.post("/preferencias", dependencies=BY_SESSION)
async def save_preferences(
    visit: VisitDep, frame: FrameDep, form: PreferencesFormDep, uow: UowDep, now: NowDep
) -> Response:
    consents = await portal.change_consents(uow, visit.tenant_id, visit.debtor_id, form.wanted(), now)
    await uow.commit()
    return views.preferences(consents, frame, saved=True)


@router.api_route("/{rest:path}", methods=["GET", "POST"], dependencies=NO_DATA)
async def elsewhere(rest: str) -> Response:
    """Any other portal path: the not-found page (with the portal's headers)."""
    return views.not_found()
