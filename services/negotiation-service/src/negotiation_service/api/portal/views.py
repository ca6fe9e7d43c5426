"""What the portal's pages show: domain objects as pt-BR text (``R$ 1.234,56``,
``dd/mm/aaaa``, ``1,99%``, the first name), rendered into the templates. Every
page of a session names who is collecting (CDC art. 42-A) in its :class:`Frame`;
every amount is the one computed for the day the page is seen. Every page is
marked not to be cached or framed: it shows debt data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import segno
from fastapi import Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from negotiation_service.domain.invoices import AmountDue, DebtorInvoice, Invoice
from negotiation_service.domain.offers import Offer
from negotiation_service.domain.portal import PortalSettings
from negotiation_service.service_layer.portal import (
    PORTAL_CHANNELS,
    AgreementToPay,
    InvoiceToPay,
    Overview,
)
from regua_br.formatting import first_name, format_brl, format_date, format_document
from regua_platform.errors import DomainError

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
INSTALLMENT_LABELS = {
    "open": "A vencer",
    "overdue": "Vencida",
    "paid": "Paga",
    "replaced": "Substituída pela quitação",
}
#: Why the rest of an agreement cannot be paid early now (PayoffRefused reasons).
NO_PAYOFF = {
    "payoff_pending": "A quitação antecipada já foi pedida: pague a parcela de quitação abaixo.",
    "overdue": (
        "Há uma parcela vencida: pague-a primeiro para poder quitar o restante com desconto dos juros."
    ),
}
CHANNELS = {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"}


@dataclass(frozen=True, slots=True)
class CreditorBlock:
    """Who is collecting, as every page of the session names them (CDC art. 42-A)."""

    name: str
    document: str
    address: str
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Frame:
    """What a page of a session shows around its content: the creditor (None
    while the tenant has not set its portal settings: a neutral notice then)
    and the forms' CSRF token."""

    csrf: str
    creditor: CreditorBlock | None


def creditor_block(settings: PortalSettings | None) -> CreditorBlock | None:
    if settings is None:
        return None
    return CreditorBlock(
        name=settings.creditor_name,
        document=format_document(settings.creditor_document),
        address=settings.creditor_address,
        email=settings.contact_email,
        phone=settings.contact_phone,
    )


#: Scripts and styles come only from the portal's own static files (no inline
#: script or style), nothing may frame a page, forms post only to the portal.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The link token is in the path: never sent on to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def secured(response: Response, *, https: bool) -> Response:
    """Every portal response: the security headers; debt data never cached
    (static files say otherwise themselves); HSTS over HTTPS."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def page(template: str, frame: Frame | None, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; ``frame`` None for the pages shown without a session (they show no data)."""
    html = TEMPLATES.get_template(template).render(frame=frame, csrf=frame.csrf if frame else None, **context)
    response = HTMLResponse(html, status_code=status)
    # Debt data: never cached by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


STATIC = Path(__file__).parent / "static"
#: The portal's only script and stylesheet, read once.
STATIC_FILES = {
    "portal.css": ((STATIC / "portal.css").read_bytes(), "text/css; charset=utf-8"),
    "pay.js": ((STATIC / "pay.js").read_bytes(), "text/javascript; charset=utf-8"),
}


def static(name: str) -> Response:
    content, media_type = STATIC_FILES[name]
    return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


def message(
    status: int,
    title: str,
    text: str,
    hint: str | None = None,
    back: str | None = None,
    frame: Frame | None = None,
) -> HTMLResponse:
    return page("message.html", frame, status, title=title, message=text, hint=hint, back=back)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def percent(rate: Decimal) -> str:
    """``Decimal("0.0199")`` -> ``1,99%``."""
    return f"{rate * 100:.2f}".replace(".", ",") + "%"


def bps_percent(bps: int) -> str:
    return percent(Decimal(bps) / 10_000)


# Pages that show no data.


def not_found(frame: Frame | None = None) -> HTMLResponse:
    return message(
        404,
        "Não encontramos esta página",
        "Confira o endereço ou volte ao início.",
        back="/portal",
        frame=frame,
    )


def rate_limited() -> HTMLResponse:
    response = message(
        429,
        "Muitas solicitações",
        "Recebemos muitos pedidos em pouco tempo. Aguarde um minuto e tente de novo.",
    )
    response.headers["Retry-After"] = "60"
    return response


def session_ended() -> HTMLResponse:
    return message(
        401,
        "Sua sessão terminou",
        "Por segurança, o acesso vale por pouco tempo. Abra de novo o link da última mensagem que enviamos.",
    )


def link_expired() -> HTMLResponse:
    return message(
        410,
        "Este link expirou",
        "Por segurança, os links de acesso valem por um tempo limitado.",
        "Use o link da mensagem mais recente ou fale com a empresa para receber um novo.",
    )


def link_revoked() -> HTMLResponse:
    return message(
        410,
        "Este link não vale mais",
        "Por segurança, os links enviados antes foram cancelados.",
        "Use o link de uma mensagem mais recente ou fale com a empresa para receber um novo.",
    )


def link_locked() -> HTMLResponse:
    return message(
        403,
        "Link bloqueado",
        "Por segurança, este link foi bloqueado depois de várias tentativas erradas.",
        "Fale com a empresa para receber um novo link.",
    )


def challenge(
    action: str, csrf: str, *, status: int = 200, error: str | None = None, remaining: int | None = None
) -> HTMLResponse:
    """The first-device challenge: the first 3 digits of the CPF/CNPJ."""
    return page(
        "challenge.html", None, status, action=action, challenge_csrf=csrf, error=error, remaining=remaining
    )


def challenge_unavailable() -> HTMLResponse:
    return message(
        503,
        "Não foi possível confirmar agora",
        "Ainda não recebemos os dados para confirmar que é você.",
        "Tente de novo em alguns minutos.",
    )


def challenge_refused(action: str) -> HTMLResponse:
    """A challenge form posted without its cookie's CSRF token (expired, or from another site)."""
    return message(403, "Não foi possível confirmar", "Abra o link de novo e tente outra vez.", back=action)


def logged_out() -> HTMLResponse:
    return message(
        200,
        "Você saiu",
        "Sua sessão foi encerrada neste aparelho.",
        "Para voltar, abra o link da mensagem que recebeu.",
    )


def link_invalid() -> HTMLResponse:
    return message(
        401,
        "Link inválido",
        "Não conseguimos abrir este link. Confira se ele foi copiado por inteiro.",
        "Se o problema continuar, use o link da mensagem mais recente.",
    )


def form_refused(title: str, frame: Frame) -> HTMLResponse:
    """A form posted without this session's CSRF token."""
    return message(403, title, "Abra a página de novo e tente outra vez.", back="/portal", frame=frame)


def unconfirmed(frame: Frame) -> HTMLResponse:
    return message(
        400,
        "Faltou confirmar",
        "Escolha uma proposta e marque a confirmação para fechar o acordo.",
        back="/portal/negociar",
        frame=frame,
    )


def service_error(exc: DomainError, frame: Frame) -> HTMLResponse:
    """A simulation or acceptance the use case refused."""
    if exc.status == 409:
        return message(
            409,
            "Não foi possível fechar este acordo",
            "Estas contas já estão em um acordo ou os valores mudaram desde a simulação.",
            "Volte e simule de novo para ver as condições atualizadas.",
            back="/portal/negociar",
            frame=frame,
        )
    return message(
        exc.status if 400 <= exc.status < 500 else 400,
        "Não foi possível simular",
        "Alguma das contas escolhidas não pode ser negociada agora.",
        back="/portal/negociar",
        frame=frame,
    )


def prepay_refused(exc: DomainError, agreement_id: UUID, frame: Frame) -> HTMLResponse:
    """An early payment the use case refused (the agreement changed, or nothing is left)."""
    return message(
        exc.status if 400 <= exc.status < 500 else 400,
        "Não foi possível quitar o acordo agora",
        "A situação do acordo mudou ou não há parcelas a quitar.",
        "Volte ao acordo para ver a situação atualizada.",
        back=f"/portal/acordos/{agreement_id}",
        frame=frame,
    )


def prepay_unconfirmed(agreement_id: UUID, frame: Frame) -> HTMLResponse:
    return message(
        400,
        "Faltou confirmar",
        "Marque a confirmação para quitar o acordo.",
        back=f"/portal/acordos/{agreement_id}",
        frame=frame,
    )


# The pages.


@dataclass(frozen=True, slots=True)
class AmountLine:
    label: str
    amount: str


def _lines(due: AmountDue) -> list[AmountLine]:
    """What today's amount is made of: the non-zero parts, each still open."""
    charges = (
        [("Multa", due.fine_cents), ("Juros de atraso", due.interest_cents)]
        if due.computed
        else [("Encargos", due.interest_cents)]
    )
    parts = [("Já pago", due.paid_cents), ("Valor principal em aberto", due.principal_cents), *charges]
    return [AmountLine(label, format_brl(cents)) for label, cents in parts if cents]


@dataclass(frozen=True, slots=True)
class InvoiceCard:
    id: UUID
    due_date: str
    status: str
    status_label: str
    original: str
    lines: list[AmountLine]
    today: str
    #: An installment of an agreement (not an invoice of its own).
    installment: bool
    in_agreement: bool


@dataclass(frozen=True, slots=True)
class AgreementLink:
    id: UUID
    total: str
    status_label: str


def home(overview: Overview, frame: Frame, today: date) -> HTMLResponse:
    return page(
        "home.html",
        frame,
        name=first_name(overview.debtor.name if overview.debtor else None),
        today=format_date(today),
        invoices=[_card(i, today) for i in overview.invoices],
        negotiable=any(i.negotiable for i in overview.invoices),
        agreements=[
            AgreementLink(
                id=a.id,
                total=format_brl(a.total_cents),
                status_label=AGREEMENT_LABELS.get(a.status, a.status),
            )
            for a in overview.agreements
        ],
    )


def _card(listed: DebtorInvoice, today: date) -> InvoiceCard:
    invoice = listed.invoice
    due = invoice.due_on(today)
    return InvoiceCard(
        id=invoice.id,
        due_date=format_date(invoice.due_date),
        status=invoice.status,
        status_label=STATUS_LABELS.get(invoice.status, invoice.status),
        original=format_brl(invoice.amount_cents),
        lines=_lines(due),
        today=format_brl(due.due_cents),
        installment=invoice.is_installment,
        in_agreement=listed.in_agreement,
    )


def pay(found: InvoiceToPay, frame: Frame, today: date) -> HTMLResponse:
    invoice, due, pix = found.invoice, found.due, found.codes.pix
    return page(
        "pay.html",
        frame,
        invoice_id=invoice.id,
        amount=format_brl(due.due_cents),
        today=format_date(today),
        lines=_lines(due),
        due_date=format_date(invoice.due_date),
        paid=invoice.status == "paid",
        closed=STATUS_LABELS.get(invoice.status) if invoice.status in ("renegotiated", "cancelled") else None,
        pix=pix,
        qr=_qr(pix) if pix else None,
        boleto=found.codes.boleto,
    )


def _qr(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


def invoice_status(invoice: Invoice) -> JSONResponse:
    """What the pay page polls to notice the payment."""
    return JSONResponse(
        {"status": invoice.status, "paid": invoice.status == "paid"}, headers={"Cache-Control": "no-store"}
    )


def invoice_status_not_found() -> JSONResponse:
    return JSONResponse({"error": "not_found"}, status_code=404)


def session_refused(refusal: Response) -> JSONResponse:
    """The status poll's answer where a page would answer ``refusal`` (no session, rate limited)."""
    return JSONResponse({"error": "session"}, status_code=refusal.status_code)


@dataclass(frozen=True, slots=True)
class InvoiceChoice:
    id: UUID
    due_date: str
    today: str


def negotiate(invoices: Sequence[DebtorInvoice], frame: Frame, today: date) -> HTMLResponse:
    return page("negotiate.html", frame, invoices=_choices(invoices, today), error=None)


def nothing_chosen(invoices: Sequence[DebtorInvoice], frame: Frame, today: date) -> HTMLResponse:
    """The negotiate page again, asking to choose."""
    return page(
        "negotiate.html",
        frame,
        400,
        invoices=_choices(invoices, today),
        error="Escolha pelo menos uma conta.",
    )


def _choices(invoices: Sequence[DebtorInvoice], today: date) -> list[InvoiceChoice]:
    return [
        InvoiceChoice(
            id=i.invoice.id,
            due_date=format_date(i.invoice.due_date),
            today=format_brl(i.invoice.due_on(today).due_cents),
        )
        for i in invoices
    ]


@dataclass(frozen=True, slots=True)
class OfferInstallment:
    number: int
    due_date: str
    amount: str


@dataclass(frozen=True, slots=True)
class OfferCard:
    """An offer with what CDC art. 52 asks to be stated, in pt-BR."""

    offer_id: str
    kind: str
    title: str
    #: What the debt is made of today.
    base: list[AmountLine]
    base_total: str
    discount: str | None
    count: int
    installments: list[OfferInstallment]
    total: str
    interest: str
    monthly_rate: str
    effective_monthly: str
    effective_annual: str


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """What happens if an installment is late or the agreement breaks, and early payment."""

    tolerance_days: int
    late_charges: str


def offers(found: Sequence[Offer], invoice_ids: Sequence[UUID], frame: Frame, today: date) -> HTMLResponse:
    return page(
        "offers.html",
        frame,
        today=format_date(today),
        offers=[_offer(o) for o in found],
        terms=_terms(found[0]) if found else None,
        invoice_ids=[str(i) for i in invoice_ids],
    )


def _terms(offer: Offer) -> OfferTerms:
    if offer.late_fine_bps is not None and offer.late_monthly_interest_bps is not None:
        late = (
            f"multa de {bps_percent(offer.late_fine_bps)} e juros de "
            f"{bps_percent(offer.late_monthly_interest_bps)} ao mês, proporcionais aos dias de atraso"
        )
    else:
        late = "a multa e os juros de atraso previstos nas suas faturas"
    return OfferTerms(tolerance_days=offer.tolerance_days, late_charges=late)


def _offer(offer: Offer) -> OfferCard:
    n = len(offer.installments)
    if offer.kind == "cash":
        title = f"À vista: {format_brl(offer.total_cents)}"
    else:
        first = offer.installments[0].amount_cents
        same = all(i.amount_cents == first for i in offer.installments)
        title = f"{n} parcelas mensais de {format_brl(first)}" if same else f"{n} parcelas mensais"
    base = offer.base
    return OfferCard(
        offer_id=offer.offer_id,
        kind=offer.kind,
        title=title,
        base=[
            AmountLine(label, format_brl(cents))
            for label, cents in (
                ("Valor principal em aberto", base.principal_cents),
                ("Multa", base.fine_cents),
                ("Juros de atraso", base.interest_cents),
            )
            if cents or label.startswith("Valor")
        ],
        base_total=format_brl(base.total_cents),
        discount=format_brl(offer.discount_cents) if offer.discount_cents else None,
        count=n,
        installments=[
            OfferInstallment(
                number=i.number, due_date=format_date(i.due_date), amount=format_brl(i.amount_cents)
            )
            for i in offer.installments
        ],
        total=format_brl(offer.total_cents),
        interest=format_brl(offer.interest_cents),
        monthly_rate=percent(Decimal(offer.monthly_rate)),
        effective_monthly=percent(offer.effective_monthly_rate),
        effective_annual=percent(offer.effective_annual_rate),
    )


@dataclass(frozen=True, slots=True)
class InstallmentCard:
    id: UUID
    number: int
    title: str
    due_date: str
    amount: str
    #: What paying it takes today, when it differs from the agreed amount (late charges).
    today: str | None
    status: str
    status_label: str
    pix: str | None
    boleto: str | None
    payable: bool


@dataclass(frozen=True, slots=True)
class PayoffCard:
    agreement_id: UUID
    amount: str
    due_date: str
    replaced: str
    waived: str
    count: int


def agreement(found: AgreementToPay, frame: Frame, today: date) -> HTMLResponse:
    shown = found.agreement
    installments = [
        InstallmentCard(
            id=i.id,
            number=i.number,
            title="Quitação antecipada" if i.payoff else f"Parcela {i.number}",
            due_date=format_date(i.due_date),
            amount=format_brl(i.amount_cents),
            today=format_brl(i.due_today_cents)
            if i.due_today_cents and i.due_today_cents != i.amount_cents
            else None,
            status=i.status,
            status_label=INSTALLMENT_LABELS.get(i.status, i.status),
            pix=i.codes.pix,
            boleto=i.codes.boleto,
            payable=i.payable,
        )
        for i in found.installments
    ]
    early = found.payoff
    return page(
        "agreement.html",
        frame,
        agreement_id=shown.id,
        active=shown.status == "active",
        status_label=AGREEMENT_LABELS.get(shown.status, shown.status),
        total=format_brl(shown.total_cents),
        discount=format_brl(shown.discount_cents) if shown.discount_cents else None,
        count=sum(1 for i in found.installments if not i.payoff),
        installments=installments,
        today=format_date(today),
        payoff=PayoffCard(
            agreement_id=shown.id,
            amount=format_brl(early.amount_cents),
            due_date=format_date(early.due_date),
            replaced=format_brl(early.replaced_cents),
            waived=format_brl(early.interest_waived_cents),
            count=len(early.replaced),
        )
        if early
        else None,
        no_payoff=NO_PAYOFF.get(found.no_payoff or ""),
    )


@dataclass(frozen=True, slots=True)
class ChannelChoice:
    id: str
    label: str
    allowed: bool


def preferences(consents: Mapping[str, bool], frame: Frame, *, saved: bool) -> HTMLResponse:
    channels = [ChannelChoice(id=c, label=CHANNELS[c], allowed=consents[c]) for c in PORTAL_CHANNELS]
    return page("preferences.html", frame, channels=channels, saved=saved)
