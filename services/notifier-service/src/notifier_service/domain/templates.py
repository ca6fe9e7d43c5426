"""The built-in pt-BR templates: one per dunning moment, a version per channel
and per tone.

Every message names the creditor and its CNPJ (CDC art. 42-A; the e-mail also
its address), addresses only the debtor, by first name, and never threatens or
embarrasses (CDC art. 42): it states the facts, the ways to pay, and that a
payment already made can be ignored.

Every figure and date is for the day the message is sent: the amount due
that day (``domain.amount``), the due date, and the last day to pay without
charges (``pagar_ate``: the due date moved to the next business day when it
falls on a weekend or holiday). "Hoje" always names the day of sending, and
the texts that promise "sem multa e juros" name ``pagar_ate``.

E-mail and WhatsApp carry the codes that exist: the Pix copia e cola (a
dynamic BR Code of the tenant's PSP, priced by it on the day of payment), the
linha digitável, and always the portal link; a tenant without a PSP gets no
Pix and the message reads well with a boleto only, or the link only. An SMS
has 160 GSM-7 characters: it carries the amount, the date, the creditor and,
when it fits, the linha digitável (a Pix code or a signed link alone is about
as long as the whole message).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

import jinja2
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
    """What a message shows, for the day it is sent (``today``, tenant-local).

    ``amount_cents`` is the amount due on ``today``; ``pay_by`` the effective
    due date (the due date moved to the next business day), the last day to
    pay without charges; ``open_principal_cents`` and the open fine and
    interest are its parts when they are known (None: an invoice of an older
    producer, whose figure comes without them)."""

    debtor_name: str
    creditor_name: str
    creditor_document: str
    creditor_address: str
    invoice_reference: str
    amount_cents: int
    due_date: date
    pay_by: date
    today: date
    days_overdue: int
    portal_url: str
    pix_copy_paste: str | None = None
    digitable_line: str | None = None
    open_principal_cents: int | None = None
    fine_cents: int = 0
    interest_cents: int = 0
    paid_cents: int = 0

    def composition(self) -> str | None:
        """What the amount is made of, when it is more than the invoice as issued."""
        if self.open_principal_cents is None or not (
            self.fine_cents or self.interest_cents or self.paid_cents
        ):
            return None
        saldo = f"saldo de {format_brl(self.open_principal_cents)}"
        if self.paid_cents:
            saldo += f" (já descontados {format_brl(self.paid_cents)} pagos)"
        parts = [saldo]
        if self.fine_cents:
            parts.append(f"multa de {format_brl(self.fine_cents)}")
        if self.interest_cents:
            parts.append(f"juros de {format_brl(self.interest_cents)}")
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " e " + parts[-1]

    def variables(self) -> dict[str, Any]:
        return {
            "nome": first_name(self.debtor_name),
            "credor": self.creditor_name,
            "credor_curto": self.creditor_name[:_SMS_CREDITOR_MAX].strip(),
            "cnpj": format_document(self.creditor_document),
            "endereco": self.creditor_address,
            "fatura": self.invoice_reference,
            "valor": format_brl(self.amount_cents),
            "composicao": self.composition(),
            "vencimento": format_date(self.due_date),
            "pagar_ate": format_date(self.pay_by),
            "hoje": format_date(self.today),
            # The due date fell on a weekend or holiday: payable without charges on pay_by.
            "dia_nao_util": self.pay_by != self.due_date,
            "vence_hoje": self.today == self.pay_by,
            "atrasado": self.today > self.pay_by,
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

#: The due date fell on a weekend or holiday: say until when it is payable without charges.
_NON_BUSINESS_DAY = (
    "{% if dia_nao_util %} Como essa data cai em dia não útil, você pode pagar sem multa e juros "
    "até {{ pagar_ate }}.{% endif %}"
)
#: "vence hoje, 16/11/2026", or for a due date on a non-business day the day it was moved to.
_DUE_ON = (
    "{% if dia_nao_util %}tem vencimento em {{ vencimento }}, dia não útil, e pode ser paga sem multa "
    "e juros até {% if vence_hoje %}hoje, {% endif %}{{ pagar_ate }}"
    "{% else %}vence {% if vence_hoje %}hoje, {% else %}em {% endif %}{{ pagar_ate }}{% endif %}"
)

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
                "no valor de {{ valor }}, vence em {{ vencimento }}." + _NON_BUSINESS_DAY,
                "firm": "Olá, {{ nome }}. Lembramos que a sua fatura {{ fatura }}, no valor de "
                "{{ valor }}, vence em {{ vencimento }}. Pagando até {{ pagar_ate }}"
                "{% if dia_nao_util %} (o vencimento cai em dia não útil){% endif %} "
                "você evita multa e juros.",
                "final": "Olá, {{ nome }}. Este é o último lembrete antes do vencimento: a sua fatura "
                "{{ fatura }}, no valor de {{ valor }}, vence em {{ vencimento }}." + _NON_BUSINESS_DAY,
            },
            sms={
                "friendly": "Lembrete: sua fatura de {{ valor }} vence em {{ vencimento }}"
                "{% if dia_nao_util %}; sem encargos ate {{ pagar_ate }}{% endif %}.",
                "firm": "Sua fatura de {{ valor }} vence em {{ vencimento }}. "
                "Pague ate {{ pagar_ate }} e evite encargos.",
                "final": "Ultimo lembrete: fatura de {{ valor }} vence em {{ vencimento }}"
                "{% if dia_nao_util %}; sem encargos ate {{ pagar_ate }}{% endif %}.",
            },
        ),
        Template(
            name="due_today",
            description="No último dia para pagar sem encargos (o vencimento, ou o dia útil seguinte).",
            subject={
                "friendly": "Sua fatura {{ fatura }} vence "
                "{% if vence_hoje %}hoje{% else %}em {{ pagar_ate }}{% endif %}",
                "firm": "{% if vence_hoje %}Hoje é o último dia sem encargos{% else %}Sem encargos até "
                "{{ pagar_ate }}{% endif %}: fatura {{ fatura }}",
                "final": "{% if vence_hoje %}Último dia sem encargos{% else %}Sem encargos até "
                "{{ pagar_ate }}{% endif %}: fatura {{ fatura }}",
            },
            intro={
                "friendly": "Olá, {{ nome }}! A sua fatura {{ fatura }}, no valor de {{ valor }}, "
                + _DUE_ON
                + ".",
                "firm": "Olá, {{ nome }}. A sua fatura {{ fatura }}, no valor de {{ valor }}, "
                + _DUE_ON
                + ". "
                "Pagando {% if vence_hoje %}hoje{% else %}até {{ pagar_ate }}{% endif %} "
                "você evita multa e juros.",
                "final": "Olá, {{ nome }}. {% if vence_hoje %}Hoje ({{ pagar_ate }}) é o último dia "
                "para pagar a sua fatura {{ fatura }}, no valor de {{ valor }}, sem multa e juros"
                "{% else %}Você pode pagar a sua fatura {{ fatura }}, no valor de {{ valor }}, sem multa "
                "e juros até {{ pagar_ate }}{% endif %}{% if dia_nao_util %} (o vencimento, "
                "{{ vencimento }}, caiu em dia não útil){% endif %}.",
            },
            sms={
                "friendly": "Sua fatura de {{ valor }} {% if dia_nao_util %}pode ser paga sem encargos ate "
                "{% if vence_hoje %}hoje, {% endif %}{{ pagar_ate }}{% else %}vence {% if vence_hoje %}hoje, "
                "{% else %}em {% endif %}{{ pagar_ate }}{% endif %}.",
                "firm": "Fatura de {{ valor }}: pague {% if vence_hoje %}hoje{% else %}ate {{ pagar_ate }}"
                "{% endif %} e evite encargos.",
                "final": "{% if vence_hoje %}Ultimo dia sem encargos: fatura de {{ valor }} vence "
                "hoje, {{ pagar_ate }}{% else %}Fatura de {{ valor }}: sem encargos ate {{ pagar_ate }}"
                "{% endif %}.",
            },
        ),
        Template(
            name="overdue",
            description="Depois do vencimento (valor do dia do envio).",
            subject={
                "friendly": "Fatura {{ fatura }}: não identificamos o pagamento",
                "firm": "Fatura {{ fatura }} em aberto",
                "final": "Fatura {{ fatura }} segue em aberto",
            },
            intro={
                "friendly": "Olá, {{ nome }}. Não identificamos o pagamento da sua fatura {{ fatura }}, "
                "que venceu em {{ vencimento }}. O valor atualizado para hoje, {{ hoje }}, é {{ valor }}. "
                "Se precisar de ajuda, estamos à disposição.",
                "firm": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "continua em aberto. O valor atualizado para hoje, {{ hoje }}, é {{ valor }}. Pedimos que "
                "regularize o pagamento assim que possível.",
                "final": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "segue em aberto no valor atualizado de {{ valor }} para pagamento hoje, {{ hoje }}. "
                "Pedimos que regularize o pagamento ou fale conosco para encontrarmos juntos uma solução.",
            },
            sms={
                "friendly": "Nao identificamos o pagamento da fatura vencida em {{ vencimento }}. "
                "Valor hoje: {{ valor }}.",
                "firm": "Fatura vencida em {{ vencimento }} em aberto: {{ valor }} para pagar hoje.",
                "final": "Fatura vencida em {{ vencimento }} segue em aberto: {{ valor }} para pagar hoje.",
            },
        ),
        Template(
            name="final_notice",
            description="Aviso final antes de outras medidas de cobrança (valor do dia do envio).",
            subject={
                "friendly": "Aviso: fatura {{ fatura }} em aberto",
                "firm": "Aviso importante: fatura {{ fatura }} em aberto",
                "final": "Aviso final: fatura {{ fatura }} em aberto",
            },
            intro={
                "friendly": "Olá, {{ nome }}. A sua fatura {{ fatura }}, vencida em {{ vencimento }}, "
                "ainda está em aberto no valor atualizado de {{ valor }} para pagamento hoje, {{ hoje }}. "
                "Queremos ajudar: veja as opções de pagamento e de negociação no link abaixo.",
                "firm": "Olá, {{ nome }}. Este é um aviso importante: a sua fatura {{ fatura }}, "
                "vencida em {{ vencimento }}, está em aberto no valor atualizado de {{ valor }} para "
                "pagamento hoje, {{ hoje }}. Pedimos que regularize o pagamento ou conheça as opções de "
                "negociação.",
                "final": "Olá, {{ nome }}. Este é um aviso final sobre a sua fatura {{ fatura }}, "
                "vencida em {{ vencimento }}, em aberto no valor atualizado de {{ valor }} para pagamento "
                "hoje, {{ hoje }}. Antes de qualquer outra medida de cobrança, queremos encontrar com você "
                "uma forma de regularizar: veja as opções de pagamento e de negociação.",
            },
            sms={
                "friendly": "Aviso: fatura vencida em {{ vencimento }} em aberto: {{ valor }} hoje.",
                "firm": "Aviso importante: fatura vencida em {{ vencimento }}: {{ valor }} hoje.",
                "final": "Aviso final: fatura vencida em {{ vencimento }}: {{ valor }} hoje.",
            },
        ),
    )
}

#: What the amount is made of, and that it holds for today only.
_AMOUNT_NOTES = """{% if composicao %}
Composição do valor: {{ composicao }}.
{% endif %}{% if atrasado %}
O valor vale para pagamento hoje, {{ hoje }}; em outro dia, multa e juros são recalculados.
{% endif %}"""

_EMAIL_BODY = (
    """{{ intro }}
"""
    + _AMOUNT_NOTES
    + """
{% if pix or linha %}Como pagar:
{% if pix %}- Pix copia e cola:
{{ pix }}
{% endif %}{% if linha %}- Boleto, linha digitável: {{ linha }}
{% endif %}- Detalhes, segunda via e outras opções de pagamento: {{ link }}
{% else %}Para ver como pagar e obter a segunda via, acesse: {{ link }}
{% endif %}
"""
    + _PAID_NOTE
    + """ Em caso de dúvida, responda a este e-mail.

{{ credor }} - CNPJ {{ cnpj }}
{{ endereco }}
"""
)

_WHATSAPP_BODY = (
    """{{ intro }}
"""
    + _AMOUNT_NOTES
    + """{% if pix %}
Pix copia e cola:
{{ pix }}
{% endif %}{% if linha %}
Boleto (linha digitável): {{ linha }}
{% endif %}
{% if pix or linha %}Detalhes e outras opções de pagamento{% else %}Como pagar e segunda via\
{% endif %}: {{ link }}

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


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> jinja2.Template:
    # Compiling costs more than rendering: once per source, not per message.
    return _ENV.from_string(source)


def _render(source: str, variables: dict[str, Any]) -> str:
    return _compiled(source).render(variables).strip()


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
