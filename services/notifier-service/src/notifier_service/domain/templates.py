"""The built-in pt-BR templates: one per dunning moment, a version per channel
and per tone.

Every message names the creditor and its CNPJ (CDC art. 42-A; the e-mail also
its address), addresses only the debtor, by first name, and never threatens or
embarrasses (CDC art. 42): it states the facts, the ways to pay, and that a
payment already made can be ignored.

E-mail and WhatsApp carry the Pix copia e cola, the linha digitável and the
portal link. An SMS has 160 GSM-7 characters: it carries the amount, the date,
the creditor and, when it fits, the linha digitável (a Pix code or a signed link
alone is about as long as the whole message).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifier_service.domain.channels import Channel
from regua_br.formatting import (
    ascii_fold,
    first_name,
    format_brl,
    format_date,
    format_digitable_line,
    format_document,
)

Tone = Literal["friendly", "firm", "final"]
TONES: tuple[Tone, ...] = get_args(Tone)
TEMPLATE_CHANNELS: tuple[Channel, ...] = ("email", "sms", "whatsapp")
SMS_MAX = 160
_SMS_CREDITOR_MAX = 30
_MAX_POWER = 64
_MAX_REPEAT = 10_000


class UnknownTemplate(LookupError):
    """No template, or no version of it for that channel and tone."""


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's sandbox lets ``'x' * 10**9`` and ``2 ** 99999999`` through:
    refuse big operands, so a template that a tenant may one day edit cannot
    exhaust memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_POWER:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        if operator_ == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > _MAX_REPEAT:
                    raise SecurityError("repetition too large")
            return operator.mul(left, right)
        return super().call_binop(context, operator_, left, right)


_ENV = GuardedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class MessageContext:
    debtor_name: str
    creditor_name: str
    creditor_document: str
    creditor_address: str
    invoice_reference: str
    amount_cents: int
    due_date: date
    days_overdue: int
    portal_url: str
    pix_copy_paste: str | None = None
    digitable_line: str | None = None

    def variables(self) -> dict[str, Any]:
        return {
            "nome": first_name(self.debtor_name),
            "credor": self.creditor_name,
            "credor_curto": self.creditor_name[:_SMS_CREDITOR_MAX].strip(),
            "cnpj": format_document(self.creditor_document),
            "endereco": self.creditor_address,
            "fatura": self.invoice_reference,
            "valor": format_brl(self.amount_cents),
            "vencimento": format_date(self.due_date),
            "dias_atraso": self.days_overdue,
            "link": self.portal_url,
            "pix": self.pix_copy_paste,
            "linha": format_digitable_line(self.digitable_line) if self.digitable_line else None,
            "linha_digitos": self.digitable_line,
        }


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    body: str


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    #: Per tone: the e-mail subject, the opening paragraph (e-mail, WhatsApp), the SMS sentence.
    subject: dict[Tone, str]
    intro: dict[Tone, str]
    sms: dict[Tone, str]

    @property
    def channels(self) -> tuple[Channel, ...]:
        return TEMPLATE_CHANNELS

    @property
    def tones(self) -> tuple[Tone, ...]:
        return TONES


_PAID_NOTE = "Se você já pagou, por favor desconsidere esta mensagem."

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="reminder",
            description="Lembrete antes do vencimento.",
            subject={
                "friendly": "Lembrete: sua fatura {{ fatura }} vence em {{ vencimento }}",
                "firm": "Sua fatura {{ fatura }} vence em {{ vencimento }}",
                "final": "Último lembrete: fatura {{ fatura }} vence em {{ vencimento }}",
            },
            intro={
                "friendly": "Olá, {{ nome }}! Passando para lembrar que a sua fatura {{ fatura }}, "
                "no valor de {{ valor }}, vence em {{ vencimento }}.",
                "firm": "Olá, {{ nome }}. Lembramos que a sua fatura {{ fatura }}, no valor de "
                "{{ valor }}, vence em {{ vencimento }}. Pagando até essa data você evita multa e juros.",
                "final": "Olá, {{ nome }}. Este é o último lembrete antes do vencimento: a sua fatura "
                "{{ fatura }}, no valor de {{ valor }}, vence em {{ vencimento }}.",
            },
            sms={
                "friendly": "Lembrete: sua fatura de {{ valor }} vence em {{ vencimento }}.",
                "firm": "Sua fatura de {{ valor }} vence em {{ vencimento }}. Evite encargos.",
                "final": "Ultimo lembrete: fatura de {{ valor }} vence em {{ vencimento }}.",
            },
        ),
        Template(
            name="due_today",
            description="No dia do vencimento.",
            subject={
                "friendly": "Sua fatura {{ fatura }} vence hoje",
                "firm": "Hoje é o vencimento da fatura {{ fatura }}",
                "final": "Último dia sem encargos: fatura {{ fatura }}",
            },
            intro={
                "friendly": "Olá, {{ nome }}! A sua fatura {{ fatura }}, no valor de {{ valor }}, "
                "vence hoje, {{ vencimento }}.",
                "firm": "Olá, {{ nome }}. A sua fatura {{ fatura }}, no valor de {{ valor }}, vence "
                "hoje ({{ vencimento }}). Pagando hoje você evita multa e juros.",
                "final": "Olá, {{ nome }}. Hoje ({{ vencimento }}) é o último dia para pagar a sua "
                "fatura {{ fatura }}, no valor de {{ valor }}, sem multa e juros.",
            },
            sms={
                "friendly": "Sua fatura de {{ valor }} vence hoje, {{ vencimento }}.",
                "firm": "Sua fatura de {{ valor }} vence hoje. Evite encargos.",
                "final": "Ultimo dia sem encargos: fatura de {{ valor }} vence hoje.",
            },
        ),
        Template(
            name="overdue",
            description="Depois do vencimento.",
            subject={
                "friendly": "Fatura {{ fatura }}: não identificamos o pagamento",
                "firm": "Fatura {{ fatura }} em aberto",
                "final": "Fatura {{ fatura }} segue em aberto",
            },
            intro={
                "friendly": "Olá, {{ nome }}. Não identificamos o pagamento da sua fatura {{ fatura }}, "
                "que venceu em {{ vencimento }}. O valor atualizado é {{ valor }}. Se precisar de "
                "ajuda, estamos à disposição.",
                "firm": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "continua em aberto. O valor atualizado é {{ valor }}. Pedimos que regularize o "
                "pagamento assim que possível.",
                "final": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "segue em aberto no valor atualizado de {{ valor }}. Pedimos que regularize o "
                "pagamento ou fale conosco para encontrarmos juntos uma solução.",
            },
            sms={
                "friendly": "Nao identificamos o pagamento da fatura de {{ valor }} "
                "vencida em {{ vencimento }}.",
                "firm": "Fatura vencida em {{ vencimento }} em aberto: {{ valor }}.",
                "final": "Fatura vencida em {{ vencimento }} segue em aberto: {{ valor }}.",
            },
        ),
        Template(
            name="final_notice",
            description="Aviso final antes de outras medidas de cobrança.",
            subject={
                "friendly": "Aviso: fatura {{ fatura }} em aberto",
                "firm": "Aviso importante: fatura {{ fatura }} em aberto",
                "final": "Aviso final: fatura {{ fatura }} em aberto",
            },
            intro={
                "friendly": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "ainda está em aberto no valor atualizado de {{ valor }}. Queremos ajudar: veja as "
                "opções de pagamento e de negociação no link abaixo.",
                "firm": "Olá, {{ nome }}. Este é um aviso importante: a sua fatura {{ fatura }}, "
                "vencida em {{ vencimento }}, está em aberto no valor atualizado de {{ valor }}. "
                "Pedimos que regularize o pagamento ou conheça as opções de negociação.",
                "final": "Olá, {{ nome }}. Este é um aviso final sobre a sua fatura {{ fatura }}, "
                "vencida em {{ vencimento }}, em aberto no valor atualizado de {{ valor }}. "
                "Antes de qualquer outra medida de cobrança, queremos encontrar com você uma forma "
                "de regularizar: veja as opções de pagamento e de negociação.",
            },
            sms={
                "friendly": "Aviso: fatura vencida em {{ vencimento }} em aberto: {{ valor }}.",
                "firm": "Aviso importante: fatura vencida em {{ vencimento }}: {{ valor }}.",
                "final": "Aviso final: fatura vencida em {{ vencimento }}: {{ valor }}.",
            },
        ),
    )
}

_EMAIL_BODY = (
    """{{ intro }}

Como pagar:
{% if pix %}- Pix copia e cola:
{{ pix }}
{% endif %}{% if linha %}- Boleto, linha digitável: {{ linha }}
{% endif %}- Detalhes, segunda via e opções de pagamento: {{ link }}

"""
    + _PAID_NOTE
    + """ Em caso de dúvida, responda a este e-mail.

{{ credor }} - CNPJ {{ cnpj }}
{{ endereco }}
"""
)

_WHATSAPP_BODY = (
    """{{ intro }}
{% if pix %}
Pix copia e cola:
{{ pix }}
{% endif %}{% if linha %}
Boleto (linha digitável): {{ linha }}
{% endif %}
Detalhes e opções de pagamento: {{ link }}

"""
    + _PAID_NOTE
    + """

{{ credor }} - CNPJ {{ cnpj }}"""
)

#: The payment instruments each channel's message shows when they exist: a
#: step waits (``sender.charge_wait_seconds``) until the invoice's charges for
#: these are known rather than go out without them.
PROMISED_INSTRUMENTS: dict[Channel, frozenset[str]] = {
    "email": frozenset({"pix", "boleto"}),
    "whatsapp": frozenset({"pix", "boleto"}),
    "sms": frozenset({"boleto"}),
}

_SMS_VARIANTS = (
    "{{ credor_curto }} CNPJ {{ cnpj }}: {{ sentence }} Boleto: {{ linha_digitos }}",
    "{{ credor_curto }} CNPJ {{ cnpj }}: {{ sentence }}",
)


def template_named(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None


def _render(source: str, variables: dict[str, Any]) -> str:
    return _ENV.from_string(source).render(variables).strip()


def render(name: str, channel: Channel, tone: Tone, context: MessageContext) -> RenderedMessage:
    """The message for one channel; :class:`UnknownTemplate` when there is none."""
    template = template_named(name)
    if channel not in template.channels or tone not in template.tones:
        raise UnknownTemplate(f"{name}/{channel}/{tone}")
    variables = context.variables()
    renderers: dict[Channel, Callable[[], RenderedMessage]] = {
        "email": lambda: RenderedMessage(
            subject=_render(template.subject[tone], variables),
            body=_render(_EMAIL_BODY, {**variables, "intro": _render(template.intro[tone], variables)})
            + "\n",
        ),
        "whatsapp": lambda: RenderedMessage(
            subject=None,
            body=_render(_WHATSAPP_BODY, {**variables, "intro": _render(template.intro[tone], variables)}),
        ),
        "sms": lambda: RenderedMessage(subject=None, body=_render_sms(template, tone, variables)),
    }
    return renderers[channel]()


def _render_sms(template: Template, tone: Tone, variables: dict[str, Any]) -> str:
    sentence = _render(template.sms[tone], variables)
    variants = _SMS_VARIANTS if variables["linha_digitos"] else _SMS_VARIANTS[1:]
    text = ""
    for variant in variants:
        text = ascii_fold(_render(variant, {**variables, "sentence": sentence}))
        if len(text) <= SMS_MAX:
            return text
    # The creditor and CNPJ come first, so a cut never drops them.
    return text[: SMS_MAX - 3].rstrip() + "..."
