"""What the portal's pages show: domain objects as pt-BR text (``R$ 1.234,56``,
``dd/mm/aaaa``, the first name), rendered into the templates. Every page is
marked not to be cached or framed: it shows debt data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import segno
from fastapi import Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from negotiation_service.domain.invoices import DebtorInvoice, Invoice
from negotiation_service.domain.offers import Offer
from negotiation_service.service_layer.portal import (
    PORTAL_CHANNELS,
    AgreementToPay,
    InvoiceToPay,
    Overview,
)
from regua_br.formatting import first_name, format_brl, format_date
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
INSTALLMENT_LABELS = {"open": "A vencer", "overdue": "Vencida", "paid": "Paga"}
CHANNELS = {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"}


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


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# Pages that show no data.


def not_found() -> HTMLResponse:
    return message(
        404, "Não encontramos esta página", "Confira o endereço ou volte ao início.", back="/portal"
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


def link_invalid() -> HTMLResponse:
    return message(
        401,
        "Link inválido",
        "Não conseguimos abrir este link. Confira se ele foi copiado por inteiro.",
        "Se o problema continuar, use o link da mensagem mais recente.",
    )


def form_refused(title: str) -> HTMLResponse:
    """A form posted without this session's CSRF token."""
    return message(403, title, "Abra a página de novo e tente outra vez.", back="/portal")


def unconfirmed() -> HTMLResponse:
    return message(
        400,
        "Faltou confirmar",
        "Escolha uma proposta e marque a confirmação para fechar o acordo.",
        back="/portal/negociar",
    )


def service_error(exc: DomainError) -> HTMLResponse:
    """A simulation or acceptance the use case refused."""
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


# The pages.


@dataclass(frozen=True, slots=True)
class InvoiceCard:
    id: UUID
    due_date: str
    status: str
    status_label: str
    original: str
    updated: str
    #: An installment of an agreement (not an invoice of its own).
    installment: bool
    in_agreement: bool


@dataclass(frozen=True, slots=True)
class AgreementLink:
    id: UUID
    total: str
    status_label: str


def home(overview: Overview, csrf: str) -> HTMLResponse:
    return page(
        "home.html",
        name=first_name(overview.debtor.name if overview.debtor else None),
        invoices=[_card(i) for i in overview.invoices],
        negotiable=any(i.negotiable for i in overview.invoices),
        agreements=[
            AgreementLink(
                id=a.id,
                total=format_brl(a.total_cents),
                status_label=AGREEMENT_LABELS.get(a.status, a.status),
            )
            for a in overview.agreements
        ],
        csrf=csrf,
    )


def _card(listed: DebtorInvoice) -> InvoiceCard:
    invoice = listed.invoice
    return InvoiceCard(
        id=invoice.id,
        due_date=format_date(invoice.due_date),
        status=invoice.status,
        status_label=STATUS_LABELS.get(invoice.status, invoice.status),
        original=format_brl(invoice.amount_cents),
        updated=format_brl(invoice.amount_due_cents),
        installment=invoice.is_installment,
        in_agreement=listed.in_agreement,
    )


def pay(found: InvoiceToPay, csrf: str) -> HTMLResponse:
    invoice, pix = found.invoice, found.codes.pix
    return page(
        "pay.html",
        invoice_id=invoice.id,
        amount=format_brl(invoice.amount_due_cents),
        due_date=format_date(invoice.due_date),
        paid=invoice.status == "paid",
        pix=pix,
        qr=_qr(pix) if pix else None,
        boleto=found.codes.boleto,
        csrf=csrf,
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
    updated: str


def negotiate(invoices: Sequence[DebtorInvoice], csrf: str) -> HTMLResponse:
    return page("negotiate.html", invoices=_choices(invoices), csrf=csrf, error=None)


def nothing_chosen(invoices: Sequence[DebtorInvoice], csrf: str) -> HTMLResponse:
    """The negotiate page again, asking to choose."""
    return page(
        "negotiate.html", 400, invoices=_choices(invoices), csrf=csrf, error="Escolha pelo menos uma conta."
    )


def _choices(invoices: Sequence[DebtorInvoice]) -> list[InvoiceChoice]:
    return [
        InvoiceChoice(
            id=i.invoice.id,
            due_date=format_date(i.invoice.due_date),
            updated=format_brl(i.invoice.amount_due_cents),
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
    offer_id: str
    kind: str
    title: str
    detail: str
    installments: list[OfferInstallment]


def offers(found: Sequence[Offer], invoice_ids: Sequence[UUID], csrf: str) -> HTMLResponse:
    return page(
        "offers.html",
        offers=[_offer(o) for o in found],
        invoice_ids=[str(i) for i in invoice_ids],
        csrf=csrf,
    )


def _offer(offer: Offer) -> OfferCard:
    n = len(offer.installments)
    percent = f"{Decimal(offer.monthly_rate) * 100:.2f}".replace(".", ",")
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
    return OfferCard(
        offer_id=offer.offer_id,
        kind=offer.kind,
        title=title,
        detail=detail,
        installments=[
            OfferInstallment(
                number=i.number, due_date=format_date(i.due_date), amount=format_brl(i.amount_cents)
            )
            for i in offer.installments
        ],
    )


@dataclass(frozen=True, slots=True)
class InstallmentCard:
    id: UUID
    number: int
    due_date: str
    amount: str
    status: str
    status_label: str
    pix: str | None
    boleto: str | None
    payable: bool


def agreement(found: AgreementToPay, csrf: str) -> HTMLResponse:
    shown = found.agreement
    installments = [
        InstallmentCard(
            id=i.id,
            number=i.number,
            due_date=format_date(i.due_date),
            amount=format_brl(i.amount_cents),
            status=i.status,
            status_label=INSTALLMENT_LABELS.get(i.status, i.status),
            pix=i.codes.pix,
            boleto=i.codes.boleto,
            payable=i.payable,
        )
        for i in found.installments
    ]
    return page(
        "agreement.html",
        status_label=AGREEMENT_LABELS.get(shown.status, shown.status),
        total=format_brl(shown.total_cents),
        discount=format_brl(shown.discount_cents) if shown.discount_cents else None,
        count=len(installments),
        installments=installments,
        csrf=csrf,
    )


@dataclass(frozen=True, slots=True)
class ChannelChoice:
    id: str
    label: str
    allowed: bool


def preferences(consents: Mapping[str, bool], csrf: str, *, saved: bool) -> HTMLResponse:
    channels = [ChannelChoice(id=c, label=CHANNELS[c], allowed=consents[c]) for c in PORTAL_CHANNELS]
    return page("preferences.html", channels=channels, csrf=csrf, saved=saved)
