"""The debtor portal: server-rendered pages in pt-BR under ``/portal``.

Access starts from a signed link (``/portal/l/{token}``, signed by the notifier),
which becomes a short signed session cookie; every page reads only the data of
that session's tenant and debtor. Anything else answers a page that shows no data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from negotiation_service.api.deps import UowDep
from negotiation_service.domain.agreements import RENEGOTIABLE, local_today
from negotiation_service.service_layer import agreements as use_cases
from negotiation_service.service_layer import portal as portal_use_cases
from negotiation_service.settings import Settings
from regua_br.formatting import first_name, format_brl, format_date
from regua_br.rate_limit import RateLimiter
from regua_br.tokens import (
    CSRF_INFO,
    LINK_INFO,
    SESSION_INFO,
    ExpiredToken,
    InvalidToken,
    Keyring,
    SessionClaims,
    csrf_token,
    csrf_valid,
    derive_key,
    sign_session,
    verify_link,
    verify_session,
)
from regua_platform.app import runtime_of
from regua_platform.errors import DomainError

log = logging.getLogger("negotiation.portal")
router = APIRouter(prefix="/portal", include_in_schema=False)
COOKIE = "regua_portal"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True)
)
STATUS_LABELS = {
    "open": "Em aberto",
    "overdue": "Vencida",
    "partially_paid": "Paga em parte",
    "paid": "Paga",
    "renegotiated": "Renegociada",
    "cancelled": "Cancelada",
}
AGREEMENT_LABELS = {"active": "em andamento", "completed": "concluído", "broken": "desfeito"}
INSTALLMENT_LABELS = {"open": "A vencer", "overdue": "Vencida", "paid": "Paga"}
CHANNELS = {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"}


@dataclass(frozen=True, slots=True)
class Keys:
    link: Keyring
    session: Keyring
    csrf: bytes


@dataclass(frozen=True, slots=True)
class Visit:
    session: SessionClaims
    cookie: str
    csrf: str


def _settings(request: Request) -> Settings:
    settings: Settings = runtime_of(request).settings
    return settings


def _keys(request: Request) -> Keys:
    keys = getattr(request.app.state, "portal_keys", None)
    if not isinstance(keys, Keys):
        configured = _settings(request).auth.jwt_secret
        if configured is None:
            # Link keys derive from the JWT secret, as the notifier's do.
            raise RuntimeError("the portal needs auth.jwt_secret (link and session keys derive from it)")
        secret = configured.get_secret_value()
        keys = Keys(
            Keyring.derived(secret, LINK_INFO),
            Keyring.derived(secret, SESSION_INFO),
            derive_key(secret, CSRF_INFO),
        )
        request.app.state.portal_keys = keys
    return keys


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "portal_limiter", None)
    if not isinstance(limiter, RateLimiter):
        s = _settings(request)
        limiter = RateLimiter(s.portal_rate_capacity, s.portal_rate_per_second)
        request.app.state.portal_limiter = limiter
    return limiter


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status)
    # Debt data: never cached by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def message(
    status: int, title: str, text: str, hint: str | None = None, back: str | None = None
) -> HTMLResponse:
    return page("message.html", status, title=title, message=text, hint=hint, back=back)


def not_found() -> HTMLResponse:
    return message(
        404, "Não encontramos esta página", "Confira o endereço ou volte ao início.", back="/portal"
    )


def _limited(request: Request, key: str) -> HTMLResponse | None:
    if _limiter(request).allow(key, time.monotonic()):
        return None
    log.info("portal.rate_limited")
    response = message(
        429,
        "Muitas solicitações",
        "Recebemos muitos pedidos em pouco tempo. Aguarde um minuto e tente de novo.",
    )
    response.headers["Retry-After"] = "60"
    return response


def _client(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


def _visit(request: Request) -> Visit | HTMLResponse:
    """The session of this request, or the page to answer instead (limited, or no session)."""
    keys = _keys(request)
    cookie = request.cookies.get(COOKIE)
    session = None
    if cookie:
        try:
            session = verify_session(keys.session, cookie, now=runtime_of(request).clock.now())
        except InvalidToken:
            session = None
    limited = _limited(request, f"debtor:{session.debtor_id}" if session else _client(request))
    if limited is not None:
        return limited
    if session is None or cookie is None:
        return message(
            401,
            "Sua sessão terminou",
            "Por segurança, o acesso vale por pouco tempo. "
            "Abra de novo o link da última mensagem que enviamos.",
        )
    return Visit(session, cookie, csrf_token(keys.csrf, cookie))


async def _form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > 20_000:
        return {}
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=200)


def _uuids(values: list[str]) -> list[UUID] | None:
    try:
        return [UUID(v) for v in values]
    except ValueError:
        return None


def _qr(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


@router.get("/l/{token}")
async def open_link(token: str, request: Request) -> Response:
    limited = _limited(request, _client(request))
    if limited is not None:
        return limited
    now = runtime_of(request).clock.now()
    keys = _keys(request)
    try:
        claims = verify_link(keys.link, token, now=now)
    except ExpiredToken:
        log.info("portal.link.expired")
        return message(
            410,
            "Este link expirou",
            "Por segurança, os links de acesso valem por um tempo limitado.",
            "Use o link da mensagem mais recente ou fale com a empresa para receber um novo.",
        )
    except InvalidToken:
        log.info("portal.link.rejected")
        return message(
            401,
            "Link inválido",
            "Não conseguimos abrir este link. Confira se ele foi copiado por inteiro.",
            "Se o problema continuar, use o link da mensagem mais recente.",
        )
    minutes = _settings(request).portal_session_minutes
    session = SessionClaims(
        claims.tenant_id, claims.debtor_id, min(claims.expires_at, now + timedelta(minutes=minutes))
    )
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        COOKIE,
        sign_session(keys.session, session),
        max_age=int((session.expires_at - now).total_seconds()),
        path="/portal",
        httponly=True,
        samesite="lax",
        secure=_settings(request).portal_secure_cookie,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    log.info("portal.link.opened", extra={"debtor_id": str(claims.debtor_id)})
    return response


@router.get("")
async def home(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    s = visit.session
    debtor = await uow.portal.debtor(s.tenant_id, s.debtor_id)
    rows = await uow.portal.open_invoices(s.tenant_id, s.debtor_id, sorted(RENEGOTIABLE))
    invoices = [
        {
            "id": r.id,
            "due_date": format_date(r.due_date),
            "status": r.status,
            "status_label": STATUS_LABELS.get(r.status, r.status),
            "original": format_brl(int(r.amount_cents)),
            "updated": format_brl(int(r.amount_due_cents)),
            "installment": r.agreement_id is not None,
            "in_agreement": bool(r.in_agreement),
        }
        for r in rows
    ]
    agreements = [
        {
            "id": a.id,
            "total": format_brl(int(a.total_cents)),
            "status_label": AGREEMENT_LABELS.get(a.status, a.status),
        }
        for a in await uow.portal.agreements_of(s.tenant_id, s.debtor_id)
    ]
    return page(
        "home.html",
        name=first_name(debtor.name if debtor else None),
        invoices=invoices,
        negotiable=any(not i["installment"] and not i["in_agreement"] for i in invoices),
        agreements=agreements,
        csrf=visit.csrf,
    )


@router.get("/faturas/{invoice_id}")
async def pay(invoice_id: str, request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    ids = _uuids([invoice_id])
    s = visit.session
    invoice = await uow.portal.invoice(s.tenant_id, s.debtor_id, ids[0]) if ids else None
    if invoice is None:
        return not_found()
    charges = await uow.portal.charges_of(s.tenant_id, [invoice.id])
    pix = next((c.pix_copy_paste for c in reversed(charges) if c.method == "pix" and c.pix_copy_paste), None)
    boleto = next(
        (c.digitable_line for c in reversed(charges) if c.method == "boleto" and c.digitable_line), None
    )
    return page(
        "pay.html",
        invoice_id=invoice.id,
        amount=format_brl(int(invoice.amount_due_cents)),
        due_date=format_date(invoice.due_date),
        paid=invoice.status == "paid",
        pix=pix,
        qr=_qr(pix) if pix else None,
        boleto=boleto,
        csrf=visit.csrf,
    )


@router.get("/api/faturas/{invoice_id}/status")
async def invoice_status(invoice_id: str, request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return JSONResponse({"error": "session"}, status_code=visit.status_code)
    ids = _uuids([invoice_id])
    s = visit.session
    invoice = await uow.portal.invoice(s.tenant_id, s.debtor_id, ids[0]) if ids else None
    if invoice is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    return JSONResponse(
        {"status": invoice.status, "paid": invoice.status == "paid"}, headers={"Cache-Control": "no-store"}
    )


async def _negotiable(uow: UowDep, s: SessionClaims) -> list[Any]:
    rows = await uow.portal.open_invoices(s.tenant_id, s.debtor_id, sorted(RENEGOTIABLE))
    return [r for r in rows if r.agreement_id is None and not r.in_agreement]


@router.get("/negociar")
async def negotiate(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    rows = await _negotiable(uow, visit.session)
    invoices = [
        {"id": r.id, "due_date": format_date(r.due_date), "updated": format_brl(int(r.amount_due_cents))}
        for r in rows
    ]
    return page("negotiate.html", invoices=invoices, csrf=visit.csrf, error=None)


def _offer_view(offer: Any) -> dict[str, Any]:
    n = len(offer.installments)
    rate = offer.monthly_rate
    percent = f"{float(rate) * 100:.2f}".replace(".", ",")
    if offer.kind == "cash":
        title = f"À vista: {format_brl(offer.total_cents)}"
        detail = f"Desconto de {format_brl(offer.discount_cents)} sobre {format_brl(offer.original_cents)}."
    else:
        first = offer.installments[0].amount_cents
        title = (
            f"{n} parcelas de {format_brl(first)}"
            if all(i.amount_cents == first for i in offer.installments[:-1])
            else f"{n} parcelas"
        )
        detail = f"Total de {format_brl(offer.total_cents)}, juros de {percent}% ao mês."
    return {
        "offer_id": offer.offer_id,
        "kind": offer.kind,
        "title": title,
        "detail": detail,
        "installments": [
            {"number": i.number, "due_date": format_date(i.due_date), "amount": format_brl(i.amount_cents)}
            for i in offer.installments
        ],
    }


@router.get("/negociar/ofertas")
async def offers(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    ids = _uuids(request.query_params.getlist("fatura"))
    s = visit.session
    if not ids:
        rows = await _negotiable(uow, s)
        invoices = [
            {"id": r.id, "due_date": format_date(r.due_date), "updated": format_brl(int(r.amount_due_cents))}
            for r in rows
        ]
        return page(
            "negotiate.html", 400, invoices=invoices, csrf=visit.csrf, error="Escolha pelo menos uma conta."
        )
    try:
        found = await use_cases.simulate_offers(
            uow, s.tenant_id, s.debtor_id, ids, local_today(runtime_of(request).clock.now())
        )
    except DomainError as exc:
        return _service_error(exc)
    return page(
        "offers.html",
        offers=[_offer_view(o) for o in found],
        invoice_ids=[str(i) for i in ids],
        csrf=visit.csrf,
    )


def _service_error(exc: DomainError) -> HTMLResponse:
    if exc.status == 409:
        return message(
            409,
            "Não foi possível fechar este acordo",
            "Estas contas já estão em um acordo ou os valores mudaram desde a simulação.",
            "Volte e simule de novo para ver as condições atualizadas.",
            back="/portal/negociar",
        )
    return message(
        exc.status if 400 <= exc.status < 500 else 400,
        "Não foi possível simular",
        "Alguma das contas escolhidas não pode ser negociada agora.",
        back="/portal/negociar",
    )


@router.post("/negociar/aceitar")
async def accept(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    form = await _form(request)
    if not csrf_valid(_keys(request).csrf, visit.cookie, (form.get("csrf") or [""])[0]):
        log.info("portal.csrf.rejected", extra={"debtor_id": str(visit.session.debtor_id)})
        return message(
            403, "Não foi possível confirmar", "Abra a página de novo e tente outra vez.", back="/portal"
        )
    ids = _uuids(form.get("fatura", []))
    offer_id = (form.get("oferta") or [""])[0]
    if not ids or not offer_id or (form.get("confirmo") or [""])[0] != "sim":
        return message(
            400,
            "Faltou confirmar",
            "Escolha uma proposta e marque a confirmação para fechar o acordo.",
            back="/portal/negociar",
        )
    s = visit.session
    now = runtime_of(request).clock.now()
    try:
        agreement_id = await use_cases.accept_offer(
            uow,
            s.tenant_id,
            s.debtor_id,
            ids,
            offer_id=offer_id[:64],
            kind=None,
            today=local_today(now),
            now=now,
        )
    except DomainError as exc:
        return _service_error(exc)
    await uow.commit()
    log.info("portal.agreement.accepted", extra={"agreement_id": str(agreement_id)})
    return RedirectResponse(f"/portal/acordos/{agreement_id}", status_code=303)


@router.get("/acordos/{agreement_id}")
async def agreement(agreement_id: str, request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    ids = _uuids([agreement_id])
    s = visit.session
    row = await uow.agreements.get(s.tenant_id, ids[0]) if ids else None
    if row is None or row.debtor_id != s.debtor_id:
        return not_found()
    parts = await uow.agreements.installments_of(row.id)
    view = use_cases.agreement_view(row, parts, local_today(runtime_of(request).clock.now()))
    charges = await uow.portal.charges_of(s.tenant_id, [p.id for p in parts])
    invoices = {p.id: await uow.portal.invoice(s.tenant_id, s.debtor_id, p.id) for p in parts}
    installments = []
    for i in view["installments"]:
        mine = [c for c in charges if c.invoice_id == i["installment_id"]]
        installments.append(
            {
                "id": i["installment_id"],
                "number": i["number"],
                "due_date": format_date(i["due_date"]),
                "amount": format_brl(i["amount_cents"]),
                "status": i["status"],
                "status_label": INSTALLMENT_LABELS.get(i["status"], i["status"]),
                "pix": next((c.pix_copy_paste for c in reversed(mine) if c.pix_copy_paste), None),
                "boleto": next((c.digitable_line for c in reversed(mine) if c.digitable_line), None),
                "payable": invoices.get(i["installment_id"]) is not None,
            }
        )
    return page(
        "agreement.html",
        status_label=AGREEMENT_LABELS.get(view["status"], view["status"]),
        total=format_brl(view["total_cents"]),
        discount=format_brl(view["discount_cents"]) if view["discount_cents"] else None,
        count=len(installments),
        installments=installments,
        csrf=visit.csrf,
    )


@router.get("/preferencias")
async def preferences(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    s = visit.session
    consents = await portal_use_cases.consents_of(uow, s.tenant_id, s.debtor_id)
    return page("preferences.html", channels=_channels(consents), csrf=visit.csrf, saved=False)


def _channels(consents: dict[str, bool]) -> list[dict[str, Any]]:
    return [{"id": c, "label": CHANNELS[c], "allowed": consents[c]} for c in portal_use_cases.PORTAL_CHANNELS]


@router.post("/preferencias")
async def save_preferences(request: Request, uow: UowDep) -> Response:
    visit = _visit(request)
    if not isinstance(visit, Visit):
        return visit
    form = await _form(request)
    if not csrf_valid(_keys(request).csrf, visit.cookie, (form.get("csrf") or [""])[0]):
        return message(
            403, "Não foi possível salvar", "Abra a página de novo e tente outra vez.", back="/portal"
        )
    s = visit.session
    allowed = set(form.get("canal", []))
    wanted: dict[str, bool] = {c: c in allowed for c in portal_use_cases.PORTAL_CHANNELS}
    await portal_use_cases.change_consents(
        uow, s.tenant_id, s.debtor_id, wanted, runtime_of(request).clock.now()
    )
    await uow.commit()
    consents = await portal_use_cases.consents_of(uow, s.tenant_id, s.debtor_id)
    return page("preferences.html", channels=_channels(consents), csrf=visit.csrf, saved=True)
